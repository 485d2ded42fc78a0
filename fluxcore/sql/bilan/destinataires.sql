-- Who receives a bilan for year $annee: every réservataire with a convention in force in
-- $annee or $annee + 1, or with a dwelling oriented to it during $annee; every EPCI where the
-- bailleur has flux dwellings. $annee, $debut, $arret.
-- Returns: genre (reservataire | epci), code, nom, type, territoire.
with orientes as (
    select distinct o.destinataire
    from orientation o
    join liberation b using (liberation_id)
    where b.date_liberation between $debut and $arret
),
res as (
    select 'reservataire' as genre, r.reservataire_id as code, r.nom, r.type, r.territoire
    from reservataire r
    where exists (select 1 from convention c where c.reservataire_id = r.reservataire_id
                  and ($annee between c.annee_debut and c.annee_fin
                       or $annee + 1 between c.annee_debut and c.annee_fin))
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
