-- The flux that entered each réservataire's perimeters during the year, per category of each
-- dimension of the bilan: the reference its own mix is compared with (quality of the flux).
-- Parameters: those of {{ jauges/lignes }} plus $bornes (construction-period bands).
-- Returns: reservataire_id, dimension, categorie, flux (distinct libérations: two conventions
--   of one réservataire covering the same dwelling count it once).
with {{ jauges/lignes }},
c as (
    select distinct reservataire_id, liberation_id, typologie, financement, en_qpv,
           commune_insee,
           case when annee_construction is not null
                then len(list_filter($bornes, lambda b: b <= annee_construction)) end as periode
    from cl
),
dims as (
    select reservataire_id,
           unnest(['typologie', 'financement', 'qpv', 'commune', 'construction']) as dimension,
           unnest([typologie, financement, case when en_qpv then 'QPV' else 'HORS_QPV' end,
                   commune_insee, coalesce(periode::varchar, 'INCONNUE')]) as categorie
    from c
),
final as (
    select reservataire_id, dimension, categorie, count(*) as flux
    from dims group by all
)
select * from final order by reservataire_id, dimension, categorie
