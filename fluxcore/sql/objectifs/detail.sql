-- CIL figures per résidence of the EPCI's leases of the period (the page sums them per
-- commune). $annee, $debut, $arret, $epci, $dep.
-- Returns: commune_insee, commune, residence_id, residence, en_qpv, baux, q1_ou_reloges,
--   q234, baux_hors_mutation (prioritaires base), prioritaires (among them).
with {{ objectifs/baux }},
final as (
    select b.commune_insee, coalesce(c.nom, b.commune_insee) as commune, b.residence_id,
           b.residence, b.en_qpv, count(*) as baux,
           count(*) filter (where q1_ou_reloge) as q1_ou_reloges,
           count(*) filter (where q1 = false) as q234,
           count(*) filter (where not mutation) as baux_hors_mutation,
           count(*) filter (where prioritaire and not mutation) as prioritaires
    from baux b
    left join ref_commune c on c.code_insee = b.commune_insee
    group by all
)
select * from final order by commune, residence
