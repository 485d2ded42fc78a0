-- Who receives a bilan for year $annee: every réservataire with a convention in force on some
-- day of $annee or $annee + 1 (its dates, the end of a loan guarantee, the latest signed of
-- overlapping ones, a commune/EPCI only with a perimeter or territory: conv_unique of
-- {{ conventions/periodes }}), or with a dwelling oriented to it during $annee; every EPCI
-- where the bailleur has flux dwellings. $annee, $debut, $arret.
-- Returns: genre (reservataire | epci), code, nom, type, territoire.
with {{ conventions/periodes }},
orientes as (
    select distinct o.destinataire
    from orientation o
    join liberation b using (liberation_id)
    where b.date_liberation between $debut and $arret
),
en_vigueur as (
    select distinct reservataire_id
    from conv_unique
    where debut <= make_date($annee + 1, 12, 31) and fin >= make_date($annee, 1, 1)
),
res as (
    select 'reservataire' as genre, r.reservataire_id as code, r.nom, r.type, r.territoire
    from reservataire r
    where r.reservataire_id in (select reservataire_id from en_vigueur)
       or r.reservataire_id in (select destinataire from orientes)
),
epci as (
    select 'epci' as genre, r.epci_siren as code,
           coalesce(e.nom, 'EPCI ' || r.epci_siren) as nom, 'EPCI' as type,
           min(r.departement) as territoire
    from residence r
    join logement l using (residence_id)
    left join ref_epci e on e.epci_siren = r.epci_siren
    where r.epci_siren is not null and l.hors_flux_motif is null
    group by all
),
final as (select * from res union all select * from epci)
select * from final order by genre desc, type, nom
