-- Predicate, included as `where {{ assiette/usage_interne_passe }}` (aliases b = liberation,
-- o = orientation): the libération of the $nb years before $annee went to an internal use
-- (the subtracted categories). The default forecast of the subtractions.
{{ assiette/annees_observation }}
      and o.destinataire in {{ codes/soustraits }}
