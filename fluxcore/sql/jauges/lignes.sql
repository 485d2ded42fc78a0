-- Shared CTEs (included with {{ jauges/lignes }}): the flux of the year in a territory.
-- $annee, $debut, $arret, $dep, $epci, $commune, $premieres (first lettings in the flux).
-- log: flux dwellings of the territory; conv: conventions in force; lib: libérations of the
-- year up to $arret with their latest orientation; entree: those that entered the flux (not
-- used for a subtracted category; first lettings per the setting); cl: dwelling × convention
-- covering it (same département, perimeter = whole département, its commune or its EPCI).
log as (
    select l.logement_id, l.typologie, l.financement, l.date_mise_en_service, r.en_qpv,
           r.departement, r.commune_insee, r.epci_siren,
           coalesce(r.annee_construction, year(l.date_mise_en_service)) as annee_construction
    from logement l
    join residence r using (residence_id)
    where l.hors_flux_motif is null
      and ($dep is null or r.departement = $dep)
      and ($epci is null or r.epci_siren = $epci)
      and ($commune is null or r.commune_insee = $commune)
),
conv as (
    select c.convention_id, c.reservataire_id, c.departement, c.perimetre, c.taux_flux,
           c.garantie_emprunt, rv.nom, rv.type
    from convention c
    join reservataire rv using (reservataire_id)
    where $annee between c.annee_debut and c.annee_fin
),
lib as (
    select b.liberation_id, b.date_liberation, log.*, o.orientation_id, o.destinataire, o.statut,
           coalesce(b.motif = 'PREMIERE_LOCATION'
                    or b.date_liberation <= log.date_mise_en_service + interval 31 day, false)
               as premiere
    from liberation b
    join log using (logement_id)
    left join orientation o using (liberation_id)
    where b.date_liberation between $debut and $arret
    qualify row_number() over (partition by b.liberation_id
                               order by o.date_orientation desc nulls last,
                                        o.orientation_id desc) = 1
),
entree as (
    select * from lib
    where coalesce(destinataire, '') not in ('MUTATION', 'RU', 'ORCOD', 'LHI', 'VENTE')
      and ($premieres or not premiere)
),
cl as (
    select c.convention_id, c.reservataire_id, c.type, c.taux_flux, e.*
    from conv c
    join entree e on e.departement = c.departement
     and dans_perimetre(c.perimetre, e.commune_insee, e.epci_siren)
)
