-- 005_fichiers: files as they really come (docs/imports.md).
-- A dwelling keeps the financing code of its RPLS file (nomenclature FINAN, kept as given)
-- beside the product's category, and, when its file gave no identifier, the signature of its
-- stable attributes that finds it again in next year's file.
-- Named column mappings for foreign files (SNE extracts, ERP exports…), reused from one
-- import to the next.
-- The occupation survey (OPS) as it is sent to the landlord: aggregates per commune, QPV and
-- hors QPV apart, households moved in within two years apart.

alter table logement add column financement_code varchar;
alter table logement add column signature varchar;

create table correspondance (
    nom          varchar primary key,
    table_cible  varchar not null,
    colonnes     varchar not null,              -- JSON {colonne cible: en-tête du fichier}
    valeurs      varchar not null default '{}', -- JSON {colonne cible: {valeur du fichier: code}}
    cree_par     varchar,
    cree_le      timestamp,
    modifie_par  varchar,
    modifie_le   timestamp
);

create table occupation_territoire (
    commune_insee            varchar not null,
    secteur                  varchar not null check (secteur in ('QPV', 'HORS_QPV', 'ENSEMBLE')),
    annee                    integer not null,
    population               varchar not null default 'ENSEMBLE'
                                 check (population in ('ENSEMBLE', 'EMMENAGES_RECENTS')),
    nb_menages               integer check (nb_menages >= 0),
    part_ressources_faibles  double check (part_ressources_faibles between 0 and 100),
    part_monoparentales      double check (part_monoparentales between 0 and 100),
    part_sans_emploi         double check (part_sans_emploi between 0 and 100),
    part_apl                 double check (part_apl between 0 and 100),
    part_personnes_seules    double check (part_personnes_seules between 0 and 100),
    part_grandes_familles    double check (part_grandes_familles between 0 and 100),
    part_moins_25            double check (part_moins_25 between 0 and 100),
    part_plus_65             double check (part_plus_65 between 0 and 100),
    primary key (commune_insee, secteur, annee, population)
);
