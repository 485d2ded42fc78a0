-- The convention each réservataire holds in a département for a period starting in $annee:
-- the one in force on some day of that year (its dates: date_debut/date_fin, else its years;
-- the latest signed where two overlap), else its latest one (a renegotiation starts from
-- it), and the réservataires with stock rights but no convention (to convert). Conventions
-- are read through {{ conventions/periodes }}: a commune/EPCI convention takes the
-- réservataire's territory as perimeter and one with neither covers nothing (left out). The
-- rights of a loan guarantee end with the loan plus the setting's years (fin_droits =
-- fin_garantie; NULL = no such end); debut_droits = the convention's first day when it
-- starts after 1 January of $annee (its first year is prorated), else NULL.
-- $dep, $annee. Returns: reservataire_id, nom, type, perimetre, taux_flux, garantie_emprunt,
--   date_signature, fin_droits, debut_droits, annee_debut, annee_fin, en_vigueur.
with {{ conventions/periodes }},
conv as (
    select p.reservataire_id, p.nom, p.type, p.perimetre, p.taux_flux, p.garantie_emprunt,
           p.date_signature, p.fin_garantie as fin_droits,
           case when p.debut > make_date($annee, 1, 1) then p.debut end as debut_droits,
           year(p.debut) as annee_debut, year(p.fin) as annee_fin,
           p.debut <= make_date($annee, 12, 31) and p.fin >= make_date($annee, 1, 1)
               as en_vigueur,
           row_number() over (
               partition by p.reservataire_id
               order by (p.debut <= make_date($annee, 12, 31)
                         and p.fin >= make_date($annee, 1, 1)) desc,
                        coalesce(p.date_signature, date '1900-01-01') desc,
                        p.fin desc, p.debut desc, p.convention_id desc) as rang
    from conv_periode p
    where p.departement = $dep and p.localisee
),
sans_convention as (
    -- the stock rows of réservataires without a convention here first (a few), then their
    -- dwellings in the département
    select distinct s.reservataire_id, coalesce(r.nom, s.reservataire_id) as nom,
           coalesce(r.type, 'AUTRE') as type
    from (select reservataire_id, logement_id
          from reservation_stock
          where reservataire_id not in (select reservataire_id from conv)) s
    join logement l using (logement_id)
    join residence res using (residence_id)
    left join reservataire r using (reservataire_id)
    where res.departement = $dep
),
final as (
    select reservataire_id, nom, type, perimetre, taux_flux, garantie_emprunt,
           date_signature, fin_droits, debut_droits, annee_debut, annee_fin, en_vigueur
    from conv
    where rang = 1
    union all
    select reservataire_id, nom, type, null, null, false, null, null, null, null, null, false
    from sans_convention
)
select * from final
order by perimetre nulls first, taux_flux desc nulls last, reservataire_id
