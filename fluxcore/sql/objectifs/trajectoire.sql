-- Month-by-month cumulative CIL figures of one EPCI's leases of the year up to $arret.
-- $annee, $debut, $arret, $epci, $dep. Returns: mois (1–12), baux_hors_qpv, q1_hors_qpv,
--   baux_qpv, q234_qpv (cumulated from January).
with {{ objectifs/baux }},
mois as (
    select unnest(range(1, month(cast($arret as date)) + 1)) as mois
),
par_mois as (
    select month(date_bail) as mois,
           count(*) filter (where not en_qpv) as baux_hors_qpv,
           count(*) filter (where not en_qpv and q1_ou_reloge) as q1_hors_qpv,
           count(*) filter (where en_qpv) as baux_qpv,
           count(*) filter (where en_qpv and q1 = false) as q234_qpv
    from baux
    group by all
),
final as (
    select m.mois,
           sum(coalesce(p.baux_hors_qpv, 0)) over w as baux_hors_qpv,
           sum(coalesce(p.q1_hors_qpv, 0)) over w as q1_hors_qpv,
           sum(coalesce(p.baux_qpv, 0)) over w as baux_qpv,
           sum(coalesce(p.q234_qpv, 0)) over w as q234_qpv
    from mois m
    left join par_mois p using (mois)
    window w as (order by m.mois)
)
select * from final order by mois
