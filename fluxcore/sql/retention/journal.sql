-- Audit rows whose details or element are to reduce. Without $identifiant (NULL): logged
-- more than $duree_journal years before $aujourdhui (0: never), of an action that may cite a
-- person (not in $actions_conservees), whose details are not yet reduced
-- (retention/details_reduits) or whose element names a person
-- (retention/element_personnel). With $identifiant: whatever its age, every row of an action
-- that may cite a person (not in $actions_conservees) whose element is that identifier in a
-- table of personal data ($tables_effacement) or whose details cite it (as a JSON string).
-- $aujourdhui, $duree_journal, $actions_conservees, $tables_personnelles,
-- $actions_element_personnel, $tables_effacement, $identifiant.
-- Returns: audit_id.
with final as (
    select audit_id
    from audit_log
    where (cast($identifiant as varchar) is null
           and cast($duree_journal as integer) > 0
           and logged_at < cast($aujourdhui as date)
                           - to_years(cast($duree_journal as integer))
           and not list_contains($actions_conservees, action)
           and (details is distinct from ({{ retention/details_reduits }})
                or (entity_id is not null and {{ retention/element_personnel }})))
       or (not list_contains($actions_conservees, action)
           and ((entity_id = cast($identifiant as varchar)
                 and list_contains($tables_effacement, table_name))
                or contains(details, '"' || cast($identifiant as varchar) || '"')))
)
select audit_id from final
