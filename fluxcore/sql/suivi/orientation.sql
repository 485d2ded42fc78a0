-- One orientation with its destinataire and the terms of its convention ({{ suivi/delais }}).
-- $orientation (NULL: every orientation, for the demo). Returns at most one row:
--   orientation_id, liberation_id, logement_id, destinataire, destinataire_nom (réservataire's name, else the code), destinataire_type
--   (NULL: an internal destination), statut, date_orientation, decided_by, justification,
--   convention_id, delai_jours, nb_candidats_max, delai_convention,
--   nb_candidats_max_convention (NULL: the setting applies), date_limite_calculee,
--   date_limite, modifie_le.
with orientation_vue as (select * from orientation
                        where $orientation is null or orientation_id = $orientation),
{{ suivi/delais }},
final as (
    select d.orientation_id, d.liberation_id, b.logement_id, d.destinataire,
           coalesce(rv.nom, d.destinataire) as destinataire_nom,
           rv.type as destinataire_type, d.statut, d.date_orientation, o.decided_by,
           o.justification, d.convention_id, d.delai_jours, d.nb_candidats_max,
           d.delai_convention, d.nb_candidats_max_convention,
           d.date_limite_calculee, d.date_limite, d.modifie_le
    from delai d
    join orientation o using (orientation_id)
    join liberation b on b.liberation_id = d.liberation_id
    left join reservataire rv on rv.reservataire_id = d.destinataire
)
select * from final
