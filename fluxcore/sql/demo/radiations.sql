-- The demo's SNE radiations (fluxcore.demo.sne), into the temp table _radiation: the demo's
-- signed leases with the contingent the product expects ({{ sne/contingent_attendu }}), then
-- the register's usual errors drawn from a hash of each attribution id and $graine. $graine,
-- $tous (every contingent, in order), and the parameters of {{ sne/contingents }} and
-- $compte_rendu (fluxcore.sne.parametres_contingent).
create temp table _radiation as
with {{ sne/contingents }},
tirage as (
    select a.attribution_id, a.logement_id, a.date_bail, a.dalo, a.mutation_interne,
           a.prioritaire, res.commune_insee, res.departement,
           {{ sne/contingent_attendu }} as contingent,
           (hash(a.attribution_id || '-u-' || $graine) % 1000000) / 1e6 as u,
           (hash(a.attribution_id || '-v-' || $graine) % 1000000) / 1e6 as v,
           row_number() over (order by a.attribution_id) as n
    from attribution a
    join orientation o using (orientation_id)
    join logement l on l.logement_id = a.logement_id
    join residence res using (residence_id)
    left join resa ro on ro.reservataire_id = o.destinataire
    where a.date_bail is not null
),
radiees as (
    select *,
           -- another contingent: the list turned by 1 to 4 places
           case when u < 0.07 then list_element(cast($tous as varchar[]),
                    1 + (list_position(cast($tous as varchar[]), contingent)
                         + cast(floor(v * 4) as integer)) % len(cast($tous as varchar[])))
                else contingent end as contingent_sne,
           case when u between 0.07 and 0.09
                then date_bail + cast(45 + floor(v * 90) as integer)
                else date_bail + cast(floor(v * 3) as integer) end as date_sne,
           case when u between 0.09 and 0.105 then logement_id || '9' else logement_id end
               as rpls_sne,
           case when u between 0.105 and 0.12 then not dalo else dalo end as dalo_sne
    from tirage
    where u >= 0.03
)
select attribution_id, u,
       printf('%s%s%s%07d', lpad(departement, 3, '0'), strftime(date_bail, '%y'),
              strftime(date_bail, '%m'), n) as numero_unique,
       date_sne as date_radiation, rpls_sne as logement_rpls, contingent_sne as contingent,
       dalo_sne as dalo, prioritaire and v < 0.3 as accord_collectif,
       mutation_interne as mutation, commune_insee,
       'Attribution d''un logement' as motif_radiation
from radiees
union all
select null, u, printf('%s%s%s%07dB', lpad(departement, 3, '0'),
                       strftime(date_bail - 250, '%y'), strftime(date_bail - 250, '%m'), n),
       date_bail - 250, logement_id, contingent, false, false, false, commune_insee,
       'Attribution d''un logement'
from tirage
where v < 0.01
union all
select null, u, printf('%s%s%s%07dA', lpad(departement, 3, '0'),
                       strftime(date_bail - 40, '%y'), strftime(date_bail - 40, '%m'), n),
       date_bail - 40, null, null, null, null, null, commune_insee, 'Abandon de la demande'
from tirage
where v > 0.99
