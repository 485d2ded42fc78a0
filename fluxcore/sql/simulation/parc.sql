-- Flux dwellings of a département per commune and segment, for each year of a period.
-- $dep: département; $debut, $fin: first and last year of the period.
-- Returns: commune_insee, epci_siren, typologie, en_qpv, annee,
--   parc (in service on 1 January), premieres (put in service during the year).
-- The dwellings are first counted per segment and service year (cohortes: a few thousand
-- rows), then spread over the years: the same counts as per dwelling and year.
with log as (
    select r.commune_insee, r.epci_siren, l.typologie, r.en_qpv,
           l.date_mise_en_service
    from logement l
    join residence r using (residence_id)
    where r.departement = $dep
      and l.hors_flux_motif is null
),
cohortes as (
    select commune_insee, epci_siren, typologie, en_qpv,
           {{ regles/premiere_annee_au_parc }} as premiere_annee,
           year(date_mise_en_service) as annee_service, count(*) as n
    from log
    group by all
),
annees as (
    select unnest(range($debut, $fin + 1)) as annee
),
final as (
    select c.commune_insee, c.epci_siren, c.typologie, c.en_qpv, a.annee,
           coalesce(sum(c.n) filter (where c.premiere_annee <= a.annee), 0)::bigint as parc,
           coalesce(sum(c.n) filter (where c.annee_service = a.annee), 0)::bigint as premieres
    from cohortes c cross join annees a
    group by all
)
select * from final
order by commune_insee, typologie, en_qpv, annee
