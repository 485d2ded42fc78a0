"""Neutralisation des formules (injection CSV/XLSX) : la seule règle de tous les exports.

Un texte venu des données qui commence par `=`, `+`, `-`, `@`, une tabulation ou un retour
chariot serait lu comme une formule par un tableur (OWASP, « CSV Injection ») : tout fichier
CSV ou XLSX que l'outil écrit le préfixe d'une apostrophe (`'=1+1`). Les nombres restent des
nombres (un nombre négatif n'est pas touché ; le texte « -12 » l'est).

La règle est réversible, pour que l'export canonique (fluxcore.exports.export_tables) se
réimporte à l'identique : on préfixe aussi un texte qui commence déjà par des apostrophes
suivies d'un de ces caractères (`'=1` → `''=1`), et `retablir` (`sql_retablir` en SQL) ôte une
seule apostrophe de tête, et seulement devant un tel début. Ainsi retablir(neutraliser(v)) == v
pour tout texte v.

XLSX : les classeurs sont créés par `classeur` (xlsxwriter) ou `excel_writer` (pandas) ; leurs
feuilles (`FeuilleNeutre`) neutralisent chaque texte écrit, quelle que soit la méthode
(write, write_string, write_row, merge_range, DataFrame.to_excel), et un texte n'est jamais
écrit comme formule ni comme lien. Seules les formules que le code écrit explicitement
(write_formula : totaux =SUM) restent des formules.

CSV : tout CSV que l'outil écrit passe par `csv` (texte ou fichier), `csv_octets` (le
fichier à télécharger) ou `csv_sql` (une requête DuckDB écrite telle quelle, l'export
canonique), pour s'ouvrir tel quel dans Excel en français : séparateur `;`, UTF-8 avec BOM
(un fichier, des octets ; le texte rendu par `csv` n'en a pas, `octets` le lui ajoute),
virgule décimale, booléens « oui »/« non », dates ISO AAAA-MM-JJ (AAAA-MM-JJ HH:MM:SS avec
une heure) : Excel les lit comme des dates quelle que soit sa langue, et l'import les relit
(fluxcore.imports.parsing : dates JJ/MM/AAAA ou ISO, oui/non, virgule décimale). Un nombre à
virgule est écrit à 15 chiffres significatifs au plus (0,1 + 0,2 donne « 0,3 », pas
« 0,30000000000000004 ») ; l'export canonique garde la valeur exacte (`csv_sql`).
"""

from __future__ import annotations

import math
import os
import re
import shutil
import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.worksheet import Worksheet

DANGEREUX = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"
SEPARATEUR = ";"
OUI, NON = "oui", "non"
CHIFFRES = 15           # chiffres significatifs d'un nombre à virgule dans un CSV
_A_NEUTRALISER = re.compile(r"'*[=+\-@\t\r]")
_NEUTRALISE = re.compile(r"'+[=+\-@\t\r]")
_DEBUTS = frozenset("'=+-@\t\r")

# pour xlsxwriter.Workbook(..., options) : un texte reste un texte
OPTIONS_XLSX = {"strings_to_formulas": False, "strings_to_urls": False,
                "strings_to_numbers": False}


def neutraliser(valeur: Any) -> Any:
    """Le texte préfixé d'une apostrophe s'il commence par = + - @ tabulation ou retour
    chariot (ou par des apostrophes suivies de l'un d'eux) ; toute autre valeur inchangée."""
    if (isinstance(valeur, str) and valeur[:1] in _DEBUTS
            and _A_NEUTRALISER.match(valeur)):
        return "'" + valeur
    return valeur


def retablir(valeur: Any) -> Any:
    """L'inverse de `neutraliser` : ôte l'apostrophe de tête d'un texte neutralisé."""
    if isinstance(valeur, str) and valeur[:1] == "'" and _NEUTRALISE.match(valeur):
        return valeur[1:]
    return valeur


def _textes(dtype) -> bool:
    return pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)


def _colonne(s: pd.Series) -> pd.Series:
    if isinstance(s.dtype, pd.CategoricalDtype):
        return (s.cat.rename_categories(neutraliser) if _textes(s.cat.categories.dtype)
                else s)
    return s.map(neutraliser) if _textes(s.dtype) else s


