-- Where every possible destination of one dwelling stands, in one pass over the year's flux
-- of its département (to the reference date). Parameters: those of {{ jauges/lignes }} with
-- $dep = the dwelling's département, plus $commune_l, $epci_l (the dwelling's commune and
-- EPCI), $typologie, $en_qpv (the dwelling's), $nb (past years for the internal-use forecast).
-- Returns one row per destination: destinataire (réservataire id, an internal use or
--   BAILLEUR), nom, type, perimetre, taux_flux, entres, orientes, rendus, flux_meme_typo,
--   orientes_meme_typo, flux_meme_qpv, orientes_meme_qpv, orientes_hors_qpv, flux_hors_qpv,
--   du_reservataires (Σ over every convention of rate × flux entered on its perimeter),
--   prevu_interne (internal uses: mean yearly count over the past $nb years),
--   attributions_24m, q1_24m (households housed through this destination in the département
--   over the last 24 months, of which first quartile). The EPCI's CIL figures come from
--   fluxcore.objectifs.
with {{ jauges/lignes }},
couvre as (
    select * from conv
    where departement = $dep
      and dans_perimetre(perimetre, $commune_l, $epci_l)
),
res as (
    select c.reservataire_id as destinataire, c.nom, c.type, c.perimetre, c.taux_flux,
           count(cl.liberation_id) as entres,
           count(*) filter (where cl.destinataire = c.reservataire_id) as orientes,
           count(*) filter (where cl.destinataire = c.reservataire_id
                            and cl.statut = 'RENDU_BAILLEUR') as rendus,
           count(*) filter (where cl.typologie = $typologie) as flux_meme_typo,
           count(*) filter (where cl.destinataire = c.reservataire_id
                            and cl.typologie = $typologie) as orientes_meme_typo,
           count(*) filter (where cl.en_qpv = $en_qpv) as flux_meme_qpv,
           count(*) filter (where cl.destinataire = c.reservataire_id
                            and cl.en_qpv = $en_qpv) as orientes_meme_qpv,
           count(*) filter (where cl.destinataire = c.reservataire_id and not cl.en_qpv)
               as orientes_hors_qpv,
           count(*) filter (where not cl.en_qpv) as flux_hors_qpv
    from couvre c
    left join cl on cl.convention_id = c.convention_id
    group by all
),
autres as (
    select d.destinataire, d.destinataire as nom, d.destinataire as type,
           null::varchar as perimetre, null::double as taux_flux,
           (select count(*) from entree) as entres,
           count(l.liberation_id) as orientes, 0 as rendus,
           (select count(*) from entree where typologie = $typologie) as flux_meme_typo,
           count(*) filter (where l.typologie = $typologie) as orientes_meme_typo,
           (select count(*) from entree where en_qpv = $en_qpv) as flux_meme_qpv,
           count(*) filter (where l.en_qpv = $en_qpv) as orientes_meme_qpv,
           count(*) filter (where not l.en_qpv) as orientes_hors_qpv,
           (select count(*) from entree where not en_qpv) as flux_hors_qpv
    from (select unnest(['MUTATION', 'RU', 'ORCOD', 'LHI', 'VENTE', 'BAILLEUR']) as destinataire) d
    left join lib l on l.destinataire = d.destinataire
    group by all
),
hist as (
    select o.destinataire, count(*) / $nb as prevu_interne
    from liberation b
    join log using (logement_id)
    join orientation o using (liberation_id)
    where {{ assiette/usage_interne_passe }}
    group by all
),
att as (
    select o.destinataire, coalesce(att.date_caleol, o.date_orientation) as d,
           coalesce(att.quartile = 1, att.ressources_uc < s.seuil_q1_uc) as q1
    from attribution att
    join orientation o using (orientation_id)
    join log on log.logement_id = att.logement_id
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
