-- Every libération of the year with its dwelling and what became of it: the list behind the
-- bilan's counts (no household data). Parameters: those of {{ jauges/lignes }}.
-- Returns: liberation_id, logement_id, residence, commune_insee, departement, epci_siren,
--   typologie, financement, en_qpv, annee_construction, date_liberation, destinataire, statut,
--   dans_flux.
with {{ jauges/lignes }},
final as (
    select lib.liberation_id, lib.logement_id, r.nom as residence, lib.commune_insee,
           lib.departement, lib.epci_siren, lib.typologie, lib.financement, lib.en_qpv,
           lib.annee_construction, lib.date_liberation, lib.destinataire, lib.statut,
           coalesce(lib.destinataire, '') not in {{ codes/soustraits }}
               and ($premieres or not lib.premiere) as dans_flux
    from lib
    join logement l using (logement_id)
    join residence r using (residence_id)
)
select * from final order by date_liberation, liberation_id
