-- 006_regles: the convention rules a préfet would sign (issue 22, docs/regles.md#conventions,
-- #derogations, #conversion).
-- A convention may start and end on any day (date_debut, date_fin; NULL = 1 January of
-- annee_debut, 31 December of annee_fin): its share is prorated over the part of the year it
-- covers. A convention tied to a loan guarantee ends with the loan (fin_pret) plus the years of
-- the setting garantie_duree_apres_pret_ans.
-- A préfectoral dérogation to the préfet's limit (R441-5-2) is an arrêté with its own dates
-- (one year at most) and rate, per département; the old convention.derogation_fin (an end date
-- only) becomes a dérogation of one year ending that day, at the préfet's rate.
-- A réservataire whose rights the préfet took back (repris_par_prefet) since date_reprise.

alter table convention add column date_debut date;
alter table convention add column date_fin date;
alter table convention add column fin_pret date;
alter table reservataire add column date_reprise date;

create table derogation (
    derogation_id  varchar primary key,
    departement    varchar not null,
    arrete         varchar not null,
    date_debut     date not null,
    date_fin       date not null,
    taux_max       double not null check (taux_max between 0 and 100),
    taux_agents_max double check (taux_agents_max between 0 and 100),
    check (date_fin >= date_debut)
);

-- The rate of a taken-over dérogation: the préfet's total rate that year (département-wide
-- conventions, prioritaires + agents), as the old flag covered the préfet's whole excess; the
-- same rule as fluxcore/sql/derogation/reprise.sql (used by imports of the old column).
insert into derogation (derogation_id, departement, arrete, date_debut, date_fin, taux_max)
select 'DEROG-' || c.convention_id, c.departement,
       'Dérogation reprise de la convention ' || c.convention_id || ' (taux à vérifier)',
       cast(c.derogation_fin - interval 1 year + interval 1 day as date), c.derogation_fin,
       least(100, coalesce((
           select sum(p.taux_flux)
           from convention p
           join reservataire pr using (reservataire_id)
           where p.departement = c.departement and p.perimetre is null
             and pr.type in ('PREFET', 'PREFET_FONCTIONNAIRES')
             and year(c.derogation_fin) between p.annee_debut and p.annee_fin),
           c.taux_flux))
from convention c join reservataire r using (reservataire_id)
where c.derogation_fin is not null and r.type in ('PREFET', 'PREFET_FONCTIONNAIRES');
