-- Delete the demandes past their retention (retention/demandes). Returns the count.
delete from demande
where demande_id in (select demande_id from ({{ retention/demandes }}))
