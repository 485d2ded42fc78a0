"""Every screen in French words: names for codes, elision and agreement, the audit journal,
the settings, and one pass over every page looking for codes that reached the screen."""

from __future__ import annotations

import ast
import io
import json
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from fluxcore.codes import CONTINGENTS, TYPES_RESERVATAIRE
from fluxcore.db import CONTRACT_TABLES
from fluxcore.formats import (
    STATUTS,
    a,
    accord,
    de,
    de_commune,
    de_departement,
    le_departement,
    libelle_contingent,
    libelle_segment,
    libelle_statut,
    libelle_type_reservataire,
    pluriel,
)
from fluxcore.journal import ACTIONS, TABLES, Filtres, journal, journal_csv, journal_xlsx, phrase
from fluxcore.parametres import BY_KEY, PARAMETRES, set_parametre
from fluxcore.referentiel import libelle_perimetre, libelles_perimetres
from fluxcore.reglages import LIBELLES, changement, libelle, texte_valeur
from fluxcore.toponymes import TNCC_DEPARTEMENTS
from tests.apptest import app_sur
from tests.test_pages import declared_pages

ROOT = Path(__file__).resolve().parent.parent
INSEE = re.compile(r"(?<![\w\d])(\d{5}|2[AB]\d{3})(?![\w\d])")
SIREN = re.compile(r"(?<![\w\d])\d{9}(?![\w\d])")
CODE = re.compile(r"[|_{}]|\b[A-Z]{2,}_[A-Z]")
DE_VOYELLE = re.compile(r"\b[Dd]e [AEIOUYÉÈÊËÀÂÎÏÔÛÙŒaeiouyéèêàâîôûœ]")
SEGMENT = re.compile(r"[^\s|]\|[^\s|]")
ACTION = re.compile(r"(?<![\w.])(" + "|".join(
    re.escape(c) for c in ACTIONS if "." in c or "_" in c) + r")(?![\w.])")
# « ligne(s) ajoutée(s) », « nouveau(x) »: a plural in parentheses, never on screen (accord)
PARENTHESE = re.compile(r"(?<![\w.])(\w+)\((?:s|x|e|es)\)")
FONCTIONS_SQL = {"avg", "trim", "count", "sum", "min", "max", "mode"}   # avg(x) in SQL text


def _en_mots(text: str) -> None:
    """`text` says things in words: no INSEE or SIREN code, no code punctuation."""
    assert not INSEE.search(text), text
    assert not SIREN.search(text), text
    assert not CODE.search(text), text
    assert not DE_VOYELLE.search(text), text


