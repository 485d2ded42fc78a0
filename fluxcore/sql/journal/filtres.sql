-- What the journal's filters offer: every user, action code and table of the audit log, with
-- the first and last day logged. Returns: genre ('acteur', 'action', 'table', 'debut', 'fin'),
-- valeur.
with tables as (
    select distinct unnest(string_split(table_name, ',')) as valeur from audit_log
    where table_name is not null
),
final as (
    select distinct 'acteur' as genre, actor as valeur from audit_log
    union all select distinct 'action', action from audit_log
    union all select 'table', valeur from tables
    union all select 'debut', strftime(min(logged_at), '%Y-%m-%d') from audit_log
    union all select 'fin', strftime(max(logged_at), '%Y-%m-%d') from audit_log
)
select * from final where valeur is not null order by genre, valeur
