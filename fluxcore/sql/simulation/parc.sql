-- Flux dwellings of a département per commune and segment, for each year of a period.
-- $dep: département; $debut, $fin: first and last year of the period.
-- Returns: commune_insee, epci_siren, typologie, en_qpv, annee,
--   parc (in service on 1 January), premieres (put in service during the year).
with log as (
    select r.commune_insee, r.epci_siren, l.typologie, r.en_qpv,
           l.date_mise_en_service
    from logement l
    join residence r using (residence_id)
    where r.departement = $dep
      and l.hors_flux_motif is null
),
annees as (
    select unnest(range($debut, $fin + 1)) as annee
),
final as (
    select log.commune_insee, log.epci_siren, log.typologie, log.en_qpv, a.annee,
           count(*) filter (where {{ regles/premiere_annee_au_parc }} <= a.annee) as parc,
           count(*) filter (where year(date_mise_en_service) = a.annee) as premieres
    from log cross join annees a
    group by all
)
select * from final
order by commune_insee, typologie, en_qpv, annee
