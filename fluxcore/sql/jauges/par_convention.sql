-- Gauge of every convention in force on a territory: forecast flux of its perimeter, flux
-- entered to date, dwellings oriented / attributed / returned to the bailleur.
-- Parameters: those of {{ jauges/lignes }} plus $nb (past years for the rotation).
-- Returns: convention_id, reservataire_id, nom, type, departement, perimetre, taux_flux,
--   flux_net_prevu, entres, orientes, attribues, rendus, en_cours.
with {{ jauges/lignes }},
parc as (   -- every flux dwelling of the territory covered by each convention
    select c.convention_id, log.typologie, log.en_qpv, log.logement_id,
           log.date_mise_en_service as mes
    from conv c
    join log on log.departement = c.departement
     and (c.perimetre is null or c.perimetre = log.commune_insee
          or c.perimetre = log.epci_siren)
),
seg as (
    select convention_id, typologie, en_qpv,
           count(*) filter (where coalesce(mes, date '1900-01-01') < make_date($annee, 1, 1))
               as parc,
           sum(greatest(0, least($nb, $annee - greatest($annee - $nb,
               year(coalesce(mes, date '1900-01-01')) + 1)))) as parc_observe,
           count(*) filter (where year(mes) = $annee) as premieres
    from parc group by all
),
obs as (
    select p.convention_id, p.typologie, p.en_qpv, count(*) as libs
    from parc p
    join liberation b using (logement_id)
    where year(b.date_liberation) between $annee - $nb and $annee - 1
      and coalesce(b.motif, '') <> 'PREMIERE_LOCATION'
      and (p.mes is null or b.date_liberation > p.mes + interval 31 day)
    group by all
),
sous as (
    select p.convention_id, count(*) / $nb as soustraits
    from parc p
    join liberation b using (logement_id)
    join orientation o using (liberation_id)
    where year(b.date_liberation) between $annee - $nb and $annee - 1
      and o.destinataire in ('MUTATION', 'RU', 'ORCOD', 'LHI', 'VENTE')
    group by all
),
rot as (
    select s.*, coalesce(obs.libs, 0) as libs,
           sum(coalesce(obs.libs, 0)) over w / nullif(sum(s.parc_observe) over w, 0) as taux_tout
    from seg s left join obs using (convention_id, typologie, en_qpv)
    window w as (partition by s.convention_id)
),
prevu as (
    select convention_id,
           sum(parc * coalesce(libs / nullif(parc_observe, 0), taux_tout, 0)) as liberations_est,
           sum(premieres) as premieres
    from rot group by all
),
realise as (
    select convention_id,
           count(*) as entres,
           count(*) filter (where destinataire = reservataire_id) as orientes,
           count(*) filter (where destinataire = reservataire_id and statut = 'ATTRIBUE')
               as attribues,
           count(*) filter (where destinataire = reservataire_id and statut = 'RENDU_BAILLEUR')
               as rendus,
           count(*) filter (where destinataire = reservataire_id
                            and statut in ('ORIENTE', 'CANDIDATS_PROPOSES', 'CALEOL'))
               as en_cours
    from cl group by all
),
final as (
    select c.convention_id, c.reservataire_id, c.nom, c.type, c.departement, c.perimetre,
           c.taux_flux,
           p.liberations_est + case when $premieres then p.premieres else 0 end
               - coalesce(s.soustraits, 0) as flux_net_prevu,
           coalesce(r.entres, 0) as entres, coalesce(r.orientes, 0) as orientes,
           coalesce(r.attribues, 0) as attribues, coalesce(r.rendus, 0) as rendus,
           coalesce(r.en_cours, 0) as en_cours
    from conv c
    join prevu p using (convention_id)
    left join sous s using (convention_id)
    left join realise r using (convention_id)
)
select * from final order by departement, perimetre nulls first, taux_flux desc, reservataire_id
