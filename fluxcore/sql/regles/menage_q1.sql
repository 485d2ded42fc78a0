-- Expression, included as `{{ regles/menage_q1 }} as q1` (aliases att = attribution, s = the
-- seuil_quartile row of the dwelling's EPCI for the year): the household is in the first
-- quartile of resources (L441-1, docs/regles.md#quartile): attribution.quartile = 1 when given, else
-- ressources_uc below the EPCI's threshold; NULL when neither is known.
coalesce(att.quartile = 1, att.ressources_uc < s.seuil_q1_uc)
