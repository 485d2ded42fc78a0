-- Orientations of the year per destinataire (flux dwellings only), with the réservataire type.
-- $debut, $arret, $dep, $epci as in chiffres_cles.sql.
-- Returns: destinataire, nom, type (réservataire type, or the internal code), orientations,
--   attribuees, rendus_bailleur, en_cours.
with lib as (
    select liberation_id
    from fait_liberation
    where hors_flux_motif is null
      and ($dep is null or departement = $dep)
      and ($epci is null or epci_siren = $epci)
),
ori as (
    select o.destinataire, o.statut
    from orientation o
    join lib using (liberation_id)
    where o.date_orientation between $debut and $arret
),
final as (
    select
        ori.destinataire,
        coalesce(rv.nom, ori.destinataire) as nom,
        coalesce(rv.type, ori.destinataire) as type,
        count(*) as orientations,
        count(*) filter (where ori.statut = 'ATTRIBUE') as attribuees,
        count(*) filter (where ori.statut = 'RENDU_BAILLEUR') as rendus_bailleur,
        count(*) filter (where ori.statut in {{ codes/statuts_en_cours }})
            as en_cours
    from ori
    left join reservataire rv on rv.reservataire_id = ori.destinataire
    group by all
)
select * from final order by orientations desc, destinataire
