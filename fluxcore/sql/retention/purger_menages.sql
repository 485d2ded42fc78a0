-- Erase the household fields of the attributions past their retention (retention/menages,
-- retention/menage_efface says which); the rows stay for the flux and the bilans.
-- Returns the count.
update attribution
set menage_id = null, taille_menage = null, ressources_uc = null, quartile = null,
    relogement = null, numero_unique = null, prioritaire = false, dalo = false,
    salarie = false
where attribution_id in (select attribution_id from ({{ retention/menages }}))
