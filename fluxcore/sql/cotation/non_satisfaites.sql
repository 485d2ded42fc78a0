-- Well-scored demandes left unsatisfied for long: score at or above the $centile-th centile of
-- the scores of its EPCI (same grid) and seniority beyond the observed waiting time for
-- similar demandes (cotation/attente: commune + typologie when at least $min satisfied, else
-- EPCI + typologie, else the typologie over the whole base). Counts the dwellings of the
-- wished commune and typologie vacated since filing (fait_liberation, dwellings in the flux).
-- Optional $epci filter (NULL: all); $commune and $demande: NULL (cotation/scores).
-- Columns: scores columns, rang_epci, nb_epci, seuil_score, attente_mois, niveau_attente,
--   nb_attente, logements_liberes, commune (the wished commune's name).
with s as (
    {{ cotation/scores }}
),
seuils as (
    select epci_siren, count(*) as nb_epci,
           quantile_cont(score, $centile / 100.0) as seuil_score
    from s
    where score is not null
    group by epci_siren
),
r as (
    -- at or above the threshold; every demande ranked before one of them is one of them too,
    -- so their rank among them is their rank in the EPCI
    select s.*,
           row_number() over (partition by s.epci_siren
                              order by s.score desc, s.date_depot, s.demande_id) as rang_epci,
           e.nb_epci, e.seuil_score
    from s
    join seuils e on e.epci_siren = s.epci_siren
    where s.score >= e.seuil_score
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
),
k as (
    select w.*
    from w
    where w.attente_mois is not null and w.anciennete_mois > w.attente_mois
),
libs as (
    -- libérations per commune × typologie × day, for the communes the demandes above wish
    select f.commune_insee, f.typologie, f.date_liberation, count(*) as nb
    from fait_liberation f
    where f.date_liberation <= $date and f.hors_flux_motif is null
      and f.commune_insee in (select commune_souhaitee from k)
    group by all
),
n as (
    -- days of libération and filings in one sequence per commune × typologie, latest first
    -- (a day's libérations before the filings of that day): the running count at a filing
    -- is the number of dwellings vacated since
    select demande_id,
           sum(nb) over (partition by commune, typologie order by jour desc, demande_id nulls first
                         rows between unbounded preceding and current row)::bigint
               as logements_liberes
    from (
        select commune_insee as commune, typologie, date_liberation as jour, nb,
               null::varchar as demande_id
        from libs
        union all
        select commune_souhaitee, typologie_souhaitee, date_depot, 0, demande_id
        from k
    )
    qualify demande_id is not null
)
select k.*, coalesce(n.logements_liberes, 0) as logements_liberes, c.nom as commune
from k
left join n using (demande_id)
left join ref_commune c on c.code_insee = k.commune_souhaitee
order by k.epci_siren, k.rang_epci
