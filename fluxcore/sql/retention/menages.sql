-- Attributions whose household data is to erase, with some household field still filled
-- (retention/menage_efface.sql says which, and what they become). Without $identifiant
-- (NULL): lease signed (else CALEOL held) more than $duree_menages years before $aujourdhui
-- (0: never). With $identifiant: the household of that identifier, or the attribution of
-- that demande (numéro unique), whatever its age.
-- $aujourdhui, $duree_menages, $identifiant. Returns: attribution_id.
with final as (
    select attribution_id
    from attribution
    where ((cast($identifiant as varchar) is null
            and cast($duree_menages as integer) > 0
            and coalesce(date_bail, date_caleol) < cast($aujourdhui as date)
                                                   - to_years(cast($duree_menages as integer)))
           or menage_id = cast($identifiant as varchar)
           or numero_unique = cast($identifiant as varchar))
      and not ({{ retention/menage_efface }})
)
select attribution_id from final
