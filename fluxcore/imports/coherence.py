"""Checks only the merged data can answer, run inside the import transaction after the upsert:
unknown references, the row rules of fluxcore.check (incoherent dates…), conventions above
100 % in a département.

Each check joins the sheet's typed rows (for the file line) to the table as it now stands, so
a row is judged with what the same batch brought (a logement of a résidence imported in the
same batch is fine) and with what the database already held.
"""

from __future__ import annotations

from fluxcore.check import REGLES_LIGNE
from fluxcore.imports.problems import Problems
from fluxcore.imports.spec import SPECS

RATES = """
with touched as (select distinct c.departement from convention c
                 join {typed} b on b.convention_id = c.convention_id),
annees as (select distinct c.departement, unnest(range(c.annee_debut, c.annee_fin + 1)) as annee
           from convention c join touched using (departement)),
scopes as (select distinct departement, perimetre from convention join touched
           using (departement)),
totals as (
    select a.departement, a.annee, s.perimetre, sum(c.taux_flux) as total,
           string_agg(c.convention_id || ' ' || replace(printf('%.1f', c.taux_flux), '.', ',')
                      || ' %', ', ' order by c.convention_id) as detail,
           list(c.convention_id) as ids
    from annees a join scopes s using (departement)
    join convention c on c.departement = a.departement
        and a.annee between c.annee_debut and c.annee_fin
        and (c.perimetre is null or c.perimetre = s.perimetre or c.perimetre = (
             select r.epci_siren from ref_commune r where r.code_insee = s.perimetre))
    group by all)
select min(b.__ligne) as ligne, t.departement, t.annee, t.perimetre, t.total, t.detail
from totals t join {typed} b on list_contains(t.ids, b.convention_id)
where t.total > 100.0001
group by all order by t.departement, t.annee, t.perimetre nulls first
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
    rate_cols = {"taux_flux", "departement", "annee_debut", "annee_fin", "perimetre"}
    if table == "convention" and rate_cols & set(target.columns):
        for ligne, dep, annee, perimetre, total, detail, _n in _rows(
                cur, RATES.format(typed=typed), problems.limit):
            scope = f" (périmètre {perimetre})" if perimetre else ""
            problems.add(where, ligne, "taux_flux", f"{total:.1f}".replace(".", ","),
                         f"les conventions en vigueur en {annee} dans le département {dep}"
                         f"{scope} totalisent plus de 100 % : {detail}")
