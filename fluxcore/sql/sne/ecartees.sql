-- Radiations of year $annee (whole base) the reconciliation sets aside, and why
-- ({{ sne/radiations }}). $annee, $motif_attribution, $sirens.
-- Returns one row: autre_motif (not a radiation for attribution), autre_bailleur (for
--   attribution, recorded by another landlord).
with {{ sne/radiations }}
select count(*) filter (where not pour_attribution) as autre_motif,
       count(*) filter (where pour_attribution and autre_bailleur) as autre_bailleur
from radiation
where year(date_radiation) = $annee
