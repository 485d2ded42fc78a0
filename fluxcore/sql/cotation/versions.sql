-- Grid version in force per EPCI at $date: the highest version whose date_effet is on or
-- before $date (a version without date_effet is in force from the start).
select epci_siren, max(version) as version
from grille_cotation
where date_effet is null or date_effet <= $date
group by epci_siren
