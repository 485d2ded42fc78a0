-- Whether $identifiant names a person of the base (retention.effacer refuses any other): a
-- demande (demande_id, also the demande of a candidature), a household (menage_id of an
-- attribution, or the numéro unique of its demande) or an SNE radiation (numéro unique).
-- $identifiant. Returns: one boolean.
select exists (select 1 from demande where demande_id = cast($identifiant as varchar))
    or exists (select 1 from candidature where demande_id = cast($identifiant as varchar))
    or exists (select 1 from attribution
               where menage_id = cast($identifiant as varchar)
                  or numero_unique = cast($identifiant as varchar))
    or exists (select 1 from radiation_sne
               where numero_unique = cast($identifiant as varchar))
