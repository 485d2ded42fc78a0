-- 010_modele_vacance: the simulator's vacancy model kept with the base (issue « performance »).
-- The model (fluxcore.simulation.modele) is fitted after every import, at the end of the demo
-- generation and after a change of the settings it reads, for every département and the
-- years the simulator opens on (fluxcore.simulation.modele.rafraichir_modeles), instead of at
-- the simulator's first view. It is derived data, as plain rows (no pickle): the fit's
-- figures, its calibration, its coefficients and each dwelling's probability.
-- `empreinte` fingerprints what the fit read (the rows of sql/simulation/historique_sources,
-- the model's code and libraries): the simulator uses a stored model only when the base still
-- gives the same fingerprint, and fits on the fly otherwise (slow, never wrong). One model per
-- (departement, annee, nb) is written by the refit, which deletes the former one in the same
-- transaction; no primary key on the four tables (rows are deleted and written again in one
-- transaction). Never imported, never exported.
create sequence modele_vacance_seq;

create table modele_vacance (
    modele_id         bigint not null,            -- nextval('modele_vacance_seq')
    departement       varchar not null,
    annee             integer not null,           -- the year forecast (first of the period)
    nb                integer not null,           -- observed years before it (setting)
    empreinte         varchar not null,           -- fingerprint of the inputs (sha256, hex)
    estime            boolean not null,           -- false: segment rates (history too short)
    message           varchar not null,
    n_apprentissage   bigint not null,            -- dwelling-years of the training rows
    annees_observees  integer[] not null,
    taux_moyen        double not null,
    brier             double,                     -- temporal hold-out (NULL: not computed)
    brier_reference   double,
    auc               double,
    n_predictions     bigint not null,            -- rows of modele_vacance_prediction
    n_calibration     bigint not null,            -- rows of modele_vacance_calibration
    n_coefficients    bigint not null,            -- rows of modele_vacance_coefficient
    estime_le         timestamp not null,
    estime_par        varchar not null
);

create table modele_vacance_calibration (
    modele_id  bigint not null,
    decile     bigint not null,
    n          bigint not null,
    predit     double not null,
    observe    double not null
);

create table modele_vacance_coefficient (
    modele_id   bigint not null,
    rang        integer not null,                 -- order of the table (largest |coef| first)
    variable    varchar not null,
    coef        double not null,
    odds_ratio  double not null
);

create table modele_vacance_prediction (
    modele_id      bigint not null,
    rang           integer not null,              -- order of the fit's rows (logement_id)
    logement_id    varchar not null,
    commune_insee  varchar not null,
    epci_siren     varchar,
    typologie      varchar not null,
    en_qpv         boolean not null,
    p              double not null                -- probability of a libération in `annee`
);
