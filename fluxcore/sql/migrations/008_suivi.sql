-- 008_suivi: the life of an orientation inside the product (issue « daily work »).
-- A convention says how long its réservataire has to propose candidates once a dwelling is
-- put at its disposal (delai_proposition_jours; NULL: the setting delai_proposition_jours) and
-- how many it may propose (nb_candidats_max; NULL: the setting nb_candidats_max).
-- An orientation keeps its deadline (date_limite, fixed when it is recorded) and when it last
-- changed (modifie_le: two users at once, the second is told).
-- candidature: the households proposed for an oriented dwelling (pseudonymous demande ids),
-- who proposed them, and what became of each: PROPOSE, RETENU (the CALEOL attributed the
-- dwelling), REFUSE_CALEOL (refused by the CALEOL, with a motif), AJOURNE (decision
-- postponed), REFUS_MENAGE (the household declined the dwelling, with a motif: it counts for
-- the cotation's refusal rule), RETIRE (withdrawn before the CALEOL).
-- avis: every notice of availability sent or downloaded for an orientation; a réservataire's
-- e-mail address (reservataire.email) receives them.

alter table convention add column delai_proposition_jours integer;
alter table convention add column nb_candidats_max integer;
alter table orientation add column date_limite date;
alter table reservataire add column email varchar;
alter table orientation add column modifie_le timestamp;

create table candidature (
    candidature_id   varchar primary key,
    orientation_id   varchar not null,
    demande_id       varchar not null,
    rang             integer not null default 1 check (rang >= 1),
    date_proposition date not null,
    propose_par      varchar not null,          -- login of who proposed it
    origine          varchar not null default 'BAILLEUR'
                         check (origine in ('BAILLEUR', 'RESERVATAIRE')),
    statut           varchar not null default 'PROPOSE'
                         check (statut in ('PROPOSE', 'RETENU', 'REFUSE_CALEOL', 'AJOURNE',
                                           'REFUS_MENAGE', 'RETIRE')),
    date_decision    date,
    motif            varchar,
    modifie_le       timestamp
);

create sequence avis_seq;

create table avis (
    avis_id          bigint primary key default nextval('avis_seq'),
    orientation_id   varchar not null,
    reservataire_id  varchar not null,
    cree_le          timestamp not null,
    cree_par         varchar not null,
    canal            varchar not null check (canal in ('COURRIEL', 'TELECHARGEMENT')),
    destinataire     varchar,                   -- e-mail address, when sent
    sujet            varchar not null,
    statut           varchar not null check (statut in ('ENVOYE', 'ECHEC', 'TELECHARGE')),
    erreur           varchar
);
