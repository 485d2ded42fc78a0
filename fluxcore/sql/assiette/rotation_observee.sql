-- Predicate, included as `where {{ assiette/rotation_observee }}` (alias b = a row of
-- fait_liberation): {{ assiette/liberation_observee }} read on the maintained state, where
-- the first letting is already the column `premiere` ({{ regles/premiere_location }}).
{{ assiette/annees_observation }} and not b.premiere
