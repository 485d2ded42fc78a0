-- 009_etat: maintained state (issue « performance »). fait_liberation holds one row per
-- libération of a dwelling that exists, with what every reading of the flux needs: the
-- dwelling and its résidence's territory, whether it is a first letting, and the libération's
-- latest orientation (the one with the latest date, then the greatest id). It is derived
-- data: fluxcore.etat keeps it equal to its definition (sql/etat/fait_liberation.sql) in the
-- same transaction as every write (Database.transaction), and `python -m fluxcore check`
-- compares it with a full recomputation. Never written by hand, never imported, never
-- exported. No primary key (a libération's row is deleted and written again in the same
-- transaction); its uniqueness is part of what check verifies.
create table fait_liberation (
    liberation_id         varchar not null,
    logement_id           varchar not null,
    residence_id          varchar not null,
    date_liberation       date not null,
    motif                 varchar,
    departement           varchar not null,
    commune_insee         varchar not null,
    epci_siren            varchar,
    en_qpv                boolean not null,
    typologie             varchar not null,
    financement           varchar not null,
    hors_flux_motif       varchar,
    date_mise_en_service  date,
    annee_construction    bigint,
    premiere              boolean not null,
    orientation_id        varchar,
    destinataire          varchar,
    statut                varchar,
    date_orientation      date
);

-- fait_parc: the dwellings counted per territory × segment × year of entry into service (one
-- row per département, commune, EPCI, QPV, typologie, financement, hors-flux motif and
-- debut_annee_service, 1 January of the year the dwelling entered service, NULL when unknown,
-- with how many dwellings): the parc of a year, its exposure over past years and its first
-- lettings (rules on the year of service only) without reading every dwelling. Derived like fait_liberation
-- (definition sql/etat/fait_parc.sql), kept by fluxcore.etat, verified by check.
create table fait_parc (
    departement           varchar not null,
    commune_insee         varchar not null,
    epci_siren            varchar,
    en_qpv                boolean not null,
    typologie             varchar not null,
    financement           varchar not null,
    hors_flux_motif       varchar,
    debut_annee_service   date,
    logements             bigint not null
);
