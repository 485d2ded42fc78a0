-- The audit rows of one orientation: those about it (entity_id) and those of its
-- candidatures and attributions (details.orientation_id, written by fluxcore.suivi).
-- $orientation. Returns: audit_id, logged_at, actor, action, table_name, entity_id, details.
with final as (
    select audit_id, logged_at, actor, action, table_name, entity_id, details
    from audit_log
    where entity_id = $orientation
       or case when json_valid(details)
               then json_extract_string(details, '$.orientation_id') end = $orientation
)
select * from final order by audit_id
