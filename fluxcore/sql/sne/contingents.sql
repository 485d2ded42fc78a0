-- Shared CTEs (included as `with {{ sne/contingents }}`): the SNE contingent each réservataire
-- is charged to. $types / $type_contingents (setting sne_contingent_par_type), $res_ids /
-- $res_contingents (sne_contingent_par_reservataire: réservataires set apart), as
-- fluxcore.sne.parametres_contingent gives them.
-- resa: reservataire_id, nom, contingent (its own, else its type's, else AUTRES).
contingent_type as (
    select unnest(cast($types as varchar[])) as type,
           unnest(cast($type_contingents as varchar[])) as contingent
),
contingent_res as (
    select unnest(cast($res_ids as varchar[])) as reservataire_id,
           unnest(cast($res_contingents as varchar[])) as contingent
),
resa as (
    select r.reservataire_id, r.nom, coalesce(cr.contingent, ct.contingent, 'AUTRES') as contingent
    from reservataire r
    left join contingent_res cr using (reservataire_id)
    left join contingent_type ct using (type)
)
