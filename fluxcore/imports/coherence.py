"""Checks only the merged data can answer, run inside the import transaction after the upsert:
unknown references, the row rules of fluxcore.check (incoherent dates…), conventions above
100 % in a département.

Each check joins the sheet's typed rows (for the file line) to the table as it now stands, so
a row is judged with what the same batch brought (a logement of a résidence imported in the
same batch is fine) and with what the database already held.
"""

from __future__ import annotations

from fluxcore.check import REGLES_LIGNE
from fluxcore.db import load_sql
from fluxcore.formats import fmt_date, fmt_num
from fluxcore.imports.problems import Problems
from fluxcore.imports.spec import SPECS

RATES = """
with {periodes},
touched as (select distinct c.departement from convention c
            join {typed} b on b.convention_id = c.convention_id),
conv as (select * from conv_periode join touched using (departement)
         where localisee and debut <= fin),
-- the highest sum of a year is reached on 1 January or on the day a convention starts
jours as (select departement, debut as jour from conv
          union select departement, make_date(unnest(range(year(debut), year(fin) + 1)), 1, 1)
          from conv),
scopes as (select distinct departement, perimetre from conv),
par_jour as (
    select j.departement, year(j.jour) as annee, j.jour, s.perimetre,
           sum(c.taux_flux) as total,
           string_agg(c.convention_id || ' ' || replace(printf('%.1f', c.taux_flux), '.', ',')
                      || ' %', ', ' order by c.convention_id) as detail,
           list(c.convention_id) as ids
    from jours j join scopes s using (departement)
    join conv c on c.departement = j.departement and j.jour between c.debut and c.fin
        and (c.perimetre is null or c.perimetre = s.perimetre or c.perimetre = (
             select r.epci_siren from ref_commune r where r.code_insee = s.perimetre))
    group by all),
totals as (
    select departement, annee, perimetre, arg_max(total, total) as total,
           arg_max(detail, total) as detail, arg_max(ids, total) as ids
    from par_jour group by all)
select min(b.__ligne) as ligne, t.departement, t.annee, t.perimetre, t.total, t.detail
from totals t join {typed} b on list_contains(t.ids, b.convention_id)
where t.total > 100.0001
group by all order by t.departement, t.annee, t.perimetre nulls first
"""


# two conventions of one réservataire in one département whose periods overlap (R441-5: one
# per bailleur × réservataire × département); the other one named with its line when it is in
# the same sheet
CHEVAUCHEMENTS = """
with {periodes},
lot as (select convention_id, min(__ligne) as ligne from {typed} group by all)
select l.ligne, a.convention_id, a.reservataire_id, a.departement, b.convention_id,
       o.ligne, b.debut, b.fin, greatest(a.debut, b.debut), least(a.fin, b.fin)
from conv_periode a
join lot l using (convention_id)
join conv_periode b on b.reservataire_id = a.reservataire_id
 and b.departement = a.departement and b.convention_id <> a.convention_id
 and a.debut <= a.fin and b.debut <= b.fin and b.debut <= a.fin and a.debut <= b.fin
left join lot o on o.convention_id = b.convention_id
order by l.ligne, b.convention_id
"""


def _key_join(table: str) -> str:
    return " and ".join(f"x.{k} is not distinct from b.{k}" for k in SPECS[table].key)


def _rows(cur, sql: str, limit: int) -> list[tuple]:
    return cur.execute(f"select *, count(*) over () from ({sql}) order by 1 limit {limit}") \
        .fetchall()


def check(cur, target, problems: Problems) -> None:
    """Report the coherence problems of one imported sheet."""
    table, typed, where = target.table, target.typed, target.sheet.where
    on = _key_join(table)
    for ref in SPECS[table].references:
        if ref.column not in target.columns:
            continue
        extra = (f"and b.{ref.column} not in ({', '.join(repr(v) for v in ref.also)})"
                 if ref.also else "")
        found = _rows(cur, f"select b.__ligne, b.{ref.column} from {typed} b "
                           f"where b.{ref.column} is not null {extra} and not exists (select 1 "
                           f"from {ref.table} r where r.{ref.target} = b.{ref.column})",
                      problems.limit)
        if found:
            problems.add_many(where, [(r[0], r[1]) for r in found], found[0][-1], ref.column,
                              f"référence inconnue : aucune ligne de {SPECS[ref.table].label} "
                              "avec cet identifiant, ni dans la base ni dans le lot")
    for rule in REGLES_LIGNE:
        if rule.table != table:
            continue
        found = _rows(cur, f"select b.__ligne, x.{rule.colonne} from {typed} b join {table} x "
                           f"on {on} where {rule.condition}", problems.limit)
        if found:
            message = rule.libelle[0].lower() + rule.libelle[1:]
            problems.add_many(where, [(r[0], r[1]) for r in found], found[0][-1], rule.colonne,
                              message, rule.niveau)
    if table == "convention":
        _chevauchements(cur, target, problems)
    rate_cols = {"taux_flux", "departement", "annee_debut", "annee_fin", "perimetre",
                 "date_debut", "date_fin", "fin_pret", "garantie_emprunt"}
    if table == "convention" and rate_cols & set(target.columns):
        for ligne, dep, annee, perimetre, total, detail, _n in _rows(
                cur, RATES.format(periodes=load_sql("conventions/periodes"), typed=typed),
                problems.limit):
            scope = f" (périmètre {perimetre})" if perimetre else ""
            problems.add(where, ligne, "taux_flux", fmt_num(total, 1),
                         f"les conventions en vigueur en {annee} dans le département {dep}"
                         f"{scope} totalisent plus de 100 % : {detail}")


def _chevauchements(cur, target, problems: Problems) -> None:
    """A second convention of a réservataire in a département over the same days: refused,
    naming the other convention (and its line when it is in the same sheet)."""
    sql = CHEVAUCHEMENTS.format(periodes=load_sql("conventions/periodes"), typed=target.typed)
    for ligne, cid, rid, dep, autre, ligne_autre, debut, fin, du, au, _n in _rows(
            cur, sql, problems.limit):
        ou = f"ligne {ligne_autre} de ce fichier" if ligne_autre else "hors de ce fichier"
        problems.add(target.sheet.where, ligne, "convention_id", cid,
                     f"le réservataire {rid} a déjà une convention dans le département {dep} "
                     f"sur la même période : {autre} ({ou}), en vigueur du {fmt_date(debut)} "
                     f"au {fmt_date(fin)} ; les deux se chevauchent du {fmt_date(du)} au "
                     f"{fmt_date(au)}. Une seule convention par bailleur, réservataire et "
                     "département (R441-5) : terminez l'une (date_fin) avant le début de "
                     "l'autre")
