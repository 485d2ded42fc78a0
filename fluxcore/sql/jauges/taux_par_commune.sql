-- Rates in force on each commune of the patrimoine (conventions covering it), for the limits.
-- $annee, $dep, $epci, $commune. Returns: departement, commune_insee, total, prefet, agents,
--   garantie, derogation_fin (latest préfet derogation), date_signature (of that convention).
with communes as (
    select distinct departement, commune_insee, epci_siren
    from residence
    where ($dep is null or departement = $dep)
      and ($epci is null or epci_siren = $epci)
      and ($commune is null or commune_insee = $commune)
),
final as (
    select c.departement, c.commune_insee,
           sum(v.taux_flux) as total,
           coalesce(sum(v.taux_flux) filter (where r.type in ('PREFET', 'PREFET_FONCTIONNAIRES')),
                    0) as prefet,
           coalesce(sum(v.taux_flux) filter (where r.type = 'PREFET_FONCTIONNAIRES'), 0)
               as agents,
           coalesce(sum(v.taux_flux) filter (where v.garantie_emprunt), 0) as garantie,
           max(v.derogation_fin) filter (where r.type in ('PREFET', 'PREFET_FONCTIONNAIRES'))
               as derogation_fin,
           arg_max(v.date_signature, v.derogation_fin)
               filter (where r.type in ('PREFET', 'PREFET_FONCTIONNAIRES')
                       and v.derogation_fin is not null) as date_signature
    from communes c
    join convention v on v.departement = c.departement
     and $annee between v.annee_debut and v.annee_fin
     and dans_perimetre(v.perimetre, c.commune_insee, c.epci_siren)
    join reservataire r using (reservataire_id)
    group by all
)
select * from final order by departement, commune_insee
