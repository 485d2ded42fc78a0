"""The bilan as an XLSX workbook a réservataire or an EPCI opens in its spreadsheet.

Sheets: « Synthèse », one per dimension (Typologie, Financement, QPV, Communes, Construction),
« Soustraits », « Prévisionnel N », « Notes ». Numbers stay numbers (French display comes from
the number formats); totals are SUM formulas with their value cached, so that they show
without recalculation and equal the headline figures of the synthesis. Every text is written
as text, neutralised (fluxcore.neutralisation): a name starting with `=` never becomes a
formula.
"""

from __future__ import annotations

import io
from collections import Counter
from datetime import date

import pandas as pd
import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell

from fluxcore.bilan.calcul import DIMENSIONS
from fluxcore.bilan.documents import ORDRE_GROUPES, DocumentBilan
from fluxcore.bilan.textes import TYPES, indicateurs
from fluxcore.formats import fmt_date
from fluxcore.neutralisation import classeur

FEUILLES = {"typologie": "Typologie", "financement": "Financement", "qpv": "QPV",
            "commune": "Communes", "construction": "Construction"}

# (header, column, format) of each table
CROISEMENT_RESERVATAIRE = [
    ("Catégorie", "categorie", "text"), ("Proposés", "logements", "int"),
    ("Attribués", "attribues", "int"), ("dont prioritaires", "prioritaires", "int"),
    ("dont DALO", "dalo", "int"), ("dont 1er quartile", "q1", "int"),
    ("Rendus au bailleur", "rendus", "int"), ("En cours", "en_cours", "int"),
    ("Part des proposés", "part", "pct"), ("Flux de son périmètre", "flux", "int"),
    ("Part du flux", "part_flux", "pct")]
CROISEMENT_EPCI = [
    ("Catégorie", "categorie", "text"), ("Libérés", "logements", "int"),
    ("Attribués", "attribues", "int"), ("dont prioritaires", "prioritaires", "int"),
    ("dont DALO", "dalo", "int"), ("dont 1er quartile", "q1", "int"),
    ("Rendus au bailleur", "rendus", "int"), ("En cours", "en_cours", "int"),
    ("Part des libérés", "part", "pct")]
SYNTHESE_RESERVATAIRE = [
    ("Département", "departement", "text"), ("Périmètre", "perimetre_libelle", "text"),
    ("Taux", "taux_flux", "pct"), ("Flux entré", "entres", "int"), ("Dû", "du", "num"),
    ("Proposés", "orientes", "int"), ("Attribués", "attribues", "int"),
    ("Rendus", "rendus", "int"), ("En cours", "en_cours", "int"), ("Livrés", "livres", "int"),
    ("Écart livrés − dû", "ecart", "num")]
SYNTHESE_EPCI = [
    ("Destination", "nom", "text"), ("Type", "type_libelle", "text"),
    ("Taux effectif", "taux", "pct"), ("Dû", "du", "num"), ("Proposés", "logements", "int"),
    ("Attribués", "attribues", "int"), ("dont prioritaires", "prioritaires", "int"),
    ("dont 1er quartile", "q1", "int"), ("Rendus", "rendus", "int"),
    ("En cours", "en_cours", "int"), ("Écart livrés − dû", "ecart", "num")]
SOUSTRAITS = [
    ("Catégorie", "libelle", "text"), ("Réalisés {n}", "realise", "int"),
    ("dont attribués", "attribues", "int"), ("Prévus {n1}", "prevision", "num")]
PREVISION_RESERVATAIRE = [
    ("Département", "departement", "text"), ("Périmètre", "perimetre_libelle", "text"),
    ("Taux", "taux_flux", "pct"), ("Flux net prévu {n1}", "flux_net_prevu", "num"),
    ("Droits prévus {n1}", "droits_prevus", "num")]
PREVISION_EPCI = [
    ("Réservataire", "nom", "text"), ("Périmètre", "perimetre_libelle", "text"),
    ("Taux", "taux_flux", "pct"), ("Flux net prévu {n1}", "flux_net_prevu", "num"),
    ("Droits prévus {n1}", "droits_prevus", "num")]
NO_TOTAL = {"part", "part_flux", "taux_flux", "taux", "flux_net_prevu"}


class _Formats:
    def __init__(self, wb: xlsxwriter.Workbook):
        self.title = wb.add_format({"bold": True, "font_size": 14, "font_color": "#005AA0"})
        self.sub = wb.add_format({"italic": True, "font_color": "#505050"})
        self.head = wb.add_format({"bold": True, "bg_color": "#E1E9F2", "border": 1,
                                   "text_wrap": True, "valign": "top"})
        self.section = wb.add_format({"bold": True, "font_size": 11, "font_color": "#005AA0"})
        self.cell = {"text": None, "int": wb.add_format({"num_format": "#,##0"}),
                     "num": wb.add_format({"num_format": "#,##0.0"}),
                     "pct": wb.add_format({"num_format": '0.0" %"'})}
        self.total = {k: wb.add_format({"bold": True, "top": 1, **({"num_format": f} if f
                                                                   else {})})
                      for k, f in (("text", None), ("int", "#,##0"), ("num", "#,##0.0"),
                                   ("pct", '0.0" %"'))}


