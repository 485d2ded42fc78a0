-- Key figures of the year for the Tableau de bord.
-- $debut, $arret: counted period (1 January to the reference date or 31 December);
-- $dep, $epci: territory (NULL = all).
-- Returns one row: logements, logements_flux, liberations, liberations_n1, orientations,
--   orientations_reservataires, orientations_internes, orientations_bailleur, rendus_bailleur,
--   decisions_caleol, baux_signes.
with log as (
    select l.logement_id, l.hors_flux_motif, l.date_mise_en_service
    from logement l
    join residence r using (residence_id)
    where ($dep is null or r.departement = $dep)
      and ($epci is null or r.epci_siren = $epci)
),
lib as (
    select liberation_id, date_liberation, hors_flux_motif
    from fait_liberation
    where ($dep is null or departement = $dep)
      and ($epci is null or epci_siren = $epci)
),
ori as (
    select o.destinataire, o.statut
    from orientation o
    join lib using (liberation_id)
    where o.date_orientation between $debut and $arret
      and lib.hors_flux_motif is null
),
att as (
    select a.date_caleol, a.date_bail
    from attribution a
    join log using (logement_id)
),
final as (
    select
        (select count(*) from log
          where date_mise_en_service is null or date_mise_en_service <= $arret) as logements,
        (select count(*) from log where hors_flux_motif is null
            and (date_mise_en_service is null or date_mise_en_service <= $arret)) as logements_flux,
        (select count(*) from lib
          where date_liberation between $debut and $arret) as liberations,
        (select count(*) from lib
          where date_liberation between $debut - interval 1 year
                                    and $arret - interval 1 year) as liberations_n1,
        (select count(*) from ori) as orientations,
        (select count(*) from ori where destinataire not in {{ codes/destinations_bailleur }})
            as orientations_reservataires,
        (select count(*) from ori where destinataire in {{ codes/soustraits }})
            as orientations_internes,
        (select count(*) from ori where destinataire = 'BAILLEUR') as orientations_bailleur,
        (select count(*) from ori where statut = 'RENDU_BAILLEUR') as rendus_bailleur,
        (select count(*) from att where date_caleol between $debut and $arret) as decisions_caleol,
        (select count(*) from att where date_bail between $debut and $arret) as baux_signes
)
select * from final
