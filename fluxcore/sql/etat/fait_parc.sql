-- Definition of fait_parc (migration 009): dwellings per territory × segment × year of entry
-- into service (debut_annee_service: its 1 January, so that the rules written on
-- date_mise_en_service's year apply to it unchanged). Column order = the table's.
select r.departement, r.commune_insee, r.epci_siren, r.en_qpv, l.typologie, l.financement,
       l.hors_flux_motif, date_trunc('year', l.date_mise_en_service)::date as debut_annee_service,
       count(*) as logements
from logement l
join residence r using (residence_id)
group by all
