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
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
import xlsxwriter
from xlsxwriter.worksheet import Worksheet

DANGEREUX = ("=", "+", "-", "@", "\t", "\r")
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


def neutraliser_df(df: pd.DataFrame) -> pd.DataFrame:
    """Une copie dont chaque texte (cellules, en-têtes, index) est neutralisé ; les colonnes
    numériques, dates et booléens ne sont pas touchées."""
    out = df.copy()
    for j in range(out.shape[1]):
        s = out.iloc[:, j]
        if (t := _colonne(s)) is not s:
            out.isetitem(j, t)
    out.columns = out.columns.map(neutraliser)
    if _textes(out.index.dtype):
        out.index = out.index.map(neutraliser)
    return out


def _retour_chariot(df: pd.DataFrame) -> bool:
    def dans(s) -> bool:
        return bool(s.map(lambda v: isinstance(v, str) and "\r" in v).any())

    return dans(df.columns.to_series()) or any(
        dans(df.iloc[:, j].astype(object)) for j in range(df.shape[1])
        if _textes(df.dtypes.iloc[j]) or isinstance(df.dtypes.iloc[j], pd.CategoricalDtype))


def csv(df: pd.DataFrame, chemin=None, **options) -> str | None:
    """`DataFrame.to_csv` après neutralisation (mêmes arguments). Un texte qui contient un
    retour chariot fait terminer les lignes par CRLF : le module csv ne met entre guillemets
    que les champs qui contiennent un caractère de fin de ligne, et un retour chariot nu
    couperait la ligne dans un tableur (la suite « =1 » deviendrait une formule)."""
    out = neutraliser_df(df)
    if "lineterminator" not in options and _retour_chariot(out):
        options["lineterminator"] = "\r\n"
    return out.to_csv(chemin, **options)


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
