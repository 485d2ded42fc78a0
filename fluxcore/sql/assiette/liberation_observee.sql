-- Predicate, included as `where {{ assiette/liberation_observee }}` (aliases b = liberation,
-- log = the dwellings): the libération counts in the observed rotation — in the $nb years
-- before $annee, and not a first letting (motif, or within 31 days of the service date).
{{ assiette/annees_observation }}
      and not {{ regles/premiere_location }}
