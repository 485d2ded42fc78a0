-- Score of every active demande filed by $date, under the grid of its EPCI (commune wished →
-- ref_commune.epci_siren) in force at $date; only those of EPCI $epci, wishing commune
-- $commune, or demande $demande when these are not NULL (a demande's score never depends on
-- the others). Criteria listed twice count once; the special codes ANCIENNETE_MOIS (points
-- per complete month since filing) and REFUS (points per refusal of a suitable dwelling) are
-- never read from the demande's own list.
-- One row per demande: demande_id, date_depot, commune_souhaitee, typologie_souhaitee,
--   taille_menage, ressources_uc, criteres, nb_refus, salarie, agent_public, epci_siren,
--   version (NULL: no grid in force for its EPCI), anciennete_mois, points_criteres,
--   points_anciennete, points_refus, score (NULL without grid).
-- Set-based and cheap at the national volume: the criteria points are computed once per
-- distinct (EPCI, list of criteria) — a few thousand — then joined back to the demandes.
with dem as (
    select d.demande_id, d.date_depot, d.commune_souhaitee, d.typologie_souhaitee,
           d.taille_menage, d.ressources_uc, coalesce(d.criteres, []) as criteres, d.nb_refus,
           d.salarie, d.agent_public, c.epci_siren,
           date_sub('month', d.date_depot, $date::date) as anciennete_mois
    from demande d
    left join ref_commune c on c.code_insee = d.commune_souhaitee
    where d.statut = 'ACTIVE' and d.date_depot <= $date
      and ($epci is null or c.epci_siren = $epci)
      and ($commune is null or d.commune_souhaitee = $commune)
      and ($demande is null or d.demande_id = $demande)
),
vig as (
    {{ cotation/versions }}
),
grille as (
    select g.epci_siren, g.version, g.critere, g.points
    from grille_cotation g join vig using (epci_siren, version)
),
par_epci as (
    select epci_siren, any_value(version) as version,
           coalesce(max(points) filter (where critere = 'ANCIENNETE_MOIS'), 0) as pts_mois,
           coalesce(max(points) filter (where critere = 'REFUS'), 0) as pts_refus
    from grille
    group by epci_siren
),
combos as (
    select distinct epci_siren, criteres from dem where epci_siren in (select epci_siren
                                                                         from par_epci)
),
crit as (
    select x.epci_siren, x.criteres, sum(g.points) as points_criteres
    from (select epci_siren, criteres, unnest(list_distinct(criteres)) as critere
          from combos) x
    join grille g on g.epci_siren = x.epci_siren and g.critere = x.critere
    where g.critere not in ('ANCIENNETE_MOIS', 'REFUS')
    group by x.epci_siren, x.criteres
)
select d.*, e.version,
       case when e.version is not null then coalesce(c.points_criteres, 0) end
           as points_criteres,
       case when e.version is not null then e.pts_mois * d.anciennete_mois end
           as points_anciennete,
       case when e.version is not null then e.pts_refus * d.nb_refus + 0.0 end as points_refus,
       case when e.version is not null then coalesce(c.points_criteres, 0)
           + e.pts_mois * d.anciennete_mois + e.pts_refus * d.nb_refus
       end as score
from dem d
left join par_epci e on e.epci_siren = d.epci_siren
left join crit c on c.epci_siren = d.epci_siren and c.criteres = d.criteres
