-- Shared CTE (included as `with {{ sne/radiations }}`): every radiation of the SNE, with why
-- the reconciliation keeps it or sets it aside (fluxcore.sne). $motif_attribution (pattern of
-- a motif for attribution, on the lower-case motif without accents), $sirens (the landlord's
-- SIREN; empty: every radiation is the landlord's).
-- Adds: pour_attribution (motif empty or naming an attribution), autre_bailleur (recorded by
--   another landlord: a SIREN given and not one of $sirens). Only radiations pour_attribution
--   and not autre_bailleur take part in the pairing.
radiation as (
    select s.*,
           s.motif_radiation is null
           or regexp_matches(lower(strip_accents(s.motif_radiation)), $motif_attribution)
               as pour_attribution,
           len(cast($sirens as varchar[])) > 0 and s.siren_bailleur is not null
           and not list_contains(cast($sirens as varchar[]), s.siren_bailleur) as autre_bailleur
    from radiation_sne s
)
