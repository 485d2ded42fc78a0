-- Key figures of the year for the Tableau de bord.
-- $debut, $arret: counted period (1 January to the reference date or 31 December);
-- $dep, $epci: territory (NULL = all).
-- Returns one row: logements, logements_flux, liberations, liberations_n1, orientations,
--   orientations_reservataires, orientations_internes, orientations_bailleur, rendus_bailleur,
--   decisions_caleol, baux_signes.
-- One pass per source, on the maintained state (fluxcore.etat) where it has what is counted:
-- dwellings in service at $arret = those of the years before $arret's (fait_parc) + those
-- entered in $arret's year up to $arret (read from logement: the exact day matters).
with parc as (
    select coalesce(sum(logements), 0) as logements,
           coalesce(sum(logements) filter (where hors_flux_motif is null), 0) as logements_flux
    from fait_parc
    where (debut_annee_service is null or debut_annee_service < date_trunc('year', $arret))
      and ($dep is null or departement = $dep)
      and ($epci is null or epci_siren = $epci)
),
recents as (
    select count(*) as logements,
           count(*) filter (where l.hors_flux_motif is null) as logements_flux
    from logement l
    join residence r using (residence_id)
    where l.date_mise_en_service >= date_trunc('year', $arret)
      and l.date_mise_en_service <= $arret
      and ($dep is null or r.departement = $dep)
      and ($epci is null or r.epci_siren = $epci)
),
lib as (
    select count(*) filter (where date_liberation between $debut and $arret) as liberations,
           count(*) filter (where date_liberation between $debut - interval 1 year
                                                      and $arret - interval 1 year)
               as liberations_n1
    from fait_liberation
    where ($dep is null or departement = $dep)
      and ($epci is null or epci_siren = $epci)
),
ori as (
    select count(*) as orientations,
           count(*) filter (where o.destinataire not in {{ codes/destinations_bailleur }})
               as orientations_reservataires,
           count(*) filter (where o.destinataire in {{ codes/soustraits }})
               as orientations_internes,
           count(*) filter (where o.destinataire = 'BAILLEUR') as orientations_bailleur,
           count(*) filter (where o.statut = 'RENDU_BAILLEUR') as rendus_bailleur
    from orientation o
    join fait_liberation f using (liberation_id)
    where o.date_orientation between $debut and $arret
      and f.hors_flux_motif is null
      and ($dep is null or f.departement = $dep)
      and ($epci is null or f.epci_siren = $epci)
),
att as (
    select count(*) filter (where a.date_caleol between $debut and $arret) as decisions_caleol,
           count(*) filter (where a.date_bail between $debut and $arret) as baux_signes
    from attribution a
    join logement l using (logement_id)
    join residence r using (residence_id)
    where ($dep is null or r.departement = $dep)
      and ($epci is null or r.epci_siren = $epci)
),
final as (
    select (parc.logements + recents.logements)::bigint as logements,
           (parc.logements_flux + recents.logements_flux)::bigint as logements_flux,
           lib.liberations, lib.liberations_n1, ori.orientations,
           ori.orientations_reservataires, ori.orientations_internes,
           ori.orientations_bailleur, ori.rendus_bailleur, att.decisions_caleol,
           att.baux_signes
    from parc, recents, lib, ori, att
)
select * from final