def _par_colonne(df: pd.DataFrame, colonne) -> pd.DataFrame:
    """A copy with `colonne` applied to each column, headers and text index neutralised."""
    out = df.copy()
    for j in range(out.shape[1]):
        s = out.iloc[:, j]
        if (t := colonne(s)) is not s:
            out.isetitem(j, t)
    out.columns = out.columns.map(neutraliser)
    if _textes(out.index.dtype):
        out.index = out.index.map(neutraliser)
    return out


def neutraliser_df(df: pd.DataFrame) -> pd.DataFrame:
    """Une copie dont chaque texte (cellules, en-têtes, index) est neutralisé ; les colonnes
    numériques, dates et booléens ne sont pas touchées."""
    return _par_colonne(df, _colonne)


def _retour_chariot(df: pd.DataFrame) -> bool:
    def dans(s) -> bool:
        return bool(s.map(lambda v: isinstance(v, str) and "\r" in v).any())

    return dans(df.columns.to_series()) or any(
        dans(df.iloc[:, j].astype(object)) for j in range(df.shape[1])
        if _textes(df.dtypes.iloc[j]) or isinstance(df.dtypes.iloc[j], pd.CategoricalDtype))


def _nombre(v, chiffres: int = CHIFFRES) -> Any:
    """Un nombre à virgule comme Excel en français le lit : virgule décimale, 15 chiffres
    significatifs au plus (pas de « 0,30000000000000004 » ; 7 pour un float32), 59.0 →
    « 59,0 »."""
    if v is None or not math.isfinite(v):
        return None
    if isinstance(v, np.float32):
        chiffres = min(chiffres, 7)
    return repr(float(f"{float(v):.{chiffres}g}")).replace(".", ",")


def _horodatage(v) -> str:
    """Une date ISO (AAAA-MM-JJ), avec l'heure (HH:MM:SS) si elle n'est pas minuit."""
    if isinstance(v, datetime):
        return f"{v:%Y-%m-%d}" if v.time() == datetime.min.time() else f"{v:%Y-%m-%d %H:%M:%S}"
    return v.isoformat()


def _cellule(v) -> Any:
    """Une cellule d'une colonne de textes ou mixte, écrite pour un tableur français."""
    if isinstance(v, str):
        return neutraliser(v)
    if isinstance(v, bool | np.bool_):
        return OUI if v else NON
    if isinstance(v, float | np.floating):
        return _nombre(v)
    if isinstance(v, date) and v is not pd.NaT:
        return _horodatage(v)
    return v


def _colonne_csv(s: pd.Series) -> pd.Series:
    dtype = s.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return s.astype(object).map(lambda v: v if pd.isna(v) else (OUI if v else NON))
    if pd.api.types.is_float_dtype(dtype):
        chiffres = 7 if dtype == np.float32 else CHIFFRES
        return s.astype(object).map(lambda v: None if pd.isna(v) else _nombre(v, chiffres))
    if pd.api.types.is_datetime64_any_dtype(dtype):
        jour = bool((s.dropna() == s.dropna().dt.normalize()).all())
        return s.dt.strftime("%Y-%m-%d" if jour else "%Y-%m-%d %H:%M:%S")
    if isinstance(dtype, pd.CategoricalDtype) or _textes(dtype):
        return s.astype(object).map(_cellule)
    return s


def cellules_csv(df: pd.DataFrame) -> pd.DataFrame:
    """Une copie écrite pour un tableur français : textes (cellules, en-têtes, index)
    neutralisés, booléens « oui »/« non », nombres à virgule en texte à virgule décimale et
    sans bruit de calcul, dates ISO ; les entiers ne sont pas touchés."""
    return _par_colonne(df, _colonne_csv)


def csv(df: pd.DataFrame, chemin=None, **options) -> str | None:
    """Le CSV de `df` pour Excel en français (`DataFrame.to_csv`, mêmes arguments ; par
    défaut `sep=";"`, `decimal=","`, `index=False`) : cellules de `cellules_csv`. Avec
    `chemin`, le fichier est écrit en UTF-8 avec BOM ; sans, le texte est rendu sans BOM
    (pour des octets à télécharger : `csv_octets`, ou `octets(texte)`).

    Un texte qui contient un retour chariot fait terminer les lignes par CRLF : le module
    csv ne met entre guillemets que les champs qui contiennent un caractère de fin de ligne,
    et un retour chariot nu couperait la ligne dans un tableur (la suite « =1 » deviendrait
    une formule)."""
    out = cellules_csv(df)
    options.setdefault("sep", SEPARATEUR)
    options.setdefault("decimal", ",")
    options.setdefault("index", False)
    if chemin is not None:
        options.setdefault("encoding", "utf-8-sig")
    if "lineterminator" not in options and _retour_chariot(out):
        options["lineterminator"] = "\r\n"
    return out.to_csv(chemin, **options)


