-- Orientations not finished in a territory (fluxcore.suivi.en_cours): statut ORIENTE,
-- CANDIDATS_PROPOSES or CALEOL, or ATTRIBUE with an attribution whose lease is not signed yet
-- (an ATTRIBUE orientation without attribution row is history imported as such), or
-- RENDU_BAILLEUR without a signed lease (the bailleur attributes it); every year.
-- $dep, $epci, $commune (NULL: all), $aujourdhui (for jours_restants).
-- Returns one row per orientation: liberation_id, orientation_id, logement_id, typologie,
--   commune (name), destinataire, destinataire_nom (réservataire's name, else the code),
--   destinataire_type, statut, date_orientation, date_limite ({{ suivi/delais }}),
--   jours_restants (date_limite − $aujourdhui while candidates are awaited: ORIENTE,
--   CANDIDATS_PROPOSES; NULL otherwise or without deadline), nb_candidats
--   (candidatures in play: PROPOSE, AJOURNE, RETENU), nb_candidats_max, modifie_le.
with orientation_vue as (
    -- those that may be in progress (the exact test is in `final`): the convention join of
    -- {{ suivi/delais }} runs on them only, not on the whole history
    select * from orientation o
    where o.statut in {{ codes/statuts_en_cours }} or o.statut = 'RENDU_BAILLEUR'
       or (o.statut = 'ATTRIBUE'
           and exists (select 1 from attribution a
                       where a.orientation_id = o.orientation_id and a.date_bail is null))
),
{{ suivi/delais }},
cand as (
    select orientation_id,
           count(*) filter (where statut in ('PROPOSE', 'AJOURNE', 'RETENU')) as nb_candidats
    from candidature group by all
),
final as (
    select d.liberation_id, d.orientation_id, b.logement_id, l.typologie,
           coalesce(c.nom, d.commune_insee) as commune, d.destinataire,
           coalesce(rv.nom, d.destinataire) as destinataire_nom,
           rv.type as destinataire_type, d.statut, d.date_orientation, d.date_limite,
           case when d.statut in {{ codes/statuts_en_attente }}
                then datediff('day', cast($aujourdhui as date), d.date_limite)
           end as jours_restants,
           coalesce(k.nb_candidats, 0) as nb_candidats, d.nb_candidats_max, d.modifie_le
    from delai d
    join liberation b using (liberation_id)
    join logement l using (logement_id)
    left join ref_commune c on c.code_insee = d.commune_insee
    left join reservataire rv on rv.reservataire_id = d.destinataire
    left join cand k using (orientation_id)
    where ($dep is null or d.departement = $dep)
      and ($epci is null or d.epci_siren = $epci)
      and ($commune is null or d.commune_insee = $commune)
      and (d.statut in {{ codes/statuts_en_cours }}
           or (d.statut = 'ATTRIBUE'
               and exists (select 1 from attribution a
                           where a.orientation_id = d.orientation_id and a.date_bail is null)
               and not exists (select 1 from attribution a
                               where a.orientation_id = d.orientation_id
                                 and a.date_bail is not null))
           -- given back: the bailleur still has to attribute it (no lease signed yet), unless
           -- the dwelling was vacated again since (history imported without its attribution)
           or (d.statut = 'RENDU_BAILLEUR'
               and not exists (select 1 from attribution a
                               where a.orientation_id = d.orientation_id
                                 and a.date_bail is not null)
               and not exists (select 1 from liberation b2
                               where b2.logement_id = b.logement_id
                                 and b2.date_liberation > b.date_liberation)))
)
select * from final order by date_limite nulls last, date_orientation, liberation_id
