-- Indicators of every résidence of the scope on the reference date $arret ($epci, $dep NULL =
-- all): latest occupation-survey wave (≤ year of $arret) and the change since the previous one,
-- the households that moved in over the last 24 months, rotation and vacancy of the last 12.
-- Returns: residence_id, nom, commune_insee, commune, epci_siren, departement, en_qpv, latitude,
--   longitude, logements, annee_enquete, nb_menages, part_* and taux_* of the survey,
--   evol_ressources_faibles, evol_sans_emploi (points since the previous wave), entrees_24m,
--   entrees_q1_pct, entrees_prioritaires_pct, entrees_dalo_pct, entrees_grandes_pct (6+ persons),
--   entrees_seules_pct, liberations_12m, rotation_12m_pct, vacants, vacants_pct.
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
entrees as (
    select l.residence_id, count(*) as n,
           count(*) filter (where coalesce(a.quartile = 1, a.ressources_uc < s.seuil_q1_uc))
               as q1,
           count(*) filter (where a.prioritaire or a.dalo) as prioritaires,
           count(*) filter (where a.dalo) as dalo,
           count(*) filter (where a.taille_menage >= 6) as grandes,
           count(*) filter (where a.taille_menage = 1) as seules
    from attribution a
    join logement l using (logement_id)
    join res r using (residence_id)
    left join seuil_quartile s on s.epci_siren = r.epci_siren and s.annee = year(a.date_bail)
    where a.date_bail > cast($arret as date) - interval 730 day
      and a.date_bail <= cast($arret as date)
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
           d.annee as annee_enquete, d.nb_menages, d.part_ressources_faibles,
           d.part_monoparentales, d.part_sans_emploi, d.part_apl, d.part_personnes_seules,
           d.part_grandes_familles, d.part_moins_25, d.part_plus_65, d.taux_rotation,
           d.taux_vacance, d.taux_impayes,
           d.part_ressources_faibles - p.part_ressources_faibles as evol_ressources_faibles,
           d.part_sans_emploi - p.part_sans_emploi as evol_sans_emploi,
           coalesce(e.n, 0) as entrees_24m,
           100.0 * e.q1 / nullif(e.n, 0) as entrees_q1_pct,
           100.0 * e.prioritaires / nullif(e.n, 0) as entrees_prioritaires_pct,
           100.0 * e.dalo / nullif(e.n, 0) as entrees_dalo_pct,
           100.0 * e.grandes / nullif(e.n, 0) as entrees_grandes_pct,
           100.0 * e.seules / nullif(e.n, 0) as entrees_seules_pct,
           coalesce(m.liberations_12m, 0) as liberations_12m,
           100.0 * coalesce(m.liberations_12m, 0) / nullif(nb.logements, 0) as rotation_12m_pct,
           coalesce(m.vacants, 0) as vacants,
           100.0 * coalesce(m.vacants, 0) / nullif(nb.logements, 0) as vacants_pct
    from res r
    left join ref_commune c on c.code_insee = r.commune_insee
    left join nb using (residence_id)
    left join vagues d on d.residence_id = r.residence_id and d.rang = 1
    left join vagues p on p.residence_id = r.residence_id and p.rang = 2
    left join entrees e on e.residence_id = r.residence_id
    left join mouvements m on m.residence_id = r.residence_id
)
select * from final order by residence_id
