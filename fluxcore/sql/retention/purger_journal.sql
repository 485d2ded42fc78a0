-- Reduce the details of the audit rows to purge (retention/journal) and forget their element
-- when it names a person (retention/element_personnel) or is the $identifiant erased (in a
-- table of personal data, $tables_effacement); action, date, actor and table stay.
-- Returns the count.
update audit_log
set details = {{ retention/details_reduits }},
    entity_id = case when {{ retention/element_personnel }}
                          or (entity_id = cast($identifiant as varchar)
                              and list_contains($tables_effacement, table_name)) then null
                     else entity_id end
where audit_id in (select audit_id from ({{ retention/journal }}))
