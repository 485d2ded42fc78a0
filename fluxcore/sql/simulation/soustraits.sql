-- Dwellings used for each internal category per commune, mean per year over the $nb years
-- before $annee: the default forecast of the subtractions (as the assiette engine).
-- $dep, $annee, $nb. Returns: commune_insee, epci_siren, categorie, par_an.
with internes as (
    select r.commune_insee, r.epci_siren, o.destinataire as categorie, count(*) as n
    from orientation o
    join liberation b using (liberation_id)
    join logement l using (logement_id)
    join residence r using (residence_id)
    where r.departement = $dep
      and l.hors_flux_motif is null
      and {{ assiette/usage_interne_passe }}
    group by all
),
final as (
    select commune_insee, epci_siren, categorie, n / $nb as par_an
    from internes
)
select * from final
order by commune_insee, categorie