def ecrire_xlsx(doc: DocumentBilan) -> bytes:
    """The recipient's workbook as bytes."""
    buf = io.BytesIO()
    wb = classeur(buf, {"in_memory": True})   # every text neutralised, never a formula
    wb.set_properties({"title": doc.titre, "author": doc.bailleur,
                       "comments": "Bilan R441-5-1 — gestion en flux"})
    f = _Formats(wb)
    _synthese(wb, f, doc)
    spec = CROISEMENT_EPCI if doc.genre == "epci" else CROISEMENT_RESERVATAIRE
    for dim, label in DIMENSIONS.items():
        ws = wb.add_worksheet(FEUILLES[dim])
        _entete(ws, f, doc, f"{label} — logements libérés en {doc.annee}" if doc.genre == "epci"
                else f"{label} — logements proposés en {doc.annee}")
        row = _table(ws, f, 3, doc.croisements[dim], spec)
        if doc.genre == "epci":
            _par_destination(ws, f, row + 2, doc.croisements_detail[dim])
        ws.set_column(0, 0, 30)
        ws.set_column(1, 40, 13)
        ws.freeze_panes(4, 1)
    ws = wb.add_worksheet("Soustraits")
    _entete(ws, f, doc, f"Logements soustraits : réalisés en {doc.annee}, prévus en "
                        f"{doc.annee + 1}")
    _table(ws, f, 3, doc.soustraits, _titres(SOUSTRAITS, doc))
    ws.set_column(0, 0, 34)
    ws.set_column(1, 3, 14)
    ws = wb.add_worksheet(f"Prévisionnel {doc.annee + 1}")
    _entete(ws, f, doc, f"Flux prévu {doc.annee + 1} et droits par convention")
    spec_p = PREVISION_EPCI if doc.genre == "epci" else PREVISION_RESERVATAIRE
    _table(ws, f, 3, doc.prevision, _titres(spec_p, doc))
    ws.set_column(0, 1, 40)
    ws.set_column(2, 4, 16)
    _logements(wb, f, doc)
    ws = wb.add_worksheet("Notes")
    ws.write(0, 0, "Méthode et paramètres", f.title)
    for i, line in enumerate(doc.notes, start=2):
        ws.write(i, 0, line)
    ws.set_column(0, 0, 130)
    wb.close()
    return buf.getvalue()


def _titres(spec, doc: DocumentBilan):
    return [(h.format(n=doc.annee, n1=doc.annee + 1), c, k) for h, c, k in spec]


def _entete(ws, f: _Formats, doc: DocumentBilan, sous_titre: str) -> None:
    ws.write(0, 0, doc.titre, f.title)
    statut = "" if doc.complet else " — PROVISOIRE"
    ws.write(1, 0, f"{sous_titre} · {doc.bailleur} · arrêté au {fmt_date(doc.arret)}{statut} · "
                   f"édité le {fmt_date(date.today())}", f.sub)


def _synthese(wb, f: _Formats, doc: DocumentBilan) -> None:
    ws = wb.add_worksheet("Synthèse")
    _entete(ws, f, doc, "Synthèse")
    ws.write_row(3, 0, ["Indicateur", "Valeur"], f.head)
    row = 4
    for label, value, kind in indicateurs(doc):
        ws.write(row, 0, label)
        _value(ws, row, 1, value, f.cell[kind])
        row += 1
    row += 1
    if doc.genre == "epci":
        ws.write(row, 0, "Par destination", f.section)
        table = doc.synthese.assign(type_libelle=doc.synthese["type"].map(TYPES).fillna(
            doc.synthese["type"]))
        _table(ws, f, row + 1, table, SYNTHESE_EPCI)
    else:
        ws.write(row, 0, f"Par convention en vigueur en {doc.annee}", f.section)
        _table(ws, f, row + 1, doc.synthese, SYNTHESE_RESERVATAIRE,
               sans_total=set() if not chevauchement(doc.synthese) else {
                   "entres", "orientes", "attribues", "rendus", "en_cours", "livres", "ecart"})
    ws.set_column(0, 0, 52)
    ws.set_column(1, 1, 34)
    ws.set_column(2, 12, 13)


def _value(ws, row: int, col: int, value, fmt) -> None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        ws.write_blank(row, col, None)
    elif isinstance(value, str):
        ws.write_string(row, col, value, fmt)
    else:
        ws.write_number(row, col, float(value), fmt)


def chevauchement(synthese: pd.DataFrame) -> bool:
    """Whether two conventions of a réservataire cover the same dwellings (a département-wide
    one and a local one in the same département): their counts must not be added up."""
    local = synthese["perimetre"].notna()
    return bool(synthese.loc[~local, "departement"].isin(synthese.loc[local, "departement"]
                                                           ).any()
                or synthese.loc[~local, "departement"].duplicated().any())


