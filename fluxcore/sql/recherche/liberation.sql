-- Where one libération stands (deep link ?liberation=, fluxcore.recherche.etat_liberation).
-- $liberation, $aujourdhui.
-- Returns at most one row: liberation_id, logement_id, date_liberation, etat
--   ({{ recherche/etat }}), statut (of its latest orientation), destinataire (its name).
with derniere as (
    select * from orientation where liberation_id = $liberation
    order by date_orientation desc, orientation_id desc limit 1
),
final as (
    select b.liberation_id, b.logement_id, b.date_liberation,
           {{ recherche/etat }} as etat,
           o.statut, coalesce(rv.nom, o.destinataire) as destinataire
    from liberation b
    left join derniere o on true
    left join reservataire rv on rv.reservataire_id = o.destinataire
    where b.liberation_id = $liberation
)
select * from final