# == the audit journal ==========================================================================
def _chaines(node) -> set[str]:
    """The strings an action argument may be: a literal, or either branch of « a if … else b »."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _chaines(node.body) | _chaines(node.orelse)
    return set()


def _codes_audites() -> set[str]:
    """Action codes of every `audit(cur, actor, "code", …)` call of the code base."""
    found = set()
    for path in [*ROOT.glob("fluxcore/**/*.py"), *ROOT.glob("ui/*.py"), *ROOT.glob("pages/*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and len(node.args) >= 3
                    and getattr(node.func, "id", getattr(node.func, "attr", None)) == "audit"):
                found |= _chaines(node.args[2])
    return found


def test_every_audited_action_has_a_french_label():
    codes = _codes_audites()
    assert {"orientation.create", "parametre.set", "import", "suivi.bail"} <= codes
    assert not codes - set(ACTIONS), f"actions sans libellé : {sorted(codes - set(ACTIONS))}"
    for label in ACTIONS.values():
        _en_mots(label)


def test_every_table_has_a_french_name():
    assert set(CONTRACT_TABLES) <= set(TABLES)
    for label in TABLES.values():
        _en_mots(label)


@pytest.fixture
def journal_db(small_db):
    set_parametre(small_db, "prefet_taux_max_pct", 27.5, "ines")
    set_parametre(small_db, "orientation_poids", {**BY_KEY["orientation_poids"].defaut,
                                                  "qualite": 0.2}, "ines")
    set_parametre(small_db, "bailleur_nom", "=HYPERLINK(\"http://x\")", "@zoe")
    return small_db


def test_the_journal_says_what_happened_in_french(journal_db):
    df = journal(journal_db)
    assert list(df.columns) == ["horodatage", "utilisateur", "action", "table", "element",
                                "details", "code"]
    top = df.iloc[2]
    assert (top["action"], top["table"], top["element"], top["details"]) == (
        "Paramètre modifié", "Paramètres", "Plafond du préfet", "30\u202f% → 27,5\u202f%.")
    assert df.iloc[1]["details"] == "Qualité du flux : 0,15 → 0,2."
    for text in df[["action", "table", "element", "details"]].to_numpy().ravel():
        assert not text.lstrip().startswith(("{", "[")) and '":' not in text, text
        assert not ACTION.search(text), text
    assert set(df["action"]) <= set(ACTIONS.values())


def test_the_journal_filters(journal_db):
    everything = journal(journal_db)
    assert len(journal(journal_db, Filtres(acteurs=("ines",)))) == 2
    assert set(journal(journal_db, Filtres(actions=("parametre.set",)))["action"]) == {
        "Paramètre modifié"}
    assert set(journal(journal_db, Filtres(tables=("parametre",)))["table"]) == {"Paramètres"}
    first, last = (pd.Timestamp(journal_db.scalar(f"select {f}(logged_at) from audit_log")).date()
                   for f in ("min", "max"))          # the rows may straddle midnight
    assert len(journal(journal_db, Filtres(debut=first, fin=last))) == len(everything)
    assert journal(journal_db, Filtres(fin=first.replace(year=first.year - 1))).empty


def test_journal_exports_never_write_formulas(journal_db):
    df = journal(journal_db)
    text = journal_csv(df).decode("utf-8-sig")
    assert text.splitlines()[0] == ("Date et heure;Utilisateur;Action;Table;Élément;"
                                    "Détails")
    assert ";'@zoe;" in text                  # an actor read as a formula otherwise
    cells = pd.DataFrame({"details": ["=1+1", "+33 6", "-2", "@A1", "ok = oui"]})
    assert journal_csv(cells).decode("utf-8-sig").splitlines()[1:] == [
        "'=1+1", "'+33 6", "'-2", "'@A1", "ok = oui"]
    with zipfile.ZipFile(io.BytesIO(journal_xlsx(df))) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(journal_xlsx(df))).active
    values = [c.value for row in ws.iter_rows() for c in row]
    assert "Paramètre modifié" in values and "'@zoe" in values   # neutralised, as in CSV


def test_phrases_of_every_action_are_sentences():
    noms = {"PREF-51": "Préfet – Marne (publics prioritaires)", "51": "Marne"}
    details = {
        "orientation.create": {"liberation_id": "B1", "destinataire": "PREF-51", "rang": 1,
                               "premier": "PREF-51", "justification": ""},
        "orientation.correct": {"avant": "PREF-51", "apres": "BAILLEUR", "motif": "erreur"},
        "import": {"fichiers": ["a.csv"], "lignes": {"a.csv:logement": {
            "table": "logement", "inseres": 1, "modifies": 2, "inchanges": 0}}},
        "scenario_enregistre": {"nom": "Test", "departement": "51", "periode": "2027-2029"},
        "demo.generate": {"echelle": "petit", "departements": ["51"], "lignes": {"x": 1},
                          "date_reference": "2026-11-23"},
        "parametre.seed": {"ajoutes": ["prefet_taux_max_pct"]},
    }
    assert phrase("orientation.create", details["orientation.create"], noms) == (
        "Logement libéré B1 orienté vers Préfet – Marne (publics prioritaires) (rang 1).")
    assert phrase("import", details["import"], noms) == (
        "Fichiers a.csv : 1 ligne ajoutée, 2 lignes modifiées (Logements).")
    assert phrase("scenario_enregistre", details["scenario_enregistre"], noms) == (
        "Scénario « Test » : Marne, 2027–2029.")
    assert phrase("parametre.seed", details["parametre.seed"]) == (
        "1 paramètre ajouté avec sa valeur par défaut : Plafond du préfet.")
    for action in ACTIONS:
        text = phrase(action, details.get(action, {}), noms, "prefet_taux_max_pct")
        assert text and "{" not in text and not ACTION.search(text), (action, text)


# == the settings ===============================================================================
def test_every_setting_has_a_french_name_and_value():
    assert set(LIBELLES) == set(BY_KEY)
    assert len(set(LIBELLES.values())) == len(LIBELLES)
    for p in PARAMETRES:
        _en_mots(libelle(p.cle))
        value = texte_valeur(p.cle, p.defaut)
        assert not CODE.search(value) and "True" not in value and '"' not in value, value
    assert texte_valeur("cotation_occupants_min", {"T1": 1, "T3": 2}) == (
        "T1 : 1 personne ; T3 : 2 personnes")
    assert texte_valeur("bilan_echeance", "02-28") == "28/02"
    assert texte_valeur("lecture_hors_qpv_prefet", "B").startswith("B : le taux du préfet")
    assert changement("cotation_criteres_prioritaires", ["DALO"], ["DALO", "VIOLENCES"]) == (
        "ajouté : Victime de violences au sein du couple ou de la famille")


# == names of codes, elision, agreement =========================================================
def test_code_labels_are_french_words():
    for code in TYPES_RESERVATAIRE:
        _en_mots(libelle_type_reservataire(code))
        _en_mots(libelle_type_reservataire(code, groupe=True))
    for code in STATUTS:
        _en_mots(libelle_statut(code))
    for code in CONTINGENTS:
        _en_mots(libelle_contingent(code))
    for t in ("T1", "T2", "T3", "T4", "T5", "T6"):
        for q in (False, True):
            _en_mots(libelle_segment(t, q))
    assert libelle_segment("T1", False) == "T1 · hors QPV"
    assert libelle_type_reservataire("COMMUNE") == "Commune"
    assert libelle_type_reservataire("COMMUNE", groupe=True) == "Communes"


@pytest.mark.parametrize(("nom", "attendu"), [
    ("Reims", "de Reims"), ("Épernay", "d'Épernay"), ("Aÿ-Champagne", "d'Aÿ-Champagne"),
    ("Le Havre", "du Havre"), ("Les Mureaux", "des Mureaux"), ("Yvetot", "d'Yvetot"),
    ("La Chapelle-Saint-Luc", "de La Chapelle-Saint-Luc"), ("L'Haÿ-les-Roses",
                                                            "de L'Haÿ-les-Roses"),
    ("Œuilly", "d'Œuilly"), ("Hautvillers", "de Hautvillers")])
def test_de_before_a_name(nom, attendu):
    assert de(nom) == attendu


def test_de_before_a_commune_knows_its_h():
    assert de_commune("51287", "Hautvillers") == "d'Hautvillers"     # h muet (INSEE TNCC 1)
    assert de_commune("08205", "Hagnicourt") == "de Hagnicourt"       # h aspiré (TNCC 0)
    assert de_commune("51230", "Épernay") == "d'Épernay"
    assert a("Le Havre") == "au Havre" and a("Les Mureaux") == "aux Mureaux"
    assert a("Reims") == "à Reims"


@pytest.mark.parametrize(("code", "nom", "de_", "le_"), [
    ("51", "Marne", "de la Marne", "la Marne"), ("08", "Ardennes", "des Ardennes",
                                                 "les Ardennes"),
    ("10", "Aube", "de l'Aube", "l'Aube"), ("52", "Haute-Marne", "de la Haute-Marne",
                                            "la Haute-Marne"),
    ("59", "Nord", "du Nord", "le Nord"), ("28", "Eure-et-Loir", "d'Eure-et-Loir",
                                           "Eure-et-Loir"),
    ("75", "Paris", "de Paris", "Paris"), ("89", "Yonne", "de l'Yonne", "l'Yonne"),
    ("974", "La Réunion", "de La Réunion", "La Réunion"),
    ("90", "Territoire de Belfort", "du Territoire de Belfort", "le Territoire de Belfort")])
def test_departements_take_their_article(code, nom, de_, le_):
    assert (de_departement(code, nom), le_departement(code, nom)) == (de_, le_)


def test_every_departement_reads_well():
    from fluxcore.geo import noms_departements

    noms = noms_departements()
    assert set(noms) <= set(TNCC_DEPARTEMENTS)
    for code, nom in noms.items():
        text = de_departement(code, nom)
        assert not DE_VOYELLE.search(text) and not re.search(r"\bde [Ll]es? ", text), text


@pytest.mark.parametrize(("n", "attendu"), [
    (0, "0 logement livré"), (1, "1 logement livré"), (1.5, "1,5 logement livré"),
    (2, "2 logements livrés"), (1234, "1\u202f234 logements livrés"),
    (-1, "-1 logement livré")])
def test_agreement(n, attendu):
    assert accord(n, "logement livré", "logements livrés") == attendu


def test_pluriel_word_only():
    assert pluriel(1, "jour", "jours") == "jour" and pluriel(3, "jour", "jours") == "jours"


def _pluriels_entre_parentheses(text: str) -> list[str]:
    return [m.group(0) for m in PARENTHESE.finditer(text) if m.group(1) not in FONCTIONS_SQL]


def test_no_plural_in_parentheses_in_the_code():
    """Every text of fluxcore, ui and pages agrees with its count (formats.accord, pluriel):
    no « ligne(s) », « nouveau(x) », « créée(s) » left in a string (docstrings aside)."""
    found = []
    for path in [*ROOT.glob("fluxcore/**/*.py"), *ROOT.glob("ui/*.py"), *ROOT.glob("pages/*.py"),
                 ROOT / "app.py"]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docs = {id(n.body[0].value) for n in ast.walk(tree)
                if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef,
                                  ast.AsyncFunctionDef))
                and n.body and isinstance(n.body[0], ast.Expr)
                and isinstance(n.body[0].value, ast.Constant)}
        found += [f"{path.relative_to(ROOT)}:{n.lineno} {s}" for n in ast.walk(tree)
                  if isinstance(n, ast.Constant) and isinstance(n.value, str)
                  and id(n) not in docs for s in _pluriels_entre_parentheses(n.value)]
    assert not found, found
    assert _pluriels_entre_parentheses("3 ligne(s) ajoutée(s), 2 nouveau(x)") == [
        "ligne(s)", "ajoutée(s)", "nouveau(x)"]
    assert not _pluriels_entre_parentheses("select avg(x) as x, trim(s) from t")


def _resultat(inseres: int, modifies: int, inchanges: int, erreurs: int = 0,
              applique: bool = True):
    from fluxcore.imports import ImportResult
    from fluxcore.imports.problems import Problems

    problems = Problems()
    for i in range(erreurs):
        problems.add("« a.csv »", i + 2, "x", "?", "valeur invalide")
    counts = pd.DataFrame({"inseres": [inseres], "modifies": [modifies],
                           "inchanges": [inchanges]})
    return ImportResult(problems, counts, applied=applique and not erreurs)


@pytest.mark.parametrize(("n", "attendu"), [
    ((0, 0, 0), "Import effectué : 0 ligne ajoutée, 0 modifiée, 0 inchangée."),
    ((1, 1, 1), "Import effectué : 1 ligne ajoutée, 1 modifiée, 1 inchangée."),
    ((2, 3, 1234), "Import effectué : 2 lignes ajoutées, 3 modifiées, 1\u202f234 inchangées.")])
def test_import_summary_agrees_with_its_counts(n, attendu):
    from fluxcore.imports import summary

    assert summary(_resultat(*n)) == attendu
    assert summary(_resultat(*n, applique=False)) == attendu.replace(
        "Import effectué", "Contrôle réussi (rien n'est écrit)")


def test_import_refusal_and_cut_report_agree():
    from fluxcore.imports import summary
    from fluxcore.imports.problems import Problems

    assert summary(_resultat(0, 0, 0, erreurs=1)) == (
        "Import refusé : 1 erreur. La base n'a pas été modifiée.")
    assert summary(_resultat(0, 0, 0, erreurs=2)).startswith("Import refusé : 2 erreurs.")
    for total, reste in ((3, "… et 1 autre ligne : date invalide"),
                         (4, "… et 2 autres lignes : date invalide")):
        p = Problems(limit=2)
        p.add_many("« a.csv »", [(2, "x"), (3, "y")], total, "date", "date invalide")
        assert p.frame()["probleme"].iloc[-1] == reste


def test_cotation_grid_shows_labels_not_codes():
    from ui.cotation_views import libelle_critere, table_grille

    g = pd.DataFrame({"critere": ["DALO", "SANS_LOGEMENT", "ACCUEIL_FAMILIAL",
                                  "ANCIENNETE_MOIS"],
                      "libelle": ["", "SANS_LOGEMENT", None, "Ancienneté (par mois complet)"],
                      "points": [100.0, 50.0, 5.0, 1.0]})
    shown, _ = table_grille(g)
    assert list(shown.columns) == ["Critère", "Points"]
    assert shown["Critère"].tolist() == [
        "Ménage DALO, reconnu prioritaire et à loger d'urgence",
        "Sans logement ou hébergé en structure d'urgence", "Accueil familial",
        "Ancienneté (par mois complet)"]
    for label in shown["Critère"]:
        _en_mots(label)
    assert libelle_critere("VIOLENCES", "Violences conjugales") == "Violences conjugales"


def test_residence_table_in_french_words():
    from ui.residences_views import LARGEURS, TABLE, table

    df = pd.DataFrame({"nom": ["Les Tilleuls", "Le Parc"], "commune": ["Épernay", "Reims"],
                       "en_qpv": [True, False], "logements": [1234, 1], "vacants": [0, 1],
                       "indice": [1.7234, -0.4], "classe": ["fragile", "équilibrée"],
                       "part_ressources_faibles": [66.25, None], "taux_impayes": [12.0, 3.0],
                       "entrees_q1_pct": [100.0, 0.0], "niveau_enquete": ["résidence", None]})
    out = table(df)
    assert out.iloc[0].tolist() == ["Les Tilleuls", "Épernay", "oui", "1\u202f234",
                                    "1,72 · Fragile", "66,3\u202f%", "12,0\u202f%",
                                    "100,0\u202f%"]
    assert out.iloc[1].tolist()[3:6] == ["1", "-0,40 · Équilibrée", "–"]
    assert set(LARGEURS) == set(TABLE) and sum(LARGEURS.values()) <= 816   # 1280 px, sidebar
    assert "QPV" not in table(df, projection=True).columns


def test_perimeters_in_words(demo_db):
    conv = demo_db.df("select perimetre, departement from convention")
    labels = libelles_perimetres(demo_db, conv["perimetre"], conv["departement"])
    assert "Tout le département de la Marne" in labels
    assert "Commune d'Épernay" in labels and "Commune de Reims" in labels
    assert "CU du Grand Reims" in labels
    for label in labels:
        _en_mots(label)
    assert libelle_perimetre(None, "08", {}) == "Tout le département des Ardennes"


def test_demo_names_are_elided(demo_db):
    noms = demo_db.df("select nom from reservataire")["nom"]
    assert "Commune d'Épernay" in set(noms)
    assert not any(DE_VOYELLE.search(n) for n in noms)


# == figures ====================================================================================
def test_gauge_axis_is_not_stretched_by_an_outlier():
    from ui.figures_flux import echelle, jauges

    df = pd.DataFrame({"nom": ["A", "B", "C", "D"], "droits_annuels": [10.0, 10, 10, 0.5],
                       "livres": [9, 11, 1, 3], "du": [9.0, 9, 9, 0.4],
                       "ecart": [0.0, 2, -8, 2.6]})
    assert echelle([90, 110, 10, 600]) == pytest.approx(165)
    assert echelle([73, 76, 86, 92, 100, 105, 117, 136]) == 136      # no outlier: no cut
    fig = jauges(df, False)
    assert fig.layout.xaxis.range[1] < 250          # not 600 % + room
    cut = next(t for t in fig.data if t.name == "Au-delà de l'échelle")
    assert list(cut.y) == ["D"]
    text = next(t for t in fig.data if getattr(t, "mode", None) == "text").text
    assert "1 livré · dû 9" in text and "3 livrés · dû 0 (600\u202f% des droits)" in text


def test_map_is_framed_on_the_residences():
    import math

    from ui.figures_residences import TAILLE_CARTE, cadrage

    pts = pd.DataFrame({"latitude": [49.9, 49.2, 48.0], "longitude": [4.7, 4.0, 5.1]})
    center, zoom = cadrage(pts, False)
    assert center["lon"] == pytest.approx(4.55)
    width, height = TAILLE_CARTE[False]
    lat_px = 512 * 2 ** zoom / (2 * math.pi) * (
        math.log(math.tan(math.pi / 4 + math.radians(49.9) / 2))
        - math.log(math.tan(math.pi / 4 + math.radians(48.0) / 2)))
    lon_px = 512 * 2 ** zoom * 1.1 / 360
    assert lat_px <= height and lon_px <= width           # everything inside the frame
    assert max(lat_px / height, lon_px / width) > 0.75     # and the frame is filled


# == every page =================================================================================
def _arbre(node, acc):
    children = getattr(node, "children", None)
    for child in (children.values() if isinstance(children, dict) else []):
        acc.append(child)
        _arbre(child, acc)
    return acc


def _textes_plotly(spec: str) -> list[str]:
    def strs(v):
        if isinstance(v, str):
            return [v]
        if isinstance(v, list):
            return [s for x in v for s in strs(x)]
        if isinstance(v, dict) and "bdata" not in v:
            return [s for x in v.values() for s in strs(x)]
        return []
    fig = json.loads(spec)
    out = [s for t in fig.get("data", []) for k in ("name", "text", "hovertemplate", "x", "y",
                                                      "customdata") for s in strs(t.get(k))]
    lay = fig.get("layout", {})
    return out + [s for k, v in lay.items() if k.startswith(("xaxis", "yaxis", "title"))
                  for s in strs(v)] + [s for an in lay.get("annotations") or []
                                       for s in strs(an.get("text"))]


def textes_affiches(at: AppTest) -> list[str]:
    """Every text a page shows: titles, markdown, captions, alerts, metrics, widget labels
    and options, table headers and cells, figure texts. The import dictionary (Données ›
    Modèles: it documents the files' codes) is left out."""
    out = []
    for e in _arbre(at._tree, []):
        kind, proto = getattr(e, "type", ""), getattr(e, "proto", None)
        if kind == "plotly_chart":
            out += _textes_plotly(proto.spec)
        elif kind in ("dataframe", "table"):
            df = e.value
            config = json.loads(proto.columns or "{}") if kind == "dataframe" else {}
            labels = {c: (config.get(str(c)) or {}).get("label") or str(c) for c in df.columns
                      if not (config.get(str(c)) or {}).get("hidden")}
            if "Règle" in labels.values() or "regle" in labels:
                continue
            out += list(labels.values())
            for c in labels:
                if not pd.api.types.is_numeric_dtype(df[c]):
                    out += [str(v) for v in df[c].dropna().head(200)]
        elif kind == "metric":
            out += [str(e.label), str(e.value)]
        elif kind == "markdown" and str(e.value).lstrip().startswith("<style"):
            continue
        else:
            for attr in ("value", "label", "placeholder", "help"):
                v = getattr(e, attr, None) if attr != "value" or kind in (
                    "title", "header", "subheader", "markdown", "caption", "info", "warning",
                    "error", "success", "toast", "text") else None
                if isinstance(v, str):
                    out.append(v)
            if kind in ("selectbox", "multiselect", "radio", "select_slider"):
                out += [str(o) for o in e.options]
    return out


@pytest.fixture
def app(demo_path, monkeypatch, tmp_path):
    return app_sur(demo_path, monkeypatch, tmp_path)


@pytest.mark.parametrize("page", declared_pages())
def test_no_code_on_screen(app, page):
    app.run()
    app.switch_page(page).run()
    assert not app.exception, app.exception
    textes = textes_affiches(app)
    assert len(textes) > 10
    for text in textes:
        assert not SEGMENT.search(text), f"clé de segment : {text!r}"
        assert not ACTION.search(text), f"code d'action : {text!r}"
        assert not DE_VOYELLE.search(text), f"« de » sans élision : {text!r}"
        assert not _pluriels_entre_parentheses(text), f"pluriel entre parenthèses : {text!r}"
        assert not re.search(r"(?<![\d\u202f,])1 (?:logements|lignes|résidences|demandes|"
                             r"candidats|erreurs|résultats)\b", text), f"accord : {text!r}"
        assert "Select all" not in text, text
    # Streamlit writes its bulk entry « Select all » in English: every multiselect goes without
    for e in _arbre(app._tree, []):
        if getattr(e, "type", "") == "multiselect":
            assert e.proto.select_all == 0, f"« Select all » dans « {e.label} »"
