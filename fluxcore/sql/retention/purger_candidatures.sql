-- Delete the candidatures past their retention (retention/candidatures), before the demandes
-- they follow. Returns the count.
delete from candidature
where candidature_id in (select candidature_id from ({{ retention/candidatures }}))
