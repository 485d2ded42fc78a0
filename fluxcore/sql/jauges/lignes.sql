-- Shared CTEs (included with {{ jauges/lignes }}): the flux of the year in a territory.
-- $annee, $debut, $arret, $dep, $epci, $commune, $premieres (first lettings in the flux).
-- conv, droit (and the CTEs they rest on): conventions in force and the rights they give on
-- which days, préfet's reprises included ({{ conventions/droits }}).
-- log: flux dwellings of the territory; lib: libérations of the year up to $arret with their
-- latest orientation (and its date), read from terr (the maintained fait_liberation of the
-- territory, every year); entree: those that entered the flux (not used for a subtracted
-- category; first lettings per the setting); cl: dwelling × right covering it (same département,
-- perimeter = whole département, its commune or its EPCI, vacated on a day of the right: the
-- base of what is owed; doublon: see {{ conventions/droits }}); livre: each dwelling oriented to a réservataire inside one of its
-- perimeters, on one line of it (delivered: orientes, attribues…).
{{ conventions/droits }},
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
terr as (
    -- every libération of the territory's flux dwellings, all years: the maintained state
    -- (fluxcore.etat), libération × dwelling × territory × latest orientation
    select * from fait_liberation f
    where f.hors_flux_motif is null
      and ($dep is null or f.departement = $dep)
      and ($epci is null or f.epci_siren = $epci)
      and ($commune is null or f.commune_insee = $commune)
),
lib as (
    select liberation_id, date_liberation, logement_id, typologie, financement,
           date_mise_en_service, en_qpv, departement, commune_insee, epci_siren,
           annee_construction, orientation_id, destinataire, statut, date_orientation, premiere
    from terr
    where date_liberation between $debut and $arret
),
entree as (
    select * from lib
    where coalesce(destinataire, '') not in {{ codes/soustraits }}
      and ($premieres or not premiere)
),
cl as (
    select c.convention_id, c.reservataire_id, c.type, c.taux_flux, c.doublon, e.*
    from droit c
    join entree e on e.departement = c.departement
     and dans_perimetre(c.perimetre, e.commune_insee, e.epci_siren)
     and e.date_liberation between c.debut and c.fin
),
livre as (
    -- the line a delivered dwelling counts on: one in force when it was vacated (own rights
    -- before a reprise line), else one in force when it was oriented (a dwelling oriented to
    -- the réservataire before the préfet took its rights back stays its own), else the latest
    select c.convention_id, c.type, e.*
    from entree e
    join droit c on c.reservataire_id = e.destinataire and c.departement = e.departement
     and dans_perimetre(c.perimetre, e.commune_insee, e.epci_siren)
    qualify row_number() over (
        partition by e.liberation_id
        order by (e.date_liberation between c.debut and c.fin) desc,
                 (c.repris_de is null) desc,
                 (e.date_orientation between c.debut and c.fin) desc,
                 c.fin desc, c.convention_id) = 1
)
