-- 001_schema: the data-model contract of docs/donnees.md.
-- Table and column names are a contract: add, never rename.
-- Referential integrity is checked by fluxcore.check and by the importer (DuckDB foreign keys
-- forbid upserts of referenced rows and slow bulk loads at the national tier).

create table residence (
    residence_id        varchar primary key,
    nom                 varchar not null,
    adresse             varchar,
    commune_insee       varchar not null,
    epci_siren          varchar,
    departement         varchar not null,
    qpv_code            varchar,
    en_qpv              boolean not null default false,
    latitude            double,
    longitude           double,
    annee_construction  integer
);

create table logement (
    logement_id           varchar primary key,
    residence_id          varchar not null,
    typologie             varchar not null check (typologie in ('T1', 'T2', 'T3', 'T4', 'T5', 'T6')),
    nb_pieces             integer check (nb_pieces between 1 and 20),
    surface_m2            double check (surface_m2 > 0),
    financement           varchar not null check (financement in ('PLAI', 'PLUS', 'PLS', 'PLI', 'AUTRE')),
    loyer_mensuel         double check (loyer_mensuel >= 0),
    etage                 integer,
    ascenseur             boolean,
    accessible_pmr        boolean,
    date_mise_en_service  date,
    hors_flux_motif       varchar check (hors_flux_motif in ('DEFENSE', 'SECURITE_INTERIEURE', 'SANTE'))
);

create table reservataire (
    reservataire_id    varchar primary key,
    nom                varchar not null,
    type               varchar not null check (type in ('PREFET', 'PREFET_FONCTIONNAIRES',
                           'ACTION_LOGEMENT', 'COMMUNE', 'EPCI', 'DEPARTEMENT', 'REGION',
                           'EMPLOYEUR', 'AUTRE')),
    territoire         varchar,
    repris_par_prefet  boolean not null default false
);

create table convention (
    convention_id     varchar primary key,
    reservataire_id   varchar not null,
    departement       varchar not null,
    perimetre         varchar,
    annee_debut       integer not null,
    annee_fin         integer not null,
    taux_flux         double not null check (taux_flux >= 0 and taux_flux <= 100),
    garantie_emprunt  boolean not null default false,
    date_signature    date,
    derogation_fin    date,          -- préfet: end of a préfectoral derogation (R441-5-2), else NULL
    check (annee_fin >= annee_debut)
);

create table reservation_stock (
    logement_id      varchar not null,
    reservataire_id  varchar not null,
    type_droit       varchar not null check (type_droit in ('SUITE', 'UNIQUE')),
    nb_droits        integer not null default 1 check (nb_droits >= 0),
    date_fin         date,
    primary key (logement_id, reservataire_id, type_droit)
);

create table liberation (
    liberation_id    varchar primary key,
    logement_id      varchar not null,
    date_conge       date,
    date_liberation  date not null,
    motif            varchar
);

create table orientation (
    orientation_id    varchar primary key,
    liberation_id     varchar not null,
    destinataire      varchar not null,
    date_orientation  date not null,
    statut            varchar not null check (statut in ('ORIENTE', 'CANDIDATS_PROPOSES', 'CALEOL',
                          'ATTRIBUE', 'RENDU_BAILLEUR')),
    decided_by        varchar,
    justification     varchar
);

create table attribution (
    attribution_id    varchar primary key,
    orientation_id    varchar,
    logement_id       varchar not null,
    date_caleol       date,
    date_bail         date,
    menage_id         varchar,
    taille_menage     integer check (taille_menage between 1 and 20),
    ressources_uc     double check (ressources_uc >= 0),
    quartile          integer check (quartile between 1 and 4),
    prioritaire       boolean not null default false,
    dalo              boolean not null default false,
    mutation_interne  boolean not null default false,
    relogement        varchar check (relogement in ('RU', 'ORCOD', 'LHI', 'VENTE')),
    salarie           boolean not null default false
);

create table occupation (
    residence_id            varchar not null,
    annee                   integer not null,
    nb_menages              integer check (nb_menages >= 0),
    part_ressources_faibles double check (part_ressources_faibles between 0 and 100),
    part_monoparentales     double check (part_monoparentales between 0 and 100),
    part_sans_emploi        double check (part_sans_emploi between 0 and 100),
    part_apl                double check (part_apl between 0 and 100),
    part_personnes_seules   double check (part_personnes_seules between 0 and 100),
    part_grandes_familles   double check (part_grandes_familles between 0 and 100),
    part_moins_25           double check (part_moins_25 between 0 and 100),
    part_plus_65            double check (part_plus_65 between 0 and 100),
    taux_rotation           double check (taux_rotation between 0 and 100),
    taux_vacance            double check (taux_vacance between 0 and 100),
    taux_impayes            double check (taux_impayes between 0 and 100),
    primary key (residence_id, annee)
);

create table objectif (
    epci_siren       varchar not null,
    annee            integer not null,
    indicateur       varchar not null check (indicateur in ('Q1_HORS_QPV', 'Q234_EN_QPV', 'PRIORITAIRES')),
    reservataire_id  varchar,
    cible_pct        double not null check (cible_pct between 0 and 100)
);

create table seuil_quartile (
    epci_siren   varchar not null,
    annee        integer not null,
    seuil_q1_uc  double not null check (seuil_q1_uc > 0),
    primary key (epci_siren, annee)
);

create table demande (
    demande_id           varchar primary key,
    date_depot           date not null,
    commune_souhaitee    varchar,
    typologie_souhaitee  varchar check (typologie_souhaitee in ('T1', 'T2', 'T3', 'T4', 'T5', 'T6')),
    taille_menage        integer check (taille_menage between 1 and 20),
    ressources_uc        double check (ressources_uc >= 0),
    criteres             varchar[],
    statut               varchar not null check (statut in ('ACTIVE', 'ATTRIBUEE', 'RADIEE')),
    date_radiation       date,
    motif_radiation      varchar,
    nb_refus             integer not null default 0 check (nb_refus >= 0),
    salarie              boolean not null default false,
    agent_public         boolean not null default false
);

create table grille_cotation (
    epci_siren  varchar not null,
    version     integer not null,
    critere     varchar not null,
    points      double not null,
    libelle     varchar,
    date_effet  date,
    primary key (epci_siren, version, critere)
);

create table parametre (
    cle          varchar primary key,
    valeur       varchar not null,      -- JSON-encoded value
    description  varchar not null,
    reference    varchar,               -- legal reference or source of the default
    updated_at   timestamp,
    updated_by   varchar
);

create table import_batch (
    batch_id       bigint primary key,
    file_name      varchar not null,
    sha256         varchar not null,
    table_name     varchar not null,
    rows_inserted  bigint not null default 0,
    rows_updated   bigint not null default 0,
    imported_by    varchar,
    imported_at    timestamp not null
);

create sequence audit_log_seq;

create table audit_log (
    audit_id     bigint primary key default nextval('audit_log_seq'),
    logged_at    timestamp not null,
    actor        varchar not null,
    action       varchar not null,
    table_name   varchar,
    entity_id    varchar,
    details      varchar               -- JSON
);

create table scenario (
    scenario_id  varchar primary key,
    nom          varchar not null,
    parametres   varchar not null,     -- JSON
    resultats    varchar,              -- JSON
    created_by   varchar,
    created_at   timestamp not null,
    updated_at   timestamp
);
