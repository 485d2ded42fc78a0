-- Parc and observed rotation per segment (typologie × QPV) of a territory, for the assiette.
-- $dep: département; $perim: commune INSEE or EPCI SIREN (NULL = whole département);
-- $annee: year of the assiette; $nb: number of past years observed (annee-nb .. annee-1).
-- Returns: typologie, en_qpv, parc (flux dwellings in service on 1 January of $annee),
--   parc_observe (Σ over past years of the parc on 1 January: {{ regles/annees_observees }}),
--   liberations_observees ({{ assiette/rotation_observee }}).
-- First lettings are not rotation: a libération within 31 days of the service date is one.
-- Read on the maintained state (fluxcore.etat): the parc from fait_parc (dwellings per year of
-- service: the rules read only that year), the libérations from fait_liberation.
with log as (
    select typologie, en_qpv, debut_annee_service as date_mise_en_service, logements
    from fait_parc
    where departement = $dep
      and hors_flux_motif is null
      and ($perim is null or commune_insee = $perim or epci_siren = $perim)
),
parc_obs as (
    select typologie, en_qpv, sum(logements * {{ regles/annees_observees }})::bigint as n
    from log
    where {{ regles/annees_observees }} > 0
    group by all
),
lib_obs as (
    select b.typologie, b.en_qpv, count(*) as n
    from fait_liberation b
    where b.departement = $dep
      and b.hors_flux_motif is null
      and ($perim is null or b.commune_insee = $perim or b.epci_siren = $perim)
      and {{ assiette/rotation_observee }}
    group by all
),
parc as (
    select typologie, en_qpv, sum(logements)::bigint as n
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