def octets(texte: str) -> bytes:
    """Le texte d'un CSV en octets pour Excel : UTF-8 précédé du BOM (sans BOM, Excel lit
    l'UTF-8 en Windows-1252 : « classÃ© »)."""
    return (texte if texte.startswith(BOM) else BOM + texte).encode("utf-8")


def csv_octets(df: pd.DataFrame, **options) -> bytes:
    """Le fichier CSV de `df` à télécharger ou à mettre dans une archive : `csv` en UTF-8
    avec BOM."""
    return octets(csv(df, **options))


def sql_csv(expr: str, sql_type: str) -> str:
    """L'expression DuckDB d'une colonne `expr` de type `sql_type` telle que `csv_sql`
    l'écrit : booléen « oui »/« non », nombre à virgule à virgule décimale (valeur exacte :
    la plus courte qui se relit à l'identique), texte neutralisé ; sinon `expr`."""
    t = sql_type.upper()
    if t == "BOOLEAN":
        return f"case when {expr} then '{OUI}' when not {expr} then '{NON}' end"
    if t in ("DOUBLE", "FLOAT", "REAL") or t.startswith("DECIMAL"):
        return f"replace(cast({expr} as varchar), '.', ',')"
    if t == "VARCHAR":
        return sql_neutraliser(expr)
    return expr


def csv_sql(cur, requete: str, chemin: str | Path) -> None:
    """Écrit le résultat d'une requête DuckDB en CSV pour Excel en français, sans passer
    par pandas : UTF-8 avec BOM, `;`, dates ISO ; la requête met elle-même ses colonnes en
    forme (`sql_csv`). DuckDB n'écrit pas de BOM : le CSV passe par un fichier temporaire du
    même dossier, recopié derrière le BOM."""
    chemin = Path(chemin)
    fd, tmp = tempfile.mkstemp(suffix=".csv", prefix=f".{chemin.stem}-", dir=chemin.parent)
    os.close(fd)
    try:
        cur.sql(requete).write_csv(tmp, sep=SEPARATEUR, header=True)
        with open(tmp, "rb") as src, open(chemin, "wb") as dst:
            dst.write(BOM.encode("utf-8"))
            shutil.copyfileobj(src, dst, 1 << 20)
    finally:
        os.unlink(tmp)


def sql_neutraliser(expr: str) -> str:
    """L'expression SQL (DuckDB) de `neutraliser` pour un texte `expr`."""
    return (f"case when regexp_matches({expr}, '^''*[=+@\\t\\r-]') then '''' || {expr} "
            f"else {expr} end")


def sql_retablir(expr: str) -> str:
    """L'expression SQL (DuckDB) de `retablir` pour un texte `expr` (à l'import)."""
    return (f"case when regexp_matches({expr}, '^''+[=+@\\t\\r-]') then substr({expr}, 2) "
            f"else {expr} end")


class FeuilleNeutre(Worksheet):
    """Feuille xlsxwriter dont chaque texte écrit passe par `neutraliser`."""

    def _write_string(self, row, col, string, cell_format=None):
        return super()._write_string(row, col, neutraliser(string), cell_format)


def classeur(fichier, options: dict | None = None) -> xlsxwriter.Workbook:
    """Un classeur xlsxwriter dont les textes sont écrits neutralisés, jamais en formule."""
    wb = xlsxwriter.Workbook(fichier, {**(options or {}), **OPTIONS_XLSX})
    wb.worksheet_class = FeuilleNeutre
    return wb


def excel_writer(fichier) -> pd.ExcelWriter:
    """Un `pd.ExcelWriter` (xlsxwriter) dont les feuilles sont des `FeuilleNeutre`."""
    xw = pd.ExcelWriter(fichier, engine="xlsxwriter",
                        engine_kwargs={"options": dict(OPTIONS_XLSX)})
    xw.book.worksheet_class = FeuilleNeutre
    return xw
