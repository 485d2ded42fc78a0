-- Radiations of the SNE extract to purge. Without $identifiant (NULL): radiated more than
-- $duree_radiations_sne months before $aujourdhui (0: never). With $identifiant: the
-- radiation of that numéro unique.
-- $aujourdhui, $duree_radiations_sne, $identifiant. Returns: numero_unique.
with final as (
    select numero_unique
    from radiation_sne
    where (cast($identifiant as varchar) is null
           and cast($duree_radiations_sne as integer) > 0
           and date_radiation < cast($aujourdhui as date)
                                - to_months(cast($duree_radiations_sne as integer)))
       or numero_unique = cast($identifiant as varchar)
)
select numero_unique from final
