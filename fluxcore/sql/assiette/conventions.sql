-- Rights in force in a département for a year: each convention for the days it is in force,
-- plus the préfet's line for the rights it took back ({{ conventions/droits }}).
-- $dep, $annee. Returns: convention_id, reservataire_id, nom, type, perimetre, taux_flux,
--   garantie_emprunt, date_signature, debut, fin (its days within the year),
--   debut_convention, fin_convention, fin_garantie, remplacee_par, reprise, repris_de,
--   repris_de_nom.
with {{ conventions/droits }},
final as (
    select convention_id, reservataire_id, nom, type, perimetre, taux_flux, garantie_emprunt,
           date_signature, debut, fin, debut_convention, fin_convention, fin_garantie,
           remplacee_par, reprise, repris_de, repris_de_nom
    from droit
    where departement = $dep
)
select * from final order by perimetre nulls first, taux_flux desc, reservataire_id, convention_id
