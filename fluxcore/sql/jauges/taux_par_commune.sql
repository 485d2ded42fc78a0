-- Rates in force on each commune of the patrimoine, stretch by stretch of the year, for the
-- legal limits (R441-5, R441-5-2). The rights and their days come from {{ conventions/droits }}
-- (a convention's own dates, the end of a loan guarantee, one convention per réservataire,
-- the préfet's reprises). A new stretch starts wherever a right of the département starts or
-- ends. A right the préfet exercises for a réservataire taken back (repris_de) counts in the
-- sum of rates, not in the préfet's own 30 % (fluxcore.conventions).
-- $annee, $dep, $epci, $commune. Returns: departement, commune_insee, du, au (first and last
--   day of the stretch), total, prefet, agents, garantie (sums of rates, %).
with {{ conventions/droits }},
communes as (
    select distinct departement, commune_insee, epci_siren
    from residence
    where ($dep is null or departement = $dep)
      and ($epci is null or epci_siren = $epci)
      and ($commune is null or commune_insee = $commune)
),
annee as (
    select departement, perimetre, taux_flux, garantie_emprunt, type, repris_de,
           debut as du, fin as au
    from droit
    where departement in (select departement from communes)
),
bornes as (
    select departement, du as jour from annee
    union
    select departement, au + 1 from annee where au < make_date($annee, 12, 31)
),
periodes as (
    select departement, jour as du,
           coalesce(lead(jour) over (partition by departement order by jour) - 1,
                    make_date($annee, 12, 31)) as au
    from bornes
),
final as (
    select c.departement, c.commune_insee, p.du, p.au,
           sum(v.taux_flux) as total,
           coalesce(sum(v.taux_flux) filter (where v.type in {{ codes/types_prefet }}
                                             and v.repris_de is null), 0) as prefet,
           coalesce(sum(v.taux_flux) filter (where v.type = 'PREFET_FONCTIONNAIRES'), 0)
               as agents,
           coalesce(sum(v.taux_flux) filter (where v.garantie_emprunt), 0) as garantie
    from communes c
    join periodes p using (departement)
    join annee v on v.departement = c.departement
     and p.du between v.du and v.au
     and dans_perimetre(v.perimetre, c.commune_insee, c.epci_siren)
    group by all
)
select * from final order by departement, commune_insee, du
