-- Predicate, included as `where {{ assiette/usage_interne_passe }}` (aliases b = liberation,
-- o = orientation): the libération of the $nb years before $annee went to an internal use
-- (the subtracted categories). The default forecast of the subtractions.
year(b.date_liberation) between $annee - $nb and $annee - 1
      and o.destinataire in {{ codes/soustraits }}
