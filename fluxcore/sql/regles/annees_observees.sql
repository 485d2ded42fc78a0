-- Expression, included as `sum({{ regles/annees_observees }})` (the one column
-- date_mise_en_service in scope, a dwelling's; $annee, $nb): how many of the $nb years before
-- $annee the dwelling was in the parc on 1 January — the denominator of the observed rotation
-- (dwelling-years of exposure; the numerator is {{ assiette/liberation_observee }}).
greatest(0, $annee - greatest($annee - $nb, {{ regles/premiere_annee_au_parc }}))
