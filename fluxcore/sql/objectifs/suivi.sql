-- CIL indicators per EPCI for the leases signed from $debut to $arret (docs/regles.md#objectifs).
-- $annee, $debut, $arret, $epci, $dep. Every EPCI with patrimoine in the scope is listed.
-- Returns: epci_siren, nom, baux, baux_hors_qpv, q1_hors_qpv, baux_qpv, q234_qpv,
--   baux_hors_mutation (the prioritaires base: internal mutations left out), prioritaires
--   (among them), quartile_inconnu.
with {{ objectifs/baux }},
epcis as (
    select distinct r.epci_siren
    from residence r
    where r.epci_siren is not null
      and ($epci is null or r.epci_siren = $epci)
      and ($dep is null or r.departement = $dep)
),
agg as (
    select epci_siren,
           count(*) as baux,
           count(*) filter (where not en_qpv) as baux_hors_qpv,
           count(*) filter (where not en_qpv and q1_ou_reloge) as q1_hors_qpv,
           count(*) filter (where en_qpv) as baux_qpv,
           count(*) filter (where en_qpv and q1 = false) as q234_qpv,
           count(*) filter (where not mutation) as baux_hors_mutation,
           count(*) filter (where prioritaire and not mutation) as prioritaires,
           count(*) filter (where q1 is null) as quartile_inconnu
    from baux
    group by epci_siren
),
final as (
    select e.epci_siren, coalesce(x.nom, 'EPCI ' || e.epci_siren) as nom,
           coalesce(a.baux, 0) as baux, coalesce(a.baux_hors_qpv, 0) as baux_hors_qpv,
           coalesce(a.q1_hors_qpv, 0) as q1_hors_qpv, coalesce(a.baux_qpv, 0) as baux_qpv,
           coalesce(a.q234_qpv, 0) as q234_qpv,
           coalesce(a.baux_hors_mutation, 0) as baux_hors_mutation,
           coalesce(a.prioritaires, 0) as prioritaires,
           coalesce(a.quartile_inconnu, 0) as quartile_inconnu
    from epcis e
    left join agg a using (epci_siren)
    left join ref_epci x using (epci_siren)
)
select * from final order by nom
