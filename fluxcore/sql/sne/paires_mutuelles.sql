-- Query, included as `pN as (with c as (select * from cN) {{ sne/paires_mutuelles }})` (c:
-- candidate pairs attribution_id, numero_unique, ecart in days): the pairs in which each is the
-- other's nearest — each attribution's nearest radiation and each radiation's nearest
-- attribution, ties to the smaller id.
select x.attribution_id, x.numero_unique
    from (select attribution_id, arg_min(numero_unique, struct_pack(e := ecart,
                 n := numero_unique)) as numero_unique from c group by attribution_id) x
    join (select numero_unique, arg_min(attribution_id, struct_pack(e := ecart,
                 a := attribution_id)) as attribution_id from c group by numero_unique) y
      using (attribution_id, numero_unique)
