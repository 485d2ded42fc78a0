-- The fingerprint of what the vacancy model of a département reads (the CTEs of
-- {{ simulation/historique_sources }}, whole rows): counts and sums of row hashes. A stored
-- model (table modele_vacance) is used only when its fingerprint equals this one.
-- $dep, $annee, $nb. Returns: logements, h_logements, liberations, h_liberations.
with {{ simulation/historique_sources }},
final as (
    select l.n as logements, l.h as h_logements, b.n as liberations, b.h as h_liberations
    from (select count(*) as n, coalesce(sum(hash(log)), 0) as h from log) l
    cross join (select count(*) as n, coalesce(sum(hash(libs)), 0) as h from libs) b
)
select * from final
