-- Where every possible destination of one dwelling stands, in one pass over the year's flux
-- of its département (to the reference date). Parameters: those of {{ jauges/lignes }} with
-- $dep = the dwelling's département, plus $commune_l, $epci_l (the dwelling's commune and
-- EPCI), $typologie, $en_qpv (the dwelling's).
-- Returns one row per destination: destinataire (réservataire id, an internal use or
--   BAILLEUR), nom, type, perimetre, taux_flux, entres, orientes, rendus, flux_meme_typo,
--   orientes_meme_typo, flux_meme_qpv, orientes_meme_qpv, orientes_hors_qpv, flux_hors_qpv,
--   du_reservataires (Σ over every convention of rate × flux entered on its perimeter).
with {{ jauges/lignes }},
couvre as (
    select * from conv
    where departement = $dep
      and (perimetre is null or perimetre = $commune_l or perimetre = $epci_l)
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
final as (
    select *, (select coalesce(sum(taux_flux), 0) / 100.0 from cl) as du_reservataires
    from (select * from res union all select * from autres)
)
select * from final order by destinataire
