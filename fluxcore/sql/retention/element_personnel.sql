-- Condition, included in retention/journal and retention/purger_journal: the element
-- (entity_id) of an audit row names a person — a row of a table whose identifier is a
-- demande's numéro unique ($tables_personnelles), or of an action whose element is what
-- someone typed ($actions_element_personnel: the identifier of a locked-out sign-in).
(list_contains($tables_personnelles, table_name)
 or list_contains($actions_element_personnel, action))
