"""Identifiers whose leading zeros a spreadsheet dropped (« 0800000254 » read as the number
800000254, then written back as « 800000254 »): without this check a re-import would add them
as new rows, and nothing later would notice.

For every identifier column of every typed sheet — a table's own id (logement_id,
residence_id, liberation_id…, and the dwelling id of an RPLS file, IDENT_REP or IDENT_INT) and
the columns that reference another table (residence_id of a logement, logement_id of a
libération…) — two set-based checks, one query each per sheet and column:

- the value, all digits, is not an id of the table as it is, but is exactly one existing id
  once its leading zeros are stripped (« 0800000254 » exists, « 800000254 » comes): an error,
  the row would be added (or point nowhere);
- a new id (absent from the table), all digits, is shorter than the ids of its column (in the
  file and in the table) when those all have the same width and some start with a zero: an
  error, the zeros were lost before any row was imported.

The safe behaviour is chosen: such ids are refused with the id they most likely were, never
restored silently. Restoring would guess (« 800000254 » may be a genuine new id of another
numbering), and the file would stay wrong for the next import; the message says how to fix it
(format the column as Texte in the spreadsheet, or export the ids as text).
"""

from __future__ import annotations

from fluxcore.imports.problems import Problems
from fluxcore.imports.reader import normalise
from fluxcore.imports.spec import SPECS

# an existing row, as the message names it
LE = {"residence": "la résidence", "logement": "le logement", "reservataire": "le réservataire",
      "convention": "la convention", "derogation": "la dérogation",
      "liberation": "la libération", "orientation": "l'orientation",
      "attribution": "l'attribution", "demande": "la demande", "candidature": "la candidature",
      "radiation_sne": "la radiation", "parametre": "le paramètre"}
HINT = "les zéros de tête ont sans doute été perdus par le tableur (format Texte)"
DIGITS = "[0-9]+"


def _label(target, column: str) -> str:
    """The column as the file names it."""
    sheet = target.sheet
    staged = sheet.columns.get(column)
    if staged is None and target.table == "logement" and column == "logement_id":
        from fluxcore.imports.rpls import ID_INT, ID_REP
        wanted = (*ID_REP, *ID_INT)
        staged = next((f"c{i}" for n in wanted for i, h in enumerate(sheet.headers)
                       if normalise(h) == n), None)
    if staged and staged[1:].isdigit() and int(staged[1:]) < len(sheet.headers):
        return sheet.headers[int(staged[1:])] or column
    return column


def _columns(target, schemas) -> list[tuple[str, str, str, bool]]:
    """(column, table, id column of that table, own key) for each identifier column."""
    spec = SPECS[target.table]
    out = []
    if len(spec.key) == 1 and not target.computed_key:
        out.append((spec.key[0], target.table, spec.key[0], True))
    for ref in spec.references:
        out.append((ref.column, ref.table, ref.target, False))
    return [(c, t, k, own) for c, t, k, own in out if c in target.present
            and schemas[t][k].sql_type == "VARCHAR"
            and schemas[target.table][c].sql_type == "VARCHAR"]


def check(cur, targets, problems: Problems, schemas) -> None:
    """Report the ids of every sheet that lost their leading zeros (module docstring)."""
    for target in targets:
        for column, table, key, own in _columns(target, schemas):
            _against_table(cur, target, column, table, key, problems)
            if own:
                _against_width(cur, target, column, table, key, problems)


def _against_table(cur, target, column: str, table: str, key: str, problems: Problems) -> None:
    typed = target.typed
    found = cur.execute(
        f"""with b as (select __ligne, {column} as v from {typed} b
                       where regexp_full_match({column}, '{DIGITS}') and {column} not like '0%'
                       and not exists (select 1 from {table} x where x.{key} = b.{column})),
                 e as (select {key} as id, ltrim({key}, '0') as s from {table}
                       where {key} like '0%'),
                 m as (select b.__ligne, b.v, min(e.id) as id, count(*) as n
                       from b join e on e.s = b.v group by all)
            select __ligne, v, id, count(*) over () from m where n = 1
            order by __ligne limit {problems.limit}""").fetchall()
    if not found:
        return
    label = _label(target, column)
    le = LE.get(table, f"l'identifiant de {SPECS[table].label}")
    for line, value, existing, _n in found:
        problems.add(target.sheet.where, line, label, value,
                     f"identifiant « {value} » : {le} « {existing} » existe déjà ; {HINT}")
    if found[0][3] > len(found):
        problems.add(target.sheet.where, None, label, None,
                     f"identifiants sans leurs zéros de tête : {found[0][3]} en tout, "
                     f"{len(found)} montrés ; {HINT}")


def _against_width(cur, target, column: str, table: str, key: str, problems: Problems) -> None:
    typed = target.typed
    found = cur.execute(
        f"""with ids as (select {column} as id from {typed}
                         where regexp_full_match({column}, '{DIGITS}')
                         union all select {key} from {table}
                         where regexp_full_match({key}, '{DIGITS}')),
                 w as (select min(length(id)) filter (where id like '0%') as w,
                              max(length(id)) filter (where id like '0%') as w_max,
                              max(length(id)) as longest,
                              count(*) filter (where id like '0%') as zeros,
                              arg_min(id, id) filter (where id like '0%') as example
                       from ids)
            select b.__ligne, b.{column}, w.w, w.example, count(*) over ()
            from {typed} b, w
            where w.zeros >= 1 and w.w = w.w_max and w.longest = w.w
              and regexp_full_match(b.{column}, '{DIGITS}') and b.{column} not like '0%'
              and length(b.{column}) < w.w
              and not exists (select 1 from {table} x where x.{key} = b.{column})
              and not exists (select 1 from {table} x where x.{key} like '0%'
                              and ltrim(x.{key}, '0') = b.{column})
            order by b.__ligne limit {problems.limit}""").fetchall()
    if not found:
        return
    label = _label(target, column)
    for line, value, width, example, _n in found:
        problems.add(target.sheet.where, line, label, value,
                     f"identifiant « {value} » : les autres identifiants de la colonne ont "
                     f"{width} chiffres, avec des zéros de tête (ex. « {example} ») : attendu "
                     f"« {value.rjust(width, '0')} » ? {HINT}")
