-- Other inputs of the assiette of a territory: first lettings of the year, dwellings out of
-- the flux, and past internal uses per category (the default forecast of subtractions).
-- $dep, $perim, $annee, $nb as in segments.sql; read on the maintained state (fait_parc,
-- fait_liberation).
-- Returns one row: premieres (flux dwellings put in service during $annee), hors_flux,
--   soustraits (list of {categorie, par_an}: each subtracted category used in the past $nb
--   years, mean per year; a category absent was not used).
with log as (
    select hors_flux_motif, debut_annee_service, logements
    from fait_parc
    where departement = $dep
      and ($perim is null or commune_insee = $perim or epci_siren = $perim)
),
internes as (
    select o.destinataire, count(*) as n
    from orientation o
    join fait_liberation b using (liberation_id)
    where b.departement = $dep
      and ($perim is null or b.commune_insee = $perim or b.epci_siren = $perim)
      and b.hors_flux_motif is null
      and {{ assiette/usage_interne_passe }}
    group by all
),
final as (
    select
        (select coalesce(sum(logements), 0) from log where hors_flux_motif is null
            and year(debut_annee_service) = $annee)::bigint as premieres,
        (select coalesce(sum(logements), 0) from log
            where hors_flux_motif is not null)::bigint as hors_flux,
        coalesce((select list({'categorie': destinataire, 'par_an': n / $nb}
                              order by destinataire) from internes), []) as soustraits
)
select * from final
