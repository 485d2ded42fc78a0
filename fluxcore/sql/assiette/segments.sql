-- Parc and observed rotation per segment (typologie × QPV) of a territory, for the assiette.
-- $dep: département; $perim: commune INSEE or EPCI SIREN (NULL = whole département);
-- $annee: year of the assiette; $nb: number of past years observed (annee-nb .. annee-1).
-- Returns: typologie, en_qpv, parc (flux dwellings in service on 1 January of $annee),
--   parc_observe (Σ over past years of the parc on 1 January: {{ regles/annees_observees }}),
--   liberations_observees ({{ assiette/liberation_observee }}).
-- First lettings are not rotation: a libération within 31 days of the service date is one.
with log as (
    select l.logement_id, l.typologie, r.en_qpv, l.date_mise_en_service
    from logement l
    join residence r using (residence_id)
    where r.departement = $dep
      and l.hors_flux_motif is null
      and ($perim is null or r.commune_insee = $perim or r.epci_siren = $perim)
),
parc_obs as (
    select typologie, en_qpv, sum({{ regles/annees_observees }})::bigint as n
    from log
    where {{ regles/annees_observees }} > 0
    group by all
),
lib_obs as (
    select log.typologie, log.en_qpv, count(*) as n
    from liberation b
    join log using (logement_id)
    where {{ assiette/liberation_observee }}
    group by all
),
parc as (
    select typologie, en_qpv, count(*) as n
    from log
    where {{ regles/premiere_annee_au_parc }} <= $annee
    group by all
),
segments as (
    select typologie, en_qpv from parc
    union select typologie, en_qpv from parc_obs
),
final as (
    select s.typologie, s.en_qpv,
           coalesce(parc.n, 0) as parc,
           coalesce(parc_obs.n, 0) as parc_observe,
           coalesce(lib_obs.n, 0) as liberations_observees
    from segments s
    left join parc using (typologie, en_qpv)
    left join parc_obs using (typologie, en_qpv)
    left join lib_obs using (typologie, en_qpv)
)
select * from final order by typologie, en_qpv
