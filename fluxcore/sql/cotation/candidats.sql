-- Active demandes that could be candidates for a dwelling, ranked by score (ties: the older
-- demande first, then its id), with the eligibility tests and the contingents they can be
-- housed on. Parameters: $date, $commune_logement (dwelling's commune), $epci (its EPCI),
-- $etendue ('commune': demandes wishing this commune; 'epci': wishing a commune of its EPCI),
-- $commune ($commune_logement when $etendue is 'commune', else NULL) and $demande (NULL):
-- the filters of cotation/scores,
-- $tmin/$tmax (household sizes for its typologie), $typ_num (its number of rooms) and $ecart
-- (largest gap in rooms with the typologie wished), $plafond (€/UC/year, NULL: no ceiling),
-- $loyer (monthly rent, NULL: unknown; resources unknown or zero: burden not checked),
-- $effort_max (percent), $uc1 (UC of the first adult), $uc2 (UC of the 2nd person), $uc_enf
-- (UC of each further person), $prioritaires (criterion codes of priority publics).
-- Columns: every column of cotation/scores, uc, taux_effort, ok_taille, ok_plafond, ok_effort,
--   ok_typologie, eligible, prioritaire, dalo, rang (among the eligible, NULL otherwise).
with s as (
    {{ cotation/scores }}
),
u as (
    select s.*,
           $uc1 + $uc2 * least(s.taille_menage - 1, 1)
               + $uc_enf * greatest(s.taille_menage - 2, 0) as uc
    from s
    where case when $etendue = 'epci' then s.epci_siren = $epci
               else s.commune_souhaitee = $commune_logement end
),
t as (
    select s.*,
           case when $loyer is not null and s.ressources_uc > 0
                then round(100 * 12 * $loyer / (s.ressources_uc * s.uc), 1) end as taux_effort,
           coalesce(s.taille_menage between $tmin and $tmax, true) as ok_taille,
           coalesce(abs(try_cast(substr(s.typologie_souhaitee, 2) as integer) - $typ_num)
                    <= $ecart, true) as ok_typologie,
           ($plafond is null or s.ressources_uc is null or s.ressources_uc <= $plafond)
               as ok_plafond,
           (len(list_intersect(s.criteres, $prioritaires::varchar[])) > 0
            or list_contains(s.criteres, 'DALO')) as prioritaire,
           list_contains(s.criteres, 'DALO') as dalo
    from u s
),
e as (
    select t.*,
           ($loyer is null or t.taux_effort is null or t.taux_effort <= $effort_max)
               as ok_effort
    from t
),
f as (
    select e.*, e.ok_taille and e.ok_typologie and e.ok_plafond and e.ok_effort as eligible
    from e
)
select f.*,
       case when f.eligible then row_number() over (
           partition by f.eligible
           order by f.score desc nulls last, f.date_depot, f.demande_id) end as rang
from f
order by rang nulls last, f.score desc nulls last, f.date_depot, f.demande_id
