-- Préfectoral dérogations (R441-5-2) of the territory's départements that touch the year.
-- $annee, $dep, $epci, $commune. Returns: derogation_id, departement, arrete, date_debut,
--   date_fin, taux_max, taux_agents_max.
with departements as (
    select distinct departement
    from residence
    where ($dep is null or departement = $dep)
      and ($epci is null or epci_siren = $epci)
      and ($commune is null or commune_insee = $commune)
),
final as (
    select d.derogation_id, d.departement, d.arrete, d.date_debut, d.date_fin, d.taux_max,
           d.taux_agents_max
    from derogation d
    join departements using (departement)
    where d.date_debut <= make_date($annee, 12, 31)
      and d.date_fin >= make_date($annee, 1, 1)
)
select * from final order by departement, date_debut, derogation_id
