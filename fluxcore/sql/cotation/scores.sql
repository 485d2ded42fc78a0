-- Score of every active demande filed by $date, under the grid of its EPCI (commune wished →
-- ref_commune.epci_siren) in force at $date. Criteria listed twice count once; the special
-- codes ANCIENNETE_MOIS (points per complete month since filing) and REFUS (points per
-- refusal of a suitable dwelling) are never read from the demande's own list.
-- One row per demande: demande_id, date_depot, commune_souhaitee, typologie_souhaitee,
--   taille_menage, ressources_uc, criteres, nb_refus, salarie, agent_public, epci_siren,
--   version (NULL: no grid in force for its EPCI), anciennete_mois, points_criteres,
--   points_anciennete, points_refus, score (NULL without grid).
with dem as (
    select d.demande_id, d.date_depot, d.commune_souhaitee, d.typologie_souhaitee,
           d.taille_menage, d.ressources_uc, coalesce(d.criteres, []) as criteres, d.nb_refus,
           d.salarie, d.agent_public, c.epci_siren,
           date_sub('month', d.date_depot, $date::date) as anciennete_mois
    from demande d
    left join ref_commune c on c.code_insee = d.commune_souhaitee
    where d.statut = 'ACTIVE' and d.date_depot <= $date
),
vig as (
    {{ cotation/versions }}
),
grille as (
    select g.epci_siren, g.critere, g.points
    from grille_cotation g join vig using (epci_siren, version)
),
crit as (
    select x.demande_id, sum(g.points) as points_criteres
    from (select demande_id, epci_siren, unnest(list_distinct(criteres)) as critere
          from dem) x
    join grille g on g.epci_siren = x.epci_siren and g.critere = x.critere
    where g.critere not in ('ANCIENNETE_MOIS', 'REFUS')
    group by x.demande_id
)
select d.*, v.version,
       case when v.version is not null then coalesce(c.points_criteres, 0) end
           as points_criteres,
       case when v.version is not null then coalesce(a.points, 0) * d.anciennete_mois end
           as points_anciennete,
       case when v.version is not null then coalesce(r.points, 0) * d.nb_refus + 0.0 end
           as points_refus,
       case when v.version is not null then coalesce(c.points_criteres, 0)
           + coalesce(a.points, 0) * d.anciennete_mois + coalesce(r.points, 0) * d.nb_refus
       end as score
from dem d
left join vig v on v.epci_siren = d.epci_siren
left join crit c on c.demande_id = d.demande_id
left join grille a on a.epci_siren = d.epci_siren and a.critere = 'ANCIENNETE_MOIS'
left join grille r on r.epci_siren = d.epci_siren and r.critere = 'REFUS'
