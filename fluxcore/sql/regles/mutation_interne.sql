-- Expression, included as `{{ regles/mutation_interne }} as mutation` (aliases att =
-- attribution, o = its orientation, NULL when none): an internal mutation
-- (attribution.mutation_interne, or a dwelling oriented MUTATION) — subtracted from the flux
-- (R441-5 I), outside every prioritaires base (L441-1), counted apart in the statistics.
att.mutation_interne or coalesce(o.destinataire = 'MUTATION', false)
