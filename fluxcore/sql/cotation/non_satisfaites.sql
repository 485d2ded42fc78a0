-- Well-scored demandes left unsatisfied for long: score at or above the $centile-th centile of
-- the scores of its EPCI (same grid) and seniority beyond the observed waiting time for
-- similar demandes (cotation/attente: commune + typologie when at least $min satisfied, else
-- EPCI + typologie, else the typologie over the whole base). Counts the dwellings of the
-- wished commune and typologie vacated since filing. Optional $epci filter (NULL: all).
-- Columns: scores columns, rang_epci, nb_epci, seuil_score, attente_mois, niveau_attente,
--   nb_attente, logements_liberes.
with s as (
    {{ cotation/scores }}
),
r as (
    select s.*,
           row_number() over (partition by epci_siren
                              order by score desc, date_depot, demande_id) as rang_epci,
           count(*) over (partition by epci_siren) as nb_epci,
           quantile_cont(score, $centile / 100.0) over (partition by epci_siren) as seuil_score
    from s
    where score is not null and ($epci is null or epci_siren = $epci)
),
a as (
    {{ cotation/attente }}
),
w as (
    select r.*,
           case when a1.nb >= $min then a1.mediane_mois when a2.nb >= $min then a2.mediane_mois
                else a3.mediane_mois end as attente_mois,
           case when a1.nb >= $min then 'commune' when a2.nb >= $min then 'epci'
                when a3.nb is not null then 'typologie' end as niveau_attente,
           case when a1.nb >= $min then a1.nb when a2.nb >= $min then a2.nb
                else a3.nb end as nb_attente
    from r
    left join a a1 on a1.niveau = 'commune' and a1.commune_souhaitee = r.commune_souhaitee
        and a1.typologie_souhaitee = r.typologie_souhaitee
    left join a a2 on a2.niveau = 'epci' and a2.epci_siren = r.epci_siren
        and a2.typologie_souhaitee = r.typologie_souhaitee
    left join a a3 on a3.niveau = 'typologie' and a3.typologie_souhaitee = r.typologie_souhaitee
    where r.score >= r.seuil_score
),
k as (
    select w.*
    from w
    where w.attente_mois is not null and w.anciennete_mois > w.attente_mois
),
libs as (
    select r.commune_insee, l.typologie, b.date_liberation
    from liberation b
    join logement l using (logement_id)
    join residence r using (residence_id)
    where b.date_liberation <= $date and l.hors_flux_motif is null
),
n as (
    select k.demande_id, count(*) as logements_liberes
    from k
    join libs on libs.commune_insee = k.commune_souhaitee
        and libs.typologie = k.typologie_souhaitee and libs.date_liberation >= k.date_depot
    group by k.demande_id
)
select k.*, coalesce(n.logements_liberes, 0) as logements_liberes
from k
left join n using (demande_id)
order by k.epci_siren, k.rang_epci
