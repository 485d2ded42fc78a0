-- Observed rotation per commune and segment over the $nb years before $annee (the first
-- year of the period), with the same rule as the assiette engine ({{ regles/annees_observees }}
-- over {{ assiette/liberation_observee }}).
-- $dep, $annee, $nb. Returns: commune_insee, epci_siren, typologie, en_qpv,
--   parc_observe (Σ over past years of the parc on 1 January), liberations_observees.
with log as (
    select l.logement_id, r.commune_insee, r.epci_siren, l.typologie, r.en_qpv,
           l.date_mise_en_service
    from logement l
    join residence r using (residence_id)
    where r.departement = $dep
      and l.hors_flux_motif is null
),
parc_obs as (
    select commune_insee, epci_siren, typologie, en_qpv,
           sum({{ regles/annees_observees }})::bigint as n
    from log
    where {{ regles/annees_observees }} > 0
    group by all
),
lib_obs as (
    select log.commune_insee, log.epci_siren, log.typologie, log.en_qpv, count(*) as n
    from liberation b
    join log using (logement_id)
    where {{ assiette/liberation_observee }}
    group by all
),
final as (
    select commune_insee, epci_siren, typologie, en_qpv,
           coalesce(p.n, 0) as parc_observe,
           coalesce(l.n, 0) as liberations_observees
    from parc_obs p
    full join lib_obs l using (commune_insee, epci_siren, typologie, en_qpv)
)
select * from final
order by commune_insee, typologie, en_qpv
