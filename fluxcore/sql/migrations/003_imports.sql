-- 003_imports: lineage of imports (unchanged rows, sheet, batch) and the RPLS fields kept on
-- a dwelling (energy label, collective or individual building).
alter table import_batch add column rows_unchanged bigint default 0;
alter table import_batch add column sheet varchar;
alter table import_batch add column lot bigint;
alter table logement add column dpe_energie varchar;
alter table logement add column type_construction varchar;
