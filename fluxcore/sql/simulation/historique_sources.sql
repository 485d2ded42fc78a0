-- Shared CTEs (included with {{ simulation/historique_sources }}): what the vacancy model of a
-- département reads from the base, and nothing else — the training and prediction rows
-- (simulation/historique_logements) are built from these two only, and the stored model's
-- fingerprint (simulation/empreinte_modele) hashes these two only.
-- log: the flux dwellings of $dep with their résidence's territory and features.
-- libs: the (dwelling, year) pairs with an observed libération ({{ assiette/liberation_observee }},
--   the $nb years before $annee).
-- $dep, $annee, $nb.
log as (
    select l.logement_id, l.residence_id, r.commune_insee, r.epci_siren, l.typologie,
           r.en_qpv, l.financement, l.surface_m2, l.loyer_mensuel, r.annee_construction,
           year(l.date_mise_en_service) as annee_service, l.date_mise_en_service
    from logement l
    join residence r using (residence_id)
    where r.departement = $dep
      and l.hors_flux_motif is null
),
libs as (
    select distinct b.logement_id, year(b.date_liberation) as annee
    from liberation b
    join log using (logement_id)
    where {{ assiette/liberation_observee }}
)
