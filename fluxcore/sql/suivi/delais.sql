-- Shared CTEs (included with {{ suivi/delais }}): the terms of the convention under which an
-- orientation was made (migration 008, fluxcore.suivi). The including query first defines
-- the CTE `orientation_vue` (rows of orientation): the orientations it needs (one, or those
-- that may still be in progress), so that the convention join runs on them only.
-- The convention of an orientation is the destinataire's convention in force on the day of
-- the orientation on a perimeter holding the dwelling: conv_unique of {{ conventions/periodes }}
-- (same département, dans_perimetre, date_orientation between its first and last day; one per
-- réservataire × département on any day, the latest signed of overlapping ones). A
-- destination that is no réservataire (BAILLEUR, MUTATION, RU…) has no deadline.
-- delai: one row per orientation: orientation_id, liberation_id, destinataire, statut,
--   date_orientation, modifie_le, departement, commune_insee, epci_siren, reservataire
--   (the destinataire is a réservataire), convention_id (NULL: none covers the dwelling),
--   delai_jours (the convention's delai_proposition_jours, else the setting of that name;
--   NULL for an internal destination), nb_candidats_max (the convention's, else the
--   setting), date_limite_calculee (date_orientation + delai_jours), date_limite (the one
--   recorded with the orientation, else the computed one: orientations made before
--   migration 008), delai_convention and nb_candidats_max_convention (the convention's own
--   values, NULL when it states none).
{{ conventions/periodes }},
delai_couvre as (
    select o.orientation_id, o.liberation_id, o.destinataire, o.statut, o.date_orientation,
           o.date_limite as date_limite_enregistree, o.modifie_le, r.departement,
           r.commune_insee, r.epci_siren, rv.reservataire_id is not null as reservataire,
           cu.convention_id, c.delai_proposition_jours, c.nb_candidats_max
    from orientation_vue o
    join liberation b using (liberation_id)
    join logement l using (logement_id)
    join residence r using (residence_id)
    left join reservataire rv on rv.reservataire_id = o.destinataire
    left join conv_unique cu on cu.reservataire_id = o.destinataire
         and cu.departement = r.departement
         and dans_perimetre(cu.perimetre, r.commune_insee, r.epci_siren)
         and o.date_orientation between cu.debut and cu.fin
    left join convention c on c.convention_id = cu.convention_id
    qualify row_number() over (partition by o.orientation_id
                               order by cu.debut desc nulls last, cu.convention_id) = 1
),
delai as (
    select d.* exclude (delai_proposition_jours, nb_candidats_max, date_limite_enregistree),
           d.delai_proposition_jours as delai_convention,
           d.nb_candidats_max as nb_candidats_max_convention,
           case when d.reservataire
                then coalesce(d.delai_proposition_jours, cast(sd.valeur as integer))
           end as delai_jours,
           coalesce(d.nb_candidats_max, cast(sn.valeur as integer)) as nb_candidats_max,
           cast(d.date_orientation + to_days(delai_jours) as date) as date_limite_calculee,
           coalesce(d.date_limite_enregistree, date_limite_calculee) as date_limite
    from delai_couvre d
    left join parametre sd on sd.cle = 'delai_proposition_jours'
    left join parametre sn on sn.cle = 'nb_candidats_max'
)
