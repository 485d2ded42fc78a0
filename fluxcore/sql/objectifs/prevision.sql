-- Leases still expected this year per EPCI and QPV status, from the flux forecast: the parc
-- times the rotation observed over the $nb previous years (first lettings excluded), times the
-- share of the year after $arret (observed rotation as in the assiette:
-- {{ assiette/liberation_observee }} over {{ regles/annees_observees }}). $annee, $arret, $nb,
-- $epci, $dep.
-- Returns: epci_siren, en_qpv, parc, prevision_annuelle, restant.
with log as (
    select l.logement_id, r.epci_siren, r.en_qpv, l.date_mise_en_service
    from logement l
    join residence r using (residence_id)
    where r.epci_siren is not null
      and ($epci is null or r.epci_siren = $epci)
      and ($dep is null or r.departement = $dep)
),
parc as (
    select epci_siren, en_qpv, count(*) as parc,
           sum({{ regles/annees_observees }}) as parc_annees
    from log
    group by all
),
lib as (
    select log.epci_siren, log.en_qpv, count(*) as n
    from liberation b
    join log using (logement_id)
    where {{ assiette/liberation_observee }}
    group by all
),
final as (
    select p.epci_siren, p.en_qpv, p.parc,
           p.parc * coalesce(l.n, 0) / nullif(p.parc_annees, 0) as prevision_annuelle,
           p.parc * coalesce(l.n, 0) / nullif(p.parc_annees, 0)
               * (make_date($annee, 12, 31) - cast($arret as date))
               / (make_date($annee, 12, 31) - make_date($annee, 1, 1) + 1) as restant
    from parc p
    left join lib l using (epci_siren, en_qpv)
)
select * from final
