-- Other inputs of the assiette of a territory: first lettings of the year, dwellings out of
-- the flux, and past internal uses per category (the default forecast of subtractions).
-- $dep, $perim, $annee, $nb as in segments.sql.
-- Returns one row: premieres (flux dwellings put in service during $annee), hors_flux,
--   soustraits (list of {categorie, par_an}: each subtracted category used in the past $nb
--   years, mean per year; a category absent was not used).
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
        coalesce((select list({'categorie': destinataire, 'par_an': n / $nb}
                              order by destinataire) from internes), []) as soustraits
)
select * from final
