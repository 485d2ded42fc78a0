-- Quality of each réservataire's flux: per dimension and category, the flux entered on its
-- perimeters on the days of its rights, the dwellings delivered to it, and what it is owed.
-- Parameters: those of {{ jauges/lignes }}.
-- Returns: reservataire_id, type, dimension (typologie, qpv, financement, commune),
--   categorie, flux (a dwelling under the préfet's own convention and a line of rights it took
--   back counts once: the reprise line adds to the flux only where the préfet holds no
--   convention of its own in the département), orientes (`livre`), du (Σ rate of its lines).
with {{ jauges/lignes }},
items as (
    select reservataire_id, type, typologie, en_qpv, financement, commune_insee,
           taux_flux / 100.0 as du, case when doublon then 0 else 1 end as flux, 0 as oriente
    from cl
    union all
    select destinataire, type, typologie, en_qpv, financement, commune_insee, 0.0, 0, 1
    from livre
),
dims as (
    select reservataire_id, type, du, flux, oriente,
           unnest(['typologie', 'qpv', 'financement', 'commune']) as dimension,
           unnest([typologie, case when en_qpv then 'QPV' else 'Hors QPV' end, financement,
                   commune_insee]) as categorie
    from items
),
final as (
    select reservataire_id, type, dimension, categorie, sum(flux)::bigint as flux,
           sum(oriente)::bigint as orientes, sum(du) as du
    from dims group by all
)
select * from final order by reservataire_id, dimension, categorie
