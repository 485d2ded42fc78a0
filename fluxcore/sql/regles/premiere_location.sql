-- Expression, included as `{{ regles/premiere_location }}` (aliases b = the libération,
-- log = its dwelling): the libération is a first letting — motif PREMIERE_LOCATION, or vacated
-- within 31 days of the dwelling's entry into service. A first letting is never rotation
-- ({{ assiette/liberation_observee }}); whether it enters the flux is a setting. Stored as
-- fait_liberation.premiere (sql/etat/fait_liberation.sql).
coalesce(b.motif = 'PREMIERE_LOCATION'
         or b.date_liberation <= log.date_mise_en_service + interval 31 day, false)
