-- Forecast of the subtracted dwellings of year $annee (the prévisionnel's year N) per
-- category and commune: mean per year of the internal uses of the $nb previous years (the
-- assiette's default forecast, same predicate). $annee, $nb.
-- Returns: departement, epci_siren, commune_insee, categorie, prevision.
with final as (
    select r.departement, r.epci_siren, r.commune_insee, o.destinataire as categorie,
           count(*) / $nb as prevision
    from orientation o
    join liberation b using (liberation_id)
    join logement l using (logement_id)
    join residence r using (residence_id)
    where l.hors_flux_motif is null
      and {{ assiette/usage_interne_passe }}
    group by all
)
select * from final order by departement, epci_siren, commune_insee, categorie
