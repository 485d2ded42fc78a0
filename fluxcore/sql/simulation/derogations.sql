-- Préfectoral dérogations (R441-5-2) of a département touching a simulated period.
-- $dep, $debut, $fin (first and last year). Returns: derogation_id, departement, arrete,
--   date_debut, date_fin, taux_max, taux_agents_max.
with final as (
    select derogation_id, departement, arrete, date_debut, date_fin, taux_max, taux_agents_max
    from derogation
    where departement = $dep
      and date_debut <= make_date($fin, 12, 31)
      and date_fin >= make_date($debut, 1, 1)
)
select * from final order by date_debut, derogation_id
