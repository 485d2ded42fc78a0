-- Delete the SNE radiations past their retention (retention/radiations_sne). Returns the
-- count.
delete from radiation_sne
where numero_unique in (select numero_unique from ({{ retention/radiations_sne }}))
