-- Notices of availability logged (table avis, fluxcore.avis.journal_avis), newest first.
-- $orientation (NULL: every orientation). Returns: avis_id, cree_le, orientation_id,
--   reservataire_id, reservataire (its name), canal, destinataire, statut, erreur, cree_par,
--   sujet.
with final as (
    select a.avis_id, a.cree_le, a.orientation_id, a.reservataire_id,
           coalesce(r.nom, a.reservataire_id) as reservataire, a.canal, a.destinataire,
           a.statut, a.erreur, a.cree_par, a.sujet
    from avis a
    left join reservataire r using (reservataire_id)
    where $orientation is null or a.orientation_id = $orientation
)
select * from final
order by cree_le desc, avis_id desc
