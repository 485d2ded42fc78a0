-- Predicate, included by {{ assiette/liberation_observee }}, {{ assiette/rotation_observee }}
-- and {{ assiette/usage_interne_passe }} (alias b: the libération): it falls in the $nb years
-- observed before $annee.
year(b.date_liberation) between $annee - $nb and $annee - 1
