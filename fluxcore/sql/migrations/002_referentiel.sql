-- 002_referentiel: reference geography (names of communes, EPCI, QPV) for joins and labels.
-- Filled from data/ref at creation (fluxcore.referentiel); real imports may add rows.

create table ref_commune (
    code_insee   varchar primary key,
    nom          varchar not null,
    departement  varchar not null,
    epci_siren   varchar,
    population   integer
);

create table ref_epci (
    epci_siren  varchar primary key,
    nom         varchar not null,
    type        varchar
);

create table ref_departement (
    departement  varchar primary key,
    nom          varchar not null
);

create table ref_qpv (
    qpv_code     varchar primary key,
    nom          varchar not null,
    communes     varchar,
    departement  varchar
);
