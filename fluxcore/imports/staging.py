"""From a staged sheet to a typed batch: which table it is, which column is which, and every
cell-level problem (unreadable value, missing value, unknown code, out of bounds, bad format).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from fluxcore.formats import accord, fmt_annee, fmt_nombre
from fluxcore.imports import parsing
from fluxcore.imports.problems import AVERTISSEMENT, ERREUR, Problems
from fluxcore.imports.reader import Sheet, normalise
from fluxcore.imports.spec import ALIASES, MANAGED, SPECS

RPLS_SIGNATURE = {"depcom", "nbpiece", "surfhab", "construct", "finan", "typeconst", "qpv",
                  "locat", "dpeenergie", "numvoie", "nomvoie", "loyerprinc"}


@dataclass(frozen=True)
class Column:
    name: str
    sql_type: str
    nullable: bool
    default: str | None

    @property
    def required(self) -> bool:
        return not self.nullable and self.default is None


def table_columns(cur: duckdb.DuckDBPyConnection, table: str) -> dict[str, Column]:
    rows = cur.execute(
        "select column_name, data_type, is_nullable = 'YES', column_default "
        "from information_schema.columns where table_name = ? and table_schema = 'main' "
        "order by ordinal_position", [table]).fetchall()
    return {r[0]: Column(r[0], r[1], r[2], r[3]) for r in rows}


def detect_table(sheet: Sheet, schemas: dict[str, dict[str, Column]]) -> str | None:
    """Target table of a sheet: RPLS by its column names, else the sheet name, else the one
    table whose columns fit the header, else the file name."""
    header = {normalise(h) for h in sheet.headers if h}
    # current RPLS open data pairs a code and a label: FINAN_CODE / FINAN_LIBELLE
    if len({re.sub(r"_(code|libelle)$", "", h) for h in header} & RPLS_SIGNATURE) >= 3:
        return "rpls"
    if sheet.sheet is not None and normalise(sheet.sheet) in ALIASES:
        return ALIASES[normalise(sheet.sheet)]
    fits = [t for t, cols in schemas.items()
            if set(SPECS[t].key) - set(SPECS[t].derivable) <= header and header <= set(cols)]
    words = normalise(Path(sheet.file_name).stem).split("_")
    # the longest run of words of the file name that names a table (« ops_commune_2024 »)
    runs = ["_".join(words[i:i + n]) for n in range(len(words), 0, -1)
            for i in range(len(words) - n + 1)]
    named = next((ALIASES[w] for w in runs if w in ALIASES), None)
    if len(fits) == 1:
        return fits[0]
    if named and (not fits or named in fits):
        return named
    if fits:
        return None
    scored = sorted(((len(header & set(cols)) - len(header - set(cols)),
                      set(SPECS[t].key) <= header, t) for t, cols in schemas.items()),
                    reverse=True)
    return scored[0][2] if scored and len(header & set(schemas[scored[0][2]])) >= 2 else None


def unknown_layout(sheet: Sheet) -> str:
    """Why a sheet was not recognised: what an import file may look like, and its header."""
    keys = " ; ".join(f"{t} : {', '.join(s.key)}" for t, s in SPECS.items())
    shown = [h if len(h) <= 40 else h[:39] + "…" for h in sheet.headers[:6]]
    found = ", ".join(f"« {h} »" for h in shown) if any(sheet.headers) else "vide"
    more = f"… ({len(sheet.headers)} colonnes)" if len(sheet.headers) > 6 else ""
    return ("format non reconnu : attendu l'en-tête d'une table avec ses colonnes d'identifiant "
            f"({keys}), celui d'un fichier RPLS (DEPCOM, NBPIECE, SURFHAB…), une feuille "
            "portant le nom de la table, ou une correspondance de colonnes enregistrée pour ce "
            f"fichier ; en-tête trouvé : {found}{more}")


def map_columns(sheet: Sheet, table: str, cols: dict[str, Column], problems: Problems) -> bool:
    """Fill sheet.columns (target -> staging column); report unknown, duplicate or missing
    columns. Returns False when the sheet cannot be imported."""
    ok = True
    seen: dict[str, str] = {}
    for i, header in enumerate(sheet.headers):
        name = normalise(header)
        if not name:
            continue                      # trailing empty columns of spreadsheet exports
        if name in MANAGED.get(table, ()):
            continue
        if name not in cols:
            problems.add(sheet.where, 1, header, None,
                         f"colonne inconnue pour la table {table} (colonnes attendues : "
                         f"{', '.join(c for c in cols if c not in MANAGED.get(table, ()))})")
            ok = False
        elif name in seen:
            problems.add(sheet.where, 1, header, None, f"colonne en double (déjà « {seen[name]} »)")
            ok = False
        else:
            seen[name] = header
            sheet.columns[name] = f"c{i}"
    spec = SPECS[table]
    for col in cols.values():
        if col.name in sheet.columns or col.name in spec.derivable:
            continue
        if col.name in spec.key and not col.nullable:
            problems.add(sheet.where, 1, col.name, None,
                         f"colonne obligatoire absente de la table {table} (identifiant)")
            ok = False
        elif col.required:
            sheet.missing.append(col.name)
    return ok


def check_new_rows(cur, sheet: Sheet, table: str, typed: str, on: str,
                   problems: Problems) -> None:
    """A file without some required columns may only update existing rows: report each
    row that would create one."""
    if not sheet.missing:
        return
    found = cur.execute(
        f"select __ligne, count(*) over () from {typed} b where not exists "
        f"(select 1 from {table} t where {on}) order by __ligne limit {problems.limit}"
    ).fetchall()
    if found:
        problems.add_many(sheet.where, [(r[0], None) for r in found], found[0][1],
                          ", ".join(sheet.missing),
                          f"colonne obligatoire absente de la table {table} : le fichier peut "
                          "mettre à jour des lignes existantes, mais cette ligne en crée une "
                          "nouvelle")


def build_typed(cur: duckdb.DuckDBPyConnection, sheet: Sheet, table: str, typed: str,
                cols: dict[str, Column]) -> list[str]:
    """Create temp table `typed` (__ligne, r__<col> raw text, <col> typed); returns the target
    columns present."""
    spec = SPECS[table]
    parts = ["__ligne"]
    for name, staged in sheet.columns.items():
        col = cols[name]
        expr = parsing.expression(staged, col.sql_type, name, name in spec.enums)
        if col.default is not None and not col.nullable and "nextval" not in col.default \
                and name not in spec.derivable:
            expr = f"coalesce({expr}, {col.default})"
        parts += [f"{staged} as r__{name}", f"{expr} as {name}"]
    cur.execute(f"create temp table {typed} as select {', '.join(parts)} from {sheet.staging}")
    return list(sheet.columns)


def _report(cur, typed: str, where: str, column: str, condition: str, problems: Problems,
            message: str, label: str | None = None, niveau: str = ERREUR) -> None:
    found = cur.execute(
        f"select __ligne, r__{column}, count(*) over () from {typed} where {condition} "
        f"order by __ligne limit {problems.limit}").fetchall()
    if found:
        problems.add_many(where, [(r[0], r[1]) for r in found], found[0][2], label or column,
                          message, niveau)


def _borne(name: str, x: float) -> str:
    """A bound in French: « 1 000 000 » (not « 1e+06 »), a year as a year (« 2100 »)."""
    return fmt_annee(x) if name.startswith("annee") else fmt_nombre(x)


def check_cells(cur: duckdb.DuckDBPyConnection, typed: str, where: str, table: str,
                present: list[str], cols: dict[str, Column], problems: Problems,
                labels: dict[str, str] | None = None) -> None:
    """Every cell-level problem of a typed sheet (`labels`: column names as in the file)."""
    spec = SPECS[table]
    for name in present:
        col = cols[name]
        label = (labels or {}).get(name)

        formula_error = parsing.formula_error(f"r__{name}")

        def report(condition: str, message: str, niveau: str = ERREUR, name: str = name,
                   label=label, formula_error=formula_error) -> None:
            _report(cur, typed, where, name, f"({condition}) and not {formula_error}", problems,
                    message, label, niveau)

        _report(cur, typed, where, name, formula_error, problems,
                "erreur de formule du tableur : la cellule n'a pas de valeur (corrigez la "
                "formule, ou collez les valeurs seules)", label)
        raw_set = f"nullif(trim(r__{name}), '') is not null"
        report(f"{raw_set} and {name} is null",
               f"valeur illisible : attendu {parsing.EXPECTED.get(col.sql_type, col.sql_type)}")
        _warn_read_as(cur, typed, where, name, col, label, report, problems)
        if (col.required and name not in spec.derivable) or (name in spec.key
                                                              and not col.nullable):
            report(f"{name} is null and not ({raw_set})", "valeur obligatoire manquante")
        if name in spec.enums:
            allowed = spec.enums[name]
            quoted = ", ".join(f"'{v}'" for v in allowed)
            expected = (f"{allowed[0]} à {allowed[-1]} (T6 = 6 pièces et plus, studio = T1)"
                        if name in parsing.TYPOLOGIES else f"l'un de {', '.join(allowed)}")
            if name == "contingent":
                expected += (", un libellé du SNE (« Etat prioritaires », « Employeurs et "
                             "collecteurs 1 % », « Autre contingent »…) ou un code RPLS 1 à 7")
            report(f"{name} is not null and {name} not in ({quoted})",
                   f"code inconnu : attendu {expected}")
        if name in spec.bounds:
            low, high = spec.bounds[name]
            op = ">" if name in spec.strict_lower else ">="
            what = f"{'supérieur à' if op == '>' else 'au moins'} {_borne(name, low)}"
            report(f"{name} is not null and not ({name} {op} {low} and {name} <= {high})",
                   f"valeur hors bornes : attendu {what} et au plus {_borne(name, high)}")
        if name in spec.formats:
            pattern, expected = spec.formats[name]
            wrong = f"{name} is not null and not regexp_matches({name}, '{pattern}')"
            zeros = parsing.lost_zeros(name, pattern)
            report(f"{wrong} and {zeros}", f"format invalide : attendu {expected} (un tableur "
                   "a-t-il supprimé le zéro initial ? Formatez la colonne en texte)")
            report(f"{wrong} and not {zeros}", f"format invalide : attendu {expected}")


def _warn_read_as(cur, typed: str, where: str, name: str, col: Column, label: str | None,
                  report, problems: Problems) -> None:
    """Warnings on cells read otherwise than written: a band read as its lower bound, a date
    given as an Excel serial number (once per column)."""
    raw = f"r__{name}"
    if name in parsing.TYPOLOGIES:
        report(f"{name} is not null and {parsing.typologie_band(raw)}",
               "typologie en tranche lue comme sa borne inférieure (« T5 et plus » compte "
               "pour T5)", AVERTISSEMENT)
    elif col.sql_type in ("INTEGER", "BIGINT"):
        report(f"{name} is not null and {parsing.band(raw)} = {name}",
               "valeur en tranche lue comme sa borne inférieure (« 5 et plus » compte pour 5)",
               AVERTISSEMENT)
    elif col.sql_type == "DATE":
        found = cur.execute(
            f"select __ligne, {raw}, {name}, count(*) over () from {typed} where {name} is not "
            f"null and {name} = {parsing.excel_serial(raw)} order by __ligne limit 1").fetchall()
        if found:
            line, value, day, n = found[0]
            problems.add(where, line, label or name, value,
                         f"date au format numérique d'Excel, lue comme {day:%d/%m/%Y} (nombre de "
                         f"jours depuis le 30/12/1899 ; "
                         f"{accord(n, 'cellule de la colonne', 'cellules de la colonne')} dans "
                         "ce cas) : vérifiez-la, ou formatez la colonne en date", AVERTISSEMENT)


PERCENT_COLUMNS = ("taux_flux", "cible_pct")


def check_rows(cur, typed: str, sheet: Sheet, table: str, present: list[str],
               problems: Problems) -> None:
    """Rules between the columns of one row, and percentages a spreadsheet stored as
    fractions (a cell formatted « 25 % » holds 0,25)."""
    if table == "convention" and {"annee_debut", "annee_fin"} <= set(present):
        _report(cur, typed, sheet.where, "annee_fin", "annee_fin < annee_debut", problems,
                "année de fin antérieure à l'année de début")
    if table == "convention" and {"date_debut", "date_fin"} <= set(present):
        _report(cur, typed, sheet.where, "date_fin", "date_fin < date_debut", problems,
                "date de fin de la convention antérieure à sa date de début")
    if table == "derogation" and {"date_debut", "date_fin"} <= set(present):
        _report(cur, typed, sheet.where, "date_fin", "date_fin < date_debut", problems,
                "date de fin de la dérogation antérieure à sa date de début")
    if sheet.sheet is None:
        return
    pct = [c for c in present if c in PERCENT_COLUMNS or c.startswith(("part_", "taux_"))]
    for c in pct:
        small, high = cur.execute(
            f"select count(*) filter (where {c} > 0 and {c} < 1), count(*) filter (where {c} >= 1) "
            f"from {typed}").fetchall()[0]
        if small and not high:
            _report(cur, typed, sheet.where, c, f"{c} > 0 and {c} < 1", problems,
                    "pourcentage lu comme une fraction (cellule au format « % » du tableur ?) : "
                    "saisissez 25 pour 25 %, ou changez le format de la colonne en nombre")
