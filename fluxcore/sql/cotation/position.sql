-- A demande's position (fluxcore.cotation.position): its row of cotation/scores with its
-- rang_epci, and what the comparison with the other scored demandes of its EPCI needs, at
-- three levels — 1: same typologie and commune wished, 2: same typologie, 3: the whole EPCI:
-- nb_N (scored demandes), avant_N (ranked before it: higher score, or same score and older,
-- then smaller id — as rang_epci), apres_refus_N (the same with its score plus $refus, the
-- points of one more refusal), moins_N (lower score), scores_N (their scores, any order).
-- Parameters: those of cotation/scores with $epci the demande's EPCI and $demande NULL (or
-- $epci NULL and $demande the demande: no EPCI, nothing to compare with), $id the demande,
-- $refus. No row when the demande is not among the scored ones (filed after $date).
-- rang_epci, nb_N…: NULL when it has no score; nb_epci is nb_3.
with s as (
    {{ cotation/scores }}
),
moi as (
    select * from s where demande_id = $id
),
p as (
    select s.score,
           coalesce(s.typologie_souhaitee = m.typologie_souhaitee, false) as typ,
           coalesce(s.typologie_souhaitee = m.typologie_souhaitee
                    and s.commune_souhaitee = m.commune_souhaitee, false) as commune,
           s.demande_id <> m.demande_id and (s.score > m.score or (
               s.score = m.score and (s.date_depot < m.date_depot or (
                   s.date_depot = m.date_depot and s.demande_id < m.demande_id)))) as avant,
           s.demande_id <> m.demande_id and (s.score > m.score + $refus or (
               s.score = m.score + $refus and (s.date_depot < m.date_depot or (
                   s.date_depot = m.date_depot and s.demande_id < m.demande_id))))
               as avant_refus,
           s.score < m.score as moins
    from s
    cross join moi m
    where s.score is not null and m.score is not null
),
c as (
    select count(*) filter (where commune) as nb_1,
           count(*) filter (where commune and avant) as avant_1,
           count(*) filter (where commune and avant_refus) as apres_refus_1,
           count(*) filter (where commune and moins) as moins_1,
           list(score) filter (where commune) as scores_1,
           count(*) filter (where typ) as nb_2,
           count(*) filter (where typ and avant) as avant_2,
           count(*) filter (where typ and avant_refus) as apres_refus_2,
           count(*) filter (where typ and moins) as moins_2,
           list(score) filter (where typ) as scores_2,
           count(*) as nb_3,
           count(*) filter (where avant) as avant_3,
           count(*) filter (where avant_refus) as apres_refus_3,
           count(*) filter (where moins) as moins_3,
           list(score) as scores_3
    from p
)
select m.*, case when m.score is not null then c.avant_3 + 1 end as rang_epci, c.*
from moi m
cross join c
