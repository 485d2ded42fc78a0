-- Leases still expected this year per EPCI and QPV status, from the flux forecast: the parc
-- times the rotation observed over the $nb previous years (first lettings excluded), times the
-- share of the year after $arret (observed rotation as in the assiette:
-- {{ assiette/rotation_observee }} over {{ regles/annees_observees }}). $annee, $arret, $nb,
-- $epci, $dep. Read on the maintained state (fluxcore.etat): the parc from fait_parc (dwellings
-- per year of service, hors flux included), the libérations from fait_liberation.
-- Returns: epci_siren, en_qpv, parc, prevision_annuelle, restant.
with parc as (
    select epci_siren, en_qpv, sum(logements)::bigint as parc,
           sum(logements * {{ regles/annees_observees }}) as parc_annees
    from (select *, debut_annee_service as date_mise_en_service from fait_parc)
    where epci_siren is not null
      and ($epci is null or epci_siren = $epci)
      and ($dep is null or departement = $dep)
    group by all
),
lib as (
    select b.epci_siren, b.en_qpv, count(*) as n
    from fait_liberation b
    where b.epci_siren is not null
      and ($epci is null or b.epci_siren = $epci)
      and ($dep is null or b.departement = $dep)
      and {{ assiette/rotation_observee }}
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
