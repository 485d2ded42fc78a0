-- Where every possible destination of one dwelling stands, in one pass over the year's flux
-- of its département (to the reference date). Parameters: those of {{ jauges/lignes }} with
-- $dep = the dwelling's département, plus $commune_l, $epci_l (the dwelling's commune and
-- EPCI), $date_l (the day it was vacated), $typologie, $en_qpv (the dwelling's), $nb (past
-- years for the internal-use forecast).
-- A réservataire is a possible destination when one of its rights (`droit` of
-- {{ conventions/droits }}: its own convention, or the préfet's line for rights it took back)
-- covers the dwelling on the day it was vacated: a convention not yet or no longer in force,
-- one replaced by a later signature, a commune/EPCI convention outside its territory (or
-- with neither perimeter nor territory), a réservataire whose rights the préfet took back
-- from that day (repris_par_prefet, date_reprise; none: the whole year) are not. What it is
-- owed to date is, as in the gauges, Σ over all its rights of the département of rate × the
-- dwellings vacated on that right's days on its perimeter: the préfet's includes the shares
-- it took back.
-- Returns one row per destination: destinataire (réservataire id, an internal use or
--   BAILLEUR), nom, type, perimetre, taux_flux (of the right covering the dwelling, its own
--   first), entres (dwellings entered on its perimeters, counted once), du (owed to date,
--   NULL for the others), droits (list of {taux, entres, repris_de_nom} per right, for the
--   explanation), orientes, rendus (delivered to it: the gauges' `livre`), flux_meme_typo,
--   orientes_meme_typo, flux_meme_qpv, orientes_meme_qpv, orientes_hors_qpv, flux_hors_qpv,
--   du_reservataires (Σ over every right of rate × flux entered on its perimeter on its days),
--   prevu_interne (internal uses: mean yearly count over the past $nb years),
--   attributions_24m, q1_24m (households housed through this destination in the département
--   over the last 24 months, of which first quartile). The EPCI's CIL figures come from
--   fluxcore.objectifs.
with {{ jauges/lignes }},
couvre as (
    -- the rights covering the dwelling on the day it was vacated
    select * from droit
    where departement = $dep
      and dans_perimetre(perimetre, $commune_l, $epci_l)
      and cast($date_l as date) between debut and fin
),
cand as (
    select reservataire_id as destinataire, first(nom) as nom, first(type) as type,
           first(perimetre order by repris_de is not null, convention_id) as perimetre,
           first(taux_flux order by repris_de is not null, convention_id) as taux_flux
    from couvre group by all
),
par_droit as (
    select c.reservataire_id, c.convention_id, c.taux_flux, c.repris_de_nom,
           count(cl.liberation_id) as n
    from droit c
    left join cl using (convention_id)
    where c.departement = $dep
      and c.reservataire_id in (select destinataire from cand)
    group by all
),
du as (
    select reservataire_id as destinataire, sum(taux_flux * n) / 100.0 as du,
           list({'taux': taux_flux, 'entres': n, 'repris_de_nom': repris_de_nom}
                order by repris_de_nom nulls first, convention_id) as droits
    from par_droit group by all
),
flux_r as (
    -- the flux of its perimeters, each dwelling once
    select distinct c.reservataire_id as destinataire, cl.liberation_id, cl.typologie,
           cl.en_qpv
    from cl
    join droit c using (convention_id)
    where c.reservataire_id in (select destinataire from cand)
),
flux_a as (
    select destinataire, count(*) as entres,
           count(*) filter (where typologie = $typologie) as flux_meme_typo,
           count(*) filter (where en_qpv = $en_qpv) as flux_meme_qpv,
           count(*) filter (where not en_qpv) as flux_hors_qpv
    from flux_r group by all
),
livre_a as (
    select destinataire, count(*) as orientes,
           count(*) filter (where statut = 'RENDU_BAILLEUR') as rendus,
           count(*) filter (where typologie = $typologie) as orientes_meme_typo,
           count(*) filter (where en_qpv = $en_qpv) as orientes_meme_qpv,
           count(*) filter (where not en_qpv) as orientes_hors_qpv
    from livre
    where destinataire in (select destinataire from cand)
    group by all
),
res as (
    select c.destinataire, c.nom, c.type, c.perimetre, c.taux_flux,
           coalesce(f.entres, 0) as entres, d.du, d.droits,
           coalesce(l.orientes, 0) as orientes, coalesce(l.rendus, 0) as rendus,
           coalesce(f.flux_meme_typo, 0) as flux_meme_typo,
           coalesce(l.orientes_meme_typo, 0) as orientes_meme_typo,
           coalesce(f.flux_meme_qpv, 0) as flux_meme_qpv,
           coalesce(l.orientes_meme_qpv, 0) as orientes_meme_qpv,
           coalesce(l.orientes_hors_qpv, 0) as orientes_hors_qpv,
           coalesce(f.flux_hors_qpv, 0) as flux_hors_qpv
    from cand c
    left join du d using (destinataire)
    left join flux_a f using (destinataire)
    left join livre_a l using (destinataire)
),
autres as (
    select d.destinataire, d.destinataire as nom, d.destinataire as type,
           null::varchar as perimetre, null::double as taux_flux,
           (select count(*) from entree) as entres, null::double as du,
           null::struct(taux double, entres bigint, repris_de_nom varchar)[] as droits,
           count(l.liberation_id) as orientes, 0 as rendus,
           (select count(*) from entree where typologie = $typologie) as flux_meme_typo,
           count(*) filter (where l.typologie = $typologie) as orientes_meme_typo,
           (select count(*) from entree where en_qpv = $en_qpv) as flux_meme_qpv,
           count(*) filter (where l.en_qpv = $en_qpv) as orientes_meme_qpv,
           count(*) filter (where not l.en_qpv) as orientes_hors_qpv,
           (select count(*) from entree where not en_qpv) as flux_hors_qpv
    from (select unnest(list_value{{ codes/destinations_bailleur }}) as destinataire) d
    left join lib l on l.destinataire = d.destinataire
    group by all
),
hist as (
    select o.destinataire, count(*) / $nb as prevu_interne
    from orientation o
    join terr b using (liberation_id)
    where {{ assiette/usage_interne_passe }}
    group by all
),
att as (
    select o.destinataire, coalesce(att.date_caleol, o.date_orientation) as d,
           {{ regles/menage_q1 }} as q1
    from attribution att
    join orientation o using (orientation_id)
    -- the dwelling through the orientation's libération (maintained): an attribution with an
    -- orientation is for that libération's dwelling (check and the importer refuse otherwise)
    join terr log on log.liberation_id = o.liberation_id
    left join seuil_quartile s on s.epci_siren = log.epci_siren
         and s.annee = year(coalesce(att.date_caleol, o.date_orientation))
    where coalesce(att.date_caleol, o.date_orientation) > $arret - interval 730 day
),
profil as (
    select destinataire, count(*) as attributions_24m,
           count(*) filter (where coalesce(q1, false)) as q1_24m
    from att where d <= $arret group by all
),
final as (
    select d.*, (select coalesce(sum(taux_flux), 0) / 100.0 from cl) as du_reservataires,
           h.prevu_interne, coalesce(p.attributions_24m, 0) as attributions_24m,
           coalesce(p.q1_24m, 0) as q1_24m
    from (select * from res union all select * from autres) d
    left join hist h using (destinataire)
    left join profil p using (destinataire)
)
select * from final order by destinataire
