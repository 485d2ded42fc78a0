-- Demandes to purge (docs/donnees-personnelles.md). Without $identifiant (NULL): those past
-- their retention, closed (radiated for an attribution, not renewed, given up: any status but
-- ACTIVE) and radiated more than $duree_demandes months before $aujourdhui (0 months: never);
-- a closed demande without a date of radiation is never selected (nothing says when its time
-- runs out). With $identifiant: the demande of that identifier, whatever its age.
-- $aujourdhui, $duree_demandes, $identifiant. Returns: demande_id.
with final as (
    select demande_id
    from demande
    where (cast($identifiant as varchar) is null
           and cast($duree_demandes as integer) > 0
           and statut <> 'ACTIVE'
           and date_radiation < cast($aujourdhui as date)
                                - to_months(cast($duree_demandes as integer)))
       or demande_id = cast($identifiant as varchar)
)
select demande_id from final
