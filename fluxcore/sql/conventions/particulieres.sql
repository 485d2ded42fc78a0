-- How many rights of year $annee are not a plain whole-year convention (on part of the year,
-- taken back by the préfet, or the préfet's line for rights taken back), in département $dep
-- (NULL: all): when none, the gauges need no remark (fluxcore.jauges.remarques_conventions).
-- Returns one row: n.
with {{ conventions/droits }},
final as (
    select count(*) as n
    from droit
    where ($dep is null or departement = $dep)
      and (reprise is not null
           or debut_convention > make_date($annee, 1, 1)
           or fin_convention < make_date($annee, 12, 31))
)
select * from final
