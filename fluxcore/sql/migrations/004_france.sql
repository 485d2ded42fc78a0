-- 004_france: the reference geography of the whole of France (docs/geographie.md).
-- ref_commune gains the arrondissements municipaux (type, commune_parent) and each commune's
-- centre; old commune codes map to their 2026 commune; ref_version records which data/ref
-- the ref_* tables were filled from (they are refilled when it changes).
-- A résidence keeps the QPV its file gave apart from the QPV computed on the 2024 contours,
-- and the coordinates as they came (x, y, epsg).

alter table ref_commune add column type varchar;
alter table ref_commune add column commune_parent varchar;
alter table ref_commune add column longitude double;
alter table ref_commune add column latitude double;
alter table ref_qpv add column departements varchar;

create table ref_commune_ancien (
    code_ancien  varchar primary key,
    code_insee   varchar not null
);

create table ref_version (
    version    varchar not null,
    seeded_at  timestamp not null
);

alter table residence add column qpv_code_fichier varchar;
alter table residence add column en_qpv_fichier boolean;
alter table residence add column x double;
alter table residence add column y double;
alter table residence add column epsg integer;
alter table residence add column coordonnees_source varchar;

-- The commune of an arrondissement municipal (69383 -> 69123); any other code unchanged.
-- The arrondissements of Paris, Lyon and Marseille are fixed by the loi PLM (1982); written as
-- ranges so that the perimeter joins need no lookup (tests/test_geo.py checks the macro
-- against ref_commune.commune_parent on every code of the reference).
create macro commune_mere(c) as
    case when c between '75101' and '75120' then '75056'
         when c between '69381' and '69389' then '69123'
         when c between '13201' and '13216' then '13055'
         else c end;

-- A commune code of 2026: an old code of a merged commune becomes its 2026 commune.
create macro commune_2026(c) as
    coalesce((select a.code_insee from ref_commune_ancien a where a.code_ancien = c), c);

-- A convention's perimeter (NULL = the whole département, else a commune or an EPCI) covers a
-- place: a commune's convention covers its arrondissements municipaux.
create macro dans_perimetre(perimetre, commune, epci) as
    perimetre is null or perimetre = commune or perimetre = epci
    or perimetre = commune_mere(commune);
