-- Quality of each réservataire's flux: per dimension and category, the flux entered on its
-- perimeters and the dwellings oriented to it. Parameters: those of {{ jauges/lignes }}.
-- Returns: reservataire_id, type, dimension (typologie, qpv, financement, commune),
--   categorie, flux, orientes.
with {{ jauges/lignes }},
dims as (
    select reservataire_id, type, destinataire = reservataire_id as oriente,
           unnest(['typologie', 'qpv', 'financement', 'commune']) as dimension,
           unnest([typologie, case when en_qpv then 'QPV' else 'Hors QPV' end, financement,
                   commune_insee]) as categorie
    from cl
),
final as (
    select reservataire_id, type, dimension, categorie, count(*) as flux,
           count(*) filter (where oriente) as orientes
    from dims group by all
)
select * from final order by reservataire_id, dimension, categorie
