-- The audit log, newest first, within the filters of the Données page's journal.
-- $debut, $fin: first day and day after the last one (null: no bound); $acteurs, $actions,
-- $tables: the users, action codes and tables kept (null: all; an import names several tables,
-- comma-separated, and is kept when one of them is); $limite: rows at most.
-- Returns: audit_id, logged_at, actor, action, table_name, entity_id, details.
with final as (
    select audit_id, logged_at, actor, action, table_name, entity_id, details
    from audit_log
    where ($debut is null or logged_at >= $debut)
      and ($fin is null or logged_at < $fin)
      and ($acteurs is null or list_contains($acteurs, actor))
      and ($actions is null or list_contains($actions, action))
      and ($tables is null
           or len(list_intersect($tables, string_split(coalesce(table_name, ''), ','))) > 0)
)
select * from final order by audit_id desc limit $limite
