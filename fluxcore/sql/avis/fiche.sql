-- The notice of availability of one orientation (fluxcore.avis, docs/avis.md): the dwelling,
-- its résidence and commune by name, the réservataire. The convention's delay and number of
-- candidates come from fluxcore.suivi (sql/suivi/delais.sql, the rule's one home). No
-- household data.
-- $orientation. Returns at most one row: orientation_id, destinataire, date_orientation,
--   date_limite, statut, date_liberation, logement_id, typologie, nb_pieces, surface_m2,
--   financement, loyer_mensuel, etage, ascenseur, accessible_pmr, residence, adresse, commune
--   (NULL when the commune is not in the référentiel), en_qpv, qpv (name, NULL if unknown),
--   reservataire_id (NULL: an internal destination), reservataire_nom, reservataire_email.
with choisie as (
    select o.orientation_id, o.destinataire, o.date_orientation, o.date_limite, o.statut,
           b.date_liberation, l.logement_id, l.typologie, l.nb_pieces, l.surface_m2,
           l.financement, l.loyer_mensuel, l.etage, l.ascenseur, l.accessible_pmr,
           r.nom as residence, r.adresse, c.nom as commune, r.en_qpv, q.nom as qpv,
           r.departement, rv.reservataire_id, rv.nom as reservataire_nom,
           nullif(trim(rv.email), '') as reservataire_email
    from orientation o
    join liberation b using (liberation_id)
    join logement l using (logement_id)
    join residence r using (residence_id)
    left join ref_commune c on c.code_insee = r.commune_insee
    left join ref_qpv q on q.qpv_code = r.qpv_code
    left join reservataire rv on rv.reservataire_id = o.destinataire
    where o.orientation_id = $orientation
)
select * exclude (departement) from choisie
