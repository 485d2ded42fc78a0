-- The pre-conversion inventory of a département on 1 January of $annee (first year of the
-- period), per réservataire and commune: flux dwellings in service with a droit de suite in
-- force, and the droits uniques still to use with their end date.
-- $dep, $annee. Returns: reservataire_id, commune_insee, epci_siren, type_droit,
--   logements (distinct dwellings: one row per dwelling × réservataire × type_droit, the
--   table's key), nb_droits, date_fin (droits uniques only, else NULL).
with log as (
    select l.logement_id, r.commune_insee, r.epci_siren
    from logement l
    join residence r using (residence_id)
    where r.departement = $dep
      and l.hors_flux_motif is null
      and {{ regles/premiere_annee_au_parc }} <= $annee
),
en_vigueur as (
    select s.reservataire_id, log.commune_insee, log.epci_siren, s.type_droit,
           s.logement_id, s.nb_droits,
           case when s.type_droit = 'UNIQUE' then s.date_fin end as date_fin
    from reservation_stock s
    join log using (logement_id)
    where s.date_fin is null or s.date_fin >= make_date($annee, 1, 1)
),
final as (
    select reservataire_id, commune_insee, epci_siren, type_droit, date_fin,
           count(*) as logements, sum(nb_droits) as nb_droits
    from en_vigueur
    where type_droit = 'SUITE' or nb_droits > 0
    group by all
)
select * from final
order by reservataire_id, commune_insee, type_droit, date_fin