def _table(ws, f: _Formats, row0: int, df: pd.DataFrame, spec,
           sans_total: set[str] | None = None) -> int:
    """Header, one row per record, a « Total » row (SUM formulas, cached values) unless the
    table is empty. Returns the row after the table."""
    ws.write_row(row0, 0, [h for h, _, _ in spec], f.head)
    # column by column as Python lists: no row objects (itertuples) per record
    for j, (_, col, kind) in enumerate(spec):
        fmt = f.cell[kind]
        values = df[col].tolist() if col in df.columns else [None] * len(df)
        for i, value in enumerate(values, start=row0 + 1):
            _value(ws, i, j, value, fmt)
    last = row0 + len(df)
    if df.empty:
        ws.write(row0 + 1, 0, "Aucun logement.", f.sub)
        return row0 + 2
    total = last + 1
    ws.write(total, 0, "Total", f.total["text"])
    for j, (_, col, kind) in enumerate(spec[1:], start=1):
        if kind == "text" or col in NO_TOTAL or col in (sans_total or set()):
            ws.write_blank(total, j, None, f.total["text"])
            continue
        rng = f"{xl_rowcol_to_cell(row0 + 1, j)}:{xl_rowcol_to_cell(last, j)}"
        ws.write_formula(total, j, f"=SUM({rng})", f.total[kind],
                         float(pd.to_numeric(df[col], errors="coerce").fillna(0).sum()))
    return total + 1


LOGEMENTS = [("Date de libération", "date_liberation", "date"), ("Logement", "logement_id", "text"),
             ("Résidence", "residence", "text"), ("Commune", "commune", "text"),
             ("Typologie", "typologie", "text"), ("Financement", "financement", "text"),
             ("QPV", "qpv", "text"), ("Année de construction", "annee_construction", "year"),
             ("Destination", "destination", "text"), ("Statut", "statut_libelle", "text")]


def _logements(wb, f: _Formats, doc: DocumentBilan) -> None:
    """Every libération behind the counts, one per line, filterable (no household data)."""
    ws = wb.add_worksheet("Logements")
    _entete(ws, f, doc, f"Les {len(doc.logements)} logements libérés comptés dans ce bilan")
    # an EPCI sees every household's dwelling: no dwelling id nor résidence for it (small
    # counts per commune could otherwise point at a household); a réservataire sees its own
    spec = [c for c in LOGEMENTS if c[1] in doc.logements.columns
            and (doc.genre == "epci" or c[1] != "destination")]
    ws.write_row(3, 0, [h for h, _, _ in spec], f.head)
    f_date = wb.add_format({"num_format": "dd/mm/yyyy"})
    for j, (_, col, kind) in enumerate(spec):     # column by column, as Python lists
        for i, v in enumerate(doc.logements[col].tolist(), start=4):
            if v is None or (not isinstance(v, str) and pd.isna(v)):
                ws.write_blank(i, j, None)
            elif kind == "date":
                ws.write_datetime(i, j, pd.Timestamp(v).to_pydatetime(), f_date)
            elif kind == "year":
                ws.write_number(i, j, int(v))
            else:
                ws.write_string(i, j, str(v))
    ws.autofilter(3, 0, 3 + max(1, len(doc.logements)), len(spec) - 1)
    ws.freeze_panes(4, 0)
    ws.set_column(0, len(spec) - 1, 16)
    ws.set_column(2, 2, 30)


def _par_destination(ws, f: _Formats, row0: int, long: pd.DataFrame) -> None:
    """EPCI sheets: categories × destinations (proposés, attribués)."""
    ws.write(row0, 0, "Par destination : proposés / attribués", f.section)
    if long.empty:
        return
    rows = list(zip(long["code"].tolist(), long["categorie"].tolist(),
                    long["destinataire"].tolist(), long["nom"].tolist(),
                    long["groupe"].tolist(), long["logements"].tolist(),
                    long["attribues"].tolist()))
    # proposed and attributed per (category, destination); 0 where a destination has none
    logements: Counter = Counter()
    attribues: Counter = Counter()
    total: Counter = Counter()          # per destination: its columns' order
    cats: dict = {}                     # categories in the order of the long table
    for code, categorie, dest, nom, groupe, n, a in rows:
        logements[code, dest] += n
        attribues[code, dest] += a
        total[dest, nom, groupe] += n
        cats.setdefault(code, categorie)
    dests = sorted(sorted(total), key=lambda k: (ORDRE_GROUPES[k[2]], -total[k]))
    head = row0 + 1
    ws.write(head, 0, "Catégorie", f.head)
    ws.write(head + 1, 0, "", f.head)
    for j, (_, nom, _) in enumerate(dests):
        c = 1 + 2 * j
        ws.merge_range(head, c, head, c + 1, nom, f.head)
        ws.write(head + 1, c, "Proposés", f.head)
        ws.write(head + 1, c + 1, "Attribués", f.head)
    for i, (code, categorie) in enumerate(cats.items(), start=head + 2):
        ws.write(i, 0, categorie)
        for j, (dest, _, _) in enumerate(dests):
            ws.write_number(i, 1 + 2 * j, int(logements[code, dest]), f.cell["int"])
            ws.write_number(i, 2 + 2 * j, int(attribues[code, dest]), f.cell["int"])
