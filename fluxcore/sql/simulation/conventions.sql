-- The convention each réservataire holds in a département for a period starting in $annee:
-- the one in force that year, else its latest one (a renegotiation starts from it), and the
-- réservataires with stock rights but no convention (to convert).
-- $dep, $annee. Returns: reservataire_id, nom, type, perimetre, taux_flux, garantie_emprunt,
--   date_signature, derogation_fin, annee_debut, annee_fin, en_vigueur.
with conv as (
    select c.*, r.nom, r.type,
           $annee between c.annee_debut and c.annee_fin as en_vigueur,
           row_number() over (
               partition by c.reservataire_id, coalesce(c.perimetre, '')
               order by ($annee between c.annee_debut and c.annee_fin) desc,
                        c.annee_fin desc, c.annee_debut desc, c.convention_id) as rang
    from convention c
    join reservataire r using (reservataire_id)
    where c.departement = $dep
),
sans_convention as (
    select distinct s.reservataire_id, coalesce(r.nom, s.reservataire_id) as nom,
           coalesce(r.type, 'AUTRE') as type
    from reservation_stock s
    join logement l using (logement_id)
    join residence res using (residence_id)
    left join reservataire r using (reservataire_id)
    where res.departement = $dep
      and s.reservataire_id not in (select reservataire_id from conv)
),
final as (
    select reservataire_id, nom, type, perimetre, taux_flux, garantie_emprunt,
           date_signature, derogation_fin, annee_debut, annee_fin, en_vigueur
    from conv
    where rang = 1
    union all
    select reservataire_id, nom, type, null, null, false, null, null, null, null, false
    from sans_convention
)
select * from final
order by perimetre nulls first, taux_flux desc nulls last, reservataire_id
