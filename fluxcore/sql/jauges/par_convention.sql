-- Gauge of every right in force on a territory (a convention, or the préfet's line for rights
-- it took back: `droit` of {{ conventions/droits }}): forecast flux of its perimeter over the
-- whole year, flux entered to date on its days, dwellings oriented / attributed / returned to
-- the bailleur (each counted on one line of its réservataire: `livre`).
-- Parameters: those of the included jauges/lignes plus $nb (past years for the rotation).
-- Returns: convention_id, reservataire_id, nom, type, departement, perimetre, taux_flux,
--   garantie_emprunt, debut, fin (its days in the year), debut_convention, fin_convention,
--   fin_garantie, remplacee_par, reprise, repris_de, repris_de_nom, flux_net_prevu, entres,
--   orientes, attribues, rendus, en_cours, and for the whole territory (same on every row):
--   total_entres, total_bailleur, total_bailleur_attribues.
-- The forecast is first added up per commune and segment (typologie × QPV), then per
-- perimeter: the same figures as dwelling by dwelling, at a fraction of the cost.
with {{ jauges/lignes }},
parc_c as (
    -- the parc from the maintained counts per year of service (fluxcore.etat: fait_parc;
    -- the rules read only the year of date_mise_en_service)
    select departement, commune_insee, epci_siren, typologie, en_qpv,
           coalesce(sum(logements) filter (where {{ regles/premiere_annee_au_parc }} <= $annee),
                    0)::bigint as parc,
           sum(logements * {{ regles/annees_observees }}) as parc_observe,
           coalesce(sum(logements) filter (where year(date_mise_en_service) = $annee),
                    0)::bigint as premieres
    from (select *, debut_annee_service as date_mise_en_service from fait_parc)
    where hors_flux_motif is null
      and ($dep is null or departement = $dep)
      and ($epci is null or epci_siren = $epci)
      and ($commune is null or commune_insee = $commune)
    group by all
),
obs_c as (
    select b.commune_insee, b.typologie, b.en_qpv, count(*) as libs
    from terr b
    where {{ assiette/rotation_observee }}
    group by all
),
sous_c as (
    select b.departement, b.commune_insee, b.epci_siren, count(*) as n
    from orientation o
    join terr b using (liberation_id)
    where {{ assiette/usage_interne_passe }}
    group by all
),
seg as (
    select c.convention_id, p.typologie, p.en_qpv, sum(p.parc) as parc,
           sum(p.parc_observe) as parc_observe, sum(p.premieres) as premieres,
           sum(coalesce(o.libs, 0)) as libs
    from droit c
    join parc_c p on p.departement = c.departement
     and dans_perimetre(c.perimetre, p.commune_insee, p.epci_siren)
    left join obs_c o using (commune_insee, typologie, en_qpv)
    group by all
),
prevu as (
    select convention_id,
           sum(parc * coalesce(libs / nullif(parc_observe, 0), taux_tout, 0)) as liberations_est,
           sum(premieres) as premieres
    from (select *, sum(libs) over w / nullif(sum(parc_observe) over w, 0) as taux_tout
          from seg window w as (partition by convention_id))
    group by all
),
sous as (
    select c.convention_id, sum(s.n) / $nb as soustraits
    from droit c
    join sous_c s on s.departement = c.departement
     and dans_perimetre(c.perimetre, s.commune_insee, s.epci_siren)
    group by all
),
entree_c as (
    select departement, commune_insee, epci_siren, destinataire, statut, count(*) as n
    from entree group by all
),
entres as (
    -- a line in force from 1 January to $arret counts everything entered on its perimeter;
    -- the others (part of the year) only what was vacated on their days
    select c.convention_id, sum(e.n) as entres
    from droit c
    join entree_c e on e.departement = c.departement
     and dans_perimetre(c.perimetre, e.commune_insee, e.epci_siren)
    where c.debut <= $debut and c.fin >= $arret
    group by all
    union all
    select c.convention_id, count(*) as entres
    from droit c
    join entree e on e.departement = c.departement
     and dans_perimetre(c.perimetre, e.commune_insee, e.epci_siren)
     and e.date_liberation between c.debut and c.fin
    where not (c.debut <= $debut and c.fin >= $arret)
    group by all
),
realise as (
    select convention_id, count(*) as orientes,
           count(*) filter (where statut = 'ATTRIBUE') as attribues,
           count(*) filter (where statut = 'RENDU_BAILLEUR') as rendus,
           count(*) filter (where statut in {{ codes/statuts_en_cours }})
               as en_cours
    from livre group by all
),
final as (
    select c.convention_id, c.reservataire_id, c.nom, c.type, c.departement, c.perimetre,
           c.taux_flux, c.garantie_emprunt, c.debut, c.fin, c.debut_convention,
           c.fin_convention, c.fin_garantie, c.remplacee_par, c.reprise, c.repris_de,
           c.repris_de_nom,
           p.liberations_est + case when $premieres then p.premieres else 0 end
               - coalesce(s.soustraits, 0) as flux_net_prevu,
           coalesce(n.entres, 0)::bigint as entres, coalesce(r.orientes, 0)::bigint as orientes,
           coalesce(r.attribues, 0)::bigint as attribues, coalesce(r.rendus, 0)::bigint as rendus,
           coalesce(r.en_cours, 0)::bigint as en_cours,
           (select coalesce(sum(n), 0) from entree_c)::bigint as total_entres,
           (select coalesce(sum(n), 0) from entree_c where destinataire = 'BAILLEUR')::bigint
               as total_bailleur,
           (select coalesce(sum(n), 0) from entree_c where destinataire = 'BAILLEUR'
                and statut = 'ATTRIBUE')::bigint as total_bailleur_attribues
    from droit c
    join prevu p using (convention_id)
    left join sous s using (convention_id)
    left join entres n using (convention_id)
    left join realise r using (convention_id)
)
select * from final
order by departement, perimetre nulls first, taux_flux desc, reservataire_id, convention_id
