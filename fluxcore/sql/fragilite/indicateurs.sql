-- Indicators of every résidence of the scope on the reference date $arret ($epci, $dep NULL =
-- all): the occupation survey (OPS) at the finest level available (≤ year of $arret) and the
-- change since the previous wave of that level, the households that moved in over the last 24
-- months, rotation and vacancy of the last 12.
-- Survey level (niveau_enquete): 'résidence' when `occupation` has a wave for it; else
-- 'commune × QPV', the `occupation_territoire` row of its commune (an arrondissement municipal,
-- then its commune) and of its side of the QPV line (secteur QPV / HORS_QPV after en_qpv);
-- else 'commune' (secteur ENSEMBLE, same order); else NULL. Within a level, the latest wave.
-- At commune level, taux_rotation, taux_vacance, taux_impayes and nb_menages (the résidence's
-- households) stay NULL. The recent movers of the OPS (population EMMENAGES_RECENTS) are
-- chosen by the same rules and returned apart (recents_*): they do not feed entrees_*.
-- Returns: residence_id, nom, commune_insee, commune, epci_siren, departement, en_qpv, latitude,
--   longitude, logements, niveau_enquete, commune_enquete and nom_commune_enquete (the commune
--   whose aggregates were used, NULL at résidence level), annee_enquete, nb_menages, part_* and
--   taux_* of the survey, evol_ressources_faibles, evol_sans_emploi (points since the previous
--   wave of the same level), entrees_24m, entrees_q1_pct, entrees_prioritaires_pct,
--   entrees_dalo_pct, entrees_grandes_pct (6+ persons), entrees_seules_pct, liberations_12m,
--   rotation_12m_pct, vacants, vacants_pct, niveau_recents, nom_commune_recents, annee_recents,
--   recents_menages and recents_<share> (ressources_faibles, monoparentales, sans_emploi, apl,
--   personnes_seules, grandes_familles, moins_25, plus_65).
with res as (
    select r.residence_id, r.nom, r.commune_insee, r.epci_siren, r.departement, r.en_qpv,
           r.latitude, r.longitude
    from residence r
    where ($epci is null or r.epci_siren = $epci) and ($dep is null or r.departement = $dep)
),
nb as (
    select residence_id, count(*) as logements
    from logement join res using (residence_id)
    group by all
),
vagues as (
    select o.*, row_number() over (partition by o.residence_id order by o.annee desc) as rang
    from occupation o join res using (residence_id)
    where o.annee <= year(cast($arret as date))
),
ops as (
    -- every commune-level wave with the previous wave of the same commune × secteur
    select o.*,
           lag(o.part_ressources_faibles) over w as prev_ressources_faibles,
           lag(o.part_sans_emploi) over w as prev_sans_emploi
    from occupation_territoire o
    where o.annee <= year(cast($arret as date))
    window w as (partition by o.commune_insee, o.secteur, o.population order by o.annee)
),
codes as (
    -- where a résidence's commune figures may come from: its commune (rang 0), then, for an
    -- arrondissement municipal, its commune (rang 1); equi-joins only
    select residence_id, en_qpv, commune_insee as code, 0 as rang from res
    union all
    select residence_id, en_qpv, commune_mere(commune_insee), 1 from res
    where commune_mere(commune_insee) <> commune_insee
),
territoire as (
    -- the commune-level wave of each résidence and population: its side of the QPV line
    -- first, its own code before its parent commune's, then the latest year
    select k.residence_id, o.*,
           case when o.secteur = 'ENSEMBLE' then 'commune' else 'commune × QPV' end as niveau
    from codes k
    join ops o on o.commune_insee = k.code
    where o.secteur = 'ENSEMBLE'
       or o.secteur = case when k.en_qpv then 'QPV' when not k.en_qpv then 'HORS_QPV' end
    qualify row_number() over (
        partition by k.residence_id, o.population
        order by o.secteur = 'ENSEMBLE', k.rang, o.annee desc) = 1
),
entrees as (
    select l.residence_id, count(*) as n,
           count(*) filter (where {{ regles/menage_q1 }}) as q1,
           count(*) filter (where att.prioritaire or att.dalo) as prioritaires,
           count(*) filter (where att.dalo) as dalo,
           count(*) filter (where att.taille_menage >= 6) as grandes,
           count(*) filter (where att.taille_menage = 1) as seules
    from attribution att
    join logement l using (logement_id)
    join res r using (residence_id)
    left join seuil_quartile s on s.epci_siren = r.epci_siren and s.annee = year(att.date_bail)
    where att.date_bail > cast($arret as date) - interval 730 day
      and att.date_bail <= cast($arret as date)
    group by all
),
libs as (
    select l.residence_id, b.logement_id, b.date_liberation
    from liberation b
    join logement l using (logement_id)
    join res using (residence_id)
    where b.date_liberation <= cast($arret as date)
      and b.date_liberation > cast($arret as date) - interval 365 day
),
mouvements as (
    select residence_id, count(*) as liberations_12m,
           count(*) filter (where not exists (
               select 1 from attribution a where a.logement_id = libs.logement_id
                 and a.date_bail >= libs.date_liberation
                 and a.date_bail <= cast($arret as date))) as vacants
    from libs
    group by all
),
final as (
    select r.*, coalesce(c.nom, r.commune_insee) as commune, coalesce(nb.logements, 0)
               as logements,
           case when d.residence_id is not null then 'résidence' else t.niveau end
               as niveau_enquete,
           t.commune_insee as commune_enquete,
           coalesce(ce.nom, t.commune_insee) as nom_commune_enquete,
           coalesce(d.annee, t.annee) as annee_enquete, d.nb_menages,
           coalesce(d.part_ressources_faibles, t.part_ressources_faibles)
               as part_ressources_faibles,
           coalesce(d.part_monoparentales, t.part_monoparentales) as part_monoparentales,
           coalesce(d.part_sans_emploi, t.part_sans_emploi) as part_sans_emploi,
           coalesce(d.part_apl, t.part_apl) as part_apl,
           coalesce(d.part_personnes_seules, t.part_personnes_seules) as part_personnes_seules,
           coalesce(d.part_grandes_familles, t.part_grandes_familles) as part_grandes_familles,
           coalesce(d.part_moins_25, t.part_moins_25) as part_moins_25,
           coalesce(d.part_plus_65, t.part_plus_65) as part_plus_65,
           d.taux_rotation, d.taux_vacance, d.taux_impayes,
           coalesce(d.part_ressources_faibles - p.part_ressources_faibles,
                    t.part_ressources_faibles - t.prev_ressources_faibles)
               as evol_ressources_faibles,
           coalesce(d.part_sans_emploi - p.part_sans_emploi,
                    t.part_sans_emploi - t.prev_sans_emploi) as evol_sans_emploi,
           coalesce(e.n, 0) as entrees_24m,
           100.0 * e.q1 / nullif(e.n, 0) as entrees_q1_pct,
           100.0 * e.prioritaires / nullif(e.n, 0) as entrees_prioritaires_pct,
           100.0 * e.dalo / nullif(e.n, 0) as entrees_dalo_pct,
           100.0 * e.grandes / nullif(e.n, 0) as entrees_grandes_pct,
           100.0 * e.seules / nullif(e.n, 0) as entrees_seules_pct,
           coalesce(m.liberations_12m, 0) as liberations_12m,
           100.0 * coalesce(m.liberations_12m, 0) / nullif(nb.logements, 0) as rotation_12m_pct,
           coalesce(m.vacants, 0) as vacants,
           100.0 * coalesce(m.vacants, 0) / nullif(nb.logements, 0) as vacants_pct,
           n.niveau as niveau_recents, coalesce(cn.nom, n.commune_insee) as nom_commune_recents,
           n.annee as annee_recents, n.nb_menages as recents_menages,
           n.part_ressources_faibles as recents_ressources_faibles,
           n.part_monoparentales as recents_monoparentales,
           n.part_sans_emploi as recents_sans_emploi, n.part_apl as recents_apl,
           n.part_personnes_seules as recents_personnes_seules,
           n.part_grandes_familles as recents_grandes_familles,
           n.part_moins_25 as recents_moins_25, n.part_plus_65 as recents_plus_65
    from res r
    left join ref_commune c on c.code_insee = r.commune_insee
    left join nb using (residence_id)
    left join vagues d on d.residence_id = r.residence_id and d.rang = 1
    left join vagues p on p.residence_id = r.residence_id and p.rang = 2
    left join entrees e on e.residence_id = r.residence_id
    left join mouvements m on m.residence_id = r.residence_id
    left join territoire t on t.residence_id = r.residence_id and t.population = 'ENSEMBLE'
        and d.residence_id is null
    left join ref_commune ce on ce.code_insee = t.commune_insee
    left join territoire n on n.residence_id = r.residence_id
        and n.population = 'EMMENAGES_RECENTS'
    left join ref_commune cn on cn.code_insee = n.commune_insee
)
select * from final order by residence_id
