-- Other inputs of the assiette of a territory: first lettings of the year, dwellings out of
-- the flux, and past internal uses per category (the default forecast of subtractions).
-- $dep, $perim, $annee, $nb as in segments.sql.
-- Returns one row: premieres (flux dwellings put in service during $annee), hors_flux,
--   soustraits_MUTATION, _RU, _ORCOD, _LHI, _VENTE (mean per year over the past $nb years).
with log as (
    select l.logement_id, l.hors_flux_motif, l.date_mise_en_service
    from logement l
    join residence r using (residence_id)
    where r.departement = $dep
      and ($perim is null or r.commune_insee = $perim or r.epci_siren = $perim)
),
internes as (
    select o.destinataire, count(*) as n
    from orientation o
    join liberation b using (liberation_id)
    join log using (logement_id)
    where log.hors_flux_motif is null
      and {{ assiette/usage_interne_passe }}
    group by all
),
final as (
    select
        (select count(*) from log where hors_flux_motif is null
            and year(date_mise_en_service) = $annee) as premieres,
        (select count(*) from log where hors_flux_motif is not null) as hors_flux,
        coalesce((select n from internes where destinataire = 'MUTATION'), 0) / $nb
            as soustraits_MUTATION,
        coalesce((select n from internes where destinataire = 'RU'), 0) / $nb as soustraits_RU,
        coalesce((select n from internes where destinataire = 'ORCOD'), 0) / $nb
            as soustraits_ORCOD,
        coalesce((select n from internes where destinataire = 'LHI'), 0) / $nb as soustraits_LHI,
        coalesce((select n from internes where destinataire = 'VENTE'), 0) / $nb
            as soustraits_VENTE
)
select * from final
