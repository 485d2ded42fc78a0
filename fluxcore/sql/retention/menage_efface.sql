-- Condition, included in retention/menages: the household fields of an attribution are
-- erased. menage_id, taille_menage, ressources_uc, quartile, relogement, numero_unique are
-- NULL; prioritaire, dalo, salarie (NOT NULL columns) are false. Kept: attribution_id,
-- orientation_id, logement_id, date_caleol, date_bail and mutation_interne (an internal
-- mutation is subtracted from the flux: regles/mutation_interne).
(menage_id is null and taille_menage is null and ressources_uc is null and quartile is null
 and relogement is null and numero_unique is null
 and not prioritaire and not dalo and not salarie)
