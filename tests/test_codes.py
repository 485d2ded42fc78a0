"""One home per code and per rule (issue 26): the registry fluxcore.codes is complete and
ordered, SQL reads it through the loader, every former copy agrees with it, no query spells a
code list or a shared rule itself, and the app calls the tested rule functions."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from fluxcore import codes, formats, regles
from fluxcore.codes import (
    CONTINGENT_DU_TYPE,
    CONTINGENTS,
    DESTINATIONS_BAILLEUR,
    FINANCEMENTS,
    HORS_FLUX,
    RELOGEMENTS,
    RELOGEMENTS_Q1,
    SOUSTRAITS,
    STATUTS_ORIENTATION,
    TYPES_RESERVATAIRE,
)
from fluxcore.db import SQL_DIR, Database, load_sql

TYPES = ("PREFET", "PREFET_FONCTIONNAIRES", "ACTION_LOGEMENT", "DEPARTEMENT", "REGION", "EPCI",
         "COMMUNE", "EMPLOYEUR", "AUTRE")


def _requetes() -> dict[str, str]:
    """Every SQL file but the migrations (history, never rewritten): name → text without its
    comments."""
    out = {}
    for path in sorted(SQL_DIR.rglob("*.sql")):
        name = path.relative_to(SQL_DIR).with_suffix("").as_posix()
        if not name.startswith("migrations/"):
            text = path.read_text(encoding="utf-8")
            out[name] = "\n".join(line.split("--")[0] for line in text.splitlines())
    return out


# == the registry =============================================================================
def test_registry_is_complete_and_ordered():
    assert TYPES_RESERVATAIRE.codes == TYPES
    # docs/regles.md#soustraits
    assert SOUSTRAITS.codes == ("MUTATION", "RU", "ORCOD", "LHI", "VENTE")
    assert DESTINATIONS_BAILLEUR.codes == (*SOUSTRAITS.codes, "BAILLEUR")
    assert RELOGEMENTS.codes == ("RU", "ORCOD", "LHI", "VENTE")
    assert RELOGEMENTS_Q1.codes == ("RU", "ORCOD")                              # L441-1
    assert CONTINGENTS.codes == ("ETAT_PRIORITAIRES", "ETAT_FONCTIONNAIRES", "COLLECTIVITES",
                                 "EMPLOYEURS", "AUTRES", "NON_RESERVE")
    assert STATUTS_ORIENTATION.codes == ("ORIENTE", "CANDIDATS_PROPOSES", "CALEOL", "ATTRIBUE",
                                         "RENDU_BAILLEUR")
    assert codes.STATUTS_EN_COURS.codes == ("ORIENTE", "CANDIDATS_PROPOSES", "CALEOL")
    assert codes.STATUTS_EN_ATTENTE.codes == ("ORIENTE", "CANDIDATS_PROPOSES")
    assert codes.liste_sql("types_prefet") == "('PREFET', 'PREFET_FONCTIONNAIRES')"
    assert codes.liste_sql("types_territoriaux") == "('EPCI', 'COMMUNE')"
    assert HORS_FLUX.codes == ("DEFENSE", "SECURITE_INTERIEURE", "SANTE")
    assert FINANCEMENTS.codes == ("PLAI", "PLUS", "PLS", "PLI", "AUTRE")
    assert codes.TYPES_PREFET == ("PREFET", "PREFET_FONCTIONNAIRES")
    assert set(CONTINGENT_DU_TYPE) == set(TYPES)
    assert set(CONTINGENT_DU_TYPE.values()) == set(CONTINGENTS) - {"NON_RESERVE"}
    for liste in codes.SQL.values():
        assert all(c.libelle.strip() for c in liste.entrees), liste
        assert len(set(liste.libelles.values())) == len(liste), liste     # no two alike
        assert list(liste) == list(liste.codes) and len(liste) == len(liste.codes)
        assert [liste.rang(c) for c in liste] == list(range(len(liste)))
    assert TYPES_RESERVATAIRE.rang("BAILLEUR") == len(TYPES)


def test_labels():
    assert TYPES_RESERVATAIRE.libelles["COMMUNE"] == "Commune"
    assert TYPES_RESERVATAIRE.groupes["COMMUNE"] == "Communes"
    assert TYPES_RESERVATAIRE.courts == {
        "PREFET": "Préfet (prioritaires)", "PREFET_FONCTIONNAIRES": "Préfet (agents)",
        "ACTION_LOGEMENT": "Action Logement", "DEPARTEMENT": "Département", "REGION": "Région",
        "EPCI": "EPCI", "COMMUNE": "Communes", "EMPLOYEUR": "Employeurs", "AUTRE": "Autres"}
    assert DESTINATIONS_BAILLEUR.libelles == {
        "MUTATION": "Mutations internes", "RU": "Relogements NPNRU",
        "ORCOD": "Relogements ORCOD", "LHI": "Relogements habitat indigne",
        "VENTE": "Relogements vente HLM", "BAILLEUR": "Bailleur (non réservé)"}
    assert DESTINATIONS_BAILLEUR.groupes["BAILLEUR"] == "Bailleur (part non réservée)"
    assert DESTINATIONS_BAILLEUR.courts["BAILLEUR"] == "Bailleur"
    with pytest.raises(TypeError):
        TYPES_RESERVATAIRE.libelles["COMMUNE"] = "x"        # read-only


def test_aliases_are_the_import_spellings():
    from fluxcore.imports.nomenclatures import CONTINGENT_SNE_CODES

    assert CONTINGENT_SNE_CODES == {"1": "ETAT_FONCTIONNAIRES", "2": "ETAT_PRIORITAIRES",
                                    "3": "EMPLOYEURS", "4": "COLLECTIVITES",
                                    "5": "ETAT_FONCTIONNAIRES", "6": "AUTRES",
                                    "7": "NON_RESERVE"}
    assert CONTINGENTS.alias["ETAT_PRIORITAIRES"] == "ETAT_PRIORITAIRES"
    assert FINANCEMENTS.alias["PLA_I"] == "PLAI"


def test_import_reads_the_registry_aliases():
    """A financement written « PLA-I » is read as PLAI, and only in that column."""
    from fluxcore.imports import parsing

    def lu(column: str, cell: str) -> str:
        expr = parsing.expression("c", "VARCHAR", column, True)
        with duckdb.connect() as con:
            return con.execute(f"select {expr} from (select ? as c)", [cell]).fetchall()[0][0]

    assert [lu("financement", c) for c in ("pla-i", "PLA I", "plai", "PLUS")] == [
        "PLAI", "PLAI", "PLAI", "PLUS"]
    assert lu("statut", "pla-i") == "PLA_I"


def test_schema_checks_hold_the_registry():
    """The migrations' CHECK constraints (history, never rewritten) allow exactly the codes."""
    db = Database(":memory:")
    try:
        checks = db.df("select table_name, constraint_text from duckdb_constraints() "
                       "where constraint_type = 'CHECK'")
    finally:
        db.close()

    def allowed(table: str, column: str) -> set[str]:
        for text in checks.loc[checks["table_name"] == table, "constraint_text"]:
            if re.search(rf'\(\(?"?{column}"? IN', text):
                return set(re.findall(r"'([A-Z_0-9]+)'", text))
        raise AssertionError(f"{table}.{column}")

    assert allowed("reservataire", "type") == set(TYPES_RESERVATAIRE)
    assert allowed("orientation", "statut") == set(STATUTS_ORIENTATION)
    assert allowed("attribution", "relogement") == set(RELOGEMENTS)
    assert allowed("logement", "hors_flux_motif") == set(HORS_FLUX)
    assert allowed("logement", "financement") == set(FINANCEMENTS)


# == SQL reads the registry ===================================================================
@pytest.mark.parametrize("nom", sorted(codes.SQL))
def test_sql_list_equals_python_constant(nom):
    rows = duckdb.sql(f"select unnest(list_value{codes.liste_sql(nom)}) as c").fetchall()
    assert tuple(r[0] for r in rows) == codes.SQL[nom].codes


def test_loader_expands_code_lists():
    assert "o.destinataire in ('MUTATION', 'RU', 'ORCOD', 'LHI', 'VENTE')" in load_sql(
        "assiette/usage_interne_passe")
    assert "att.relogement in ('RU', 'ORCOD')" in load_sql("regles/q1_hors_qpv")
    with pytest.raises(KeyError, match="inconnue"):
        codes.liste_sql("pas_une_liste")
    for name in _requetes():
        code = "\n".join(line.split("--")[0] for line in load_sql(name).splitlines())
        assert "{{" not in code, name                   # every include resolved


def test_no_sql_file_spells_a_code_list():
    """Internal uses, relogements, the bailleur's destinations, réservataire types, statuts,
    contingents: a list of two codes or more only through {{ codes/… }}. A single code on its
    own (o.destinataire = 'MUTATION') is no list."""
    tous = sorted({c for liste in codes.SQL.values() for c in liste}, key=len, reverse=True)
    un = "'(?:" + "|".join(tous) + ")'"
    liste = re.compile(rf"{un}\s*,\s*{un}")
    found = {name: m.group(0) for name, text in _requetes().items()
             if (m := liste.search(text))}
    assert found == {}


@pytest.mark.parametrize(("motif", "maison"), [
    (r"seuil_q1_uc\s*\)?\s*(as|,|$)|quartile\s*=\s*1\b", "regles/menage_q1"),
    (r"mutation_interne\s+or\b", "regles/mutation_interne"),
    (r"date_mise_en_service,\s*date '1900-01-01'", "regles/premiere_annee_au_parc"),
    (r"strip_accents\(s\.motif_radiation\)|list_contains\(cast\(\$sirens", "sne/radiations"),
    (r"arg_min\(numero_unique", "sne/paires_mutuelles"),
    (r"'NON_RESERVE'\s+when ro\.", "sne/contingent_attendu"),
])
def test_each_rule_is_written_once(motif, maison):
    """The Q1 household, the internal mutation, the parc on 1 January (rotation exposure),
    the SNE motif/SIREN filter, the mutual-nearest pairing and the expected contingent: one
    fragment each, included everywhere else."""
    found = [n for n, text in _requetes().items() if re.search(motif, text, re.M)]
    assert found == [maison]


def test_rules_are_included_where_they_apply():
    uses = {n: set(re.findall(r"\{\{\s*([a-z0-9_/]+)\s*\}\}", t)) for n, t in _requetes().items()}
    q1 = {n for n, u in uses.items() if "regles/menage_q1" in u}
    assert q1 >= {"objectifs/baux", "orientation/etat", "bilan/detail", "fragilite/indicateurs",
                  "regles/q1_hors_qpv"}
    expo = {n for n, u in uses.items() if "regles/annees_observees" in u}
    assert expo == {"assiette/segments", "simulation/observe", "jauges/par_convention",
                    "objectifs/prevision"}
    assert {n for n, u in uses.items() if "sne/radiations" in u} == {"sne/rapprochement",
                                                                      "sne/ecartees"}
    assert {n for n, u in uses.items() if "sne/contingent_attendu" in u} == {
        "sne/rapprochement", "demo/radiations"}
    assert {n for n, u in uses.items() if "sne/paires_mutuelles" in u} == {"sne/rapprochement"}


def test_rotation_exposure_equals_its_three_former_forms():
    """sum of years in the parc on 1 January over the $nb years before $annee, as the cross
    join counted it and as the two closed forms wrote it, for every service year around."""
    expr = load_sql("regles/annees_observees")
    for annee, nb in ((2026, 3), (2025, 1), (2026, 5)):
        rows = duckdb.execute(
            f"""with d as (select unnest([null, date '1890-06-01', date '2019-12-31',
                                           date '2020-01-01', date '2022-07-14',
                                           date '2023-01-01', date '2024-12-31',
                                           date '2025-01-01', date '2026-03-01',
                                           date '2030-01-01']) as date_mise_en_service)
                select {expr},
                       (select count(*) from range($annee - $nb, $annee) t(a)
                        where coalesce(date_mise_en_service, date '1900-01-01')
                              < make_date(a::int, 1, 1)),
                       greatest(0, least($nb, $annee - year(coalesce(date_mise_en_service,
                                date '1900-01-01')) - 1))
                from d""", {"annee": annee, "nb": nb}).fetchall()
        assert rows and all(a == b == c for a, b, c in rows), (annee, nb, rows)


# == every former copy agrees with the registry ===============================================
def test_former_copies_agree():
    from fluxcore import jauges, parametres, sne
    from fluxcore.bilan import documents, textes
    from fluxcore.bilan.calcul import ordre_categories
    from fluxcore.demo.flux import ALL_SLOTS
    from fluxcore.demo.reservataires import SLOTS
    from fluxcore.imports.spec import SPECS
    from fluxcore.simulation.scenario import TYPES as TYPES_SCENARIO
    from fluxcore.suivi.commun import EN_ATTENTE

    # fluxcore.formats keeps these names for the views; they say the same, in the same order
    assert list(formats.USAGES_INTERNES.items()) == list(DESTINATIONS_BAILLEUR.libelles.items())
    assert list(formats.STATUTS.items()) == list(STATUTS_ORIENTATION.libelles.items())
    for nom in ("TYPES_RESERVATAIRE", "TYPES_RESERVATAIRE_UN", "CONTINGENTS",
                "CONTINGENT_DU_TYPE", "HORS_FLUX"):
        assert not hasattr(formats, nom), nom       # read from fluxcore.codes
    # the labels the bilan wrote itself, as they were
    assert {**TYPES_RESERVATAIRE.groupes, "BAILLEUR": "Bailleur",
                            "USAGE_INTERNE": "Usage interne (soustrait)",
                            "NON_ORIENTE": "Non orienté"} == textes.TYPES
    assert textes.TYPES["COMMUNE"] == "Communes" and textes.TYPES["PREFET"] == (
        "Préfet (publics prioritaires)")
    assert documents.BAILLEUR == "Bailleur (part non réservée)"
    assert list(ordre_categories("financement", pd.Series(["AUTRE", "PLAI", "X", "PLS"]))) == [
        4, 0, 99, 2]
    assert SPECS["logement"].enums["financement"] == FINANCEMENTS.codes
    assert {**TYPES_RESERVATAIRE.courts, "BAILLEUR": "Bailleur"} == jauges.TYPE_GROUPES
    assert sne.BAILLEUR_LIBELLE == "Bailleur (non réservé)"
    assert parametres.BY_KEY["sne_contingent_par_type"].defaut == CONTINGENT_DU_TYPE
    assert SOUSTRAITS.codes == regles.INTERNES
    assert regles.DESTINATIONS_BAILLEUR is DESTINATIONS_BAILLEUR
    assert regles.TYPES_PREFET == codes.TYPES_PREFET
    assert TYPES_SCENARIO == TYPES
    assert set(SLOTS) <= set(TYPES)
    assert (*SLOTS, *DESTINATIONS_BAILLEUR.codes) == ALL_SLOTS
    assert codes.STATUTS_EN_ATTENTE.codes == EN_ATTENTE
    assert SPECS["reservataire"].enums["type"] == TYPES
    assert SPECS["orientation"].enums["statut"] == STATUTS_ORIENTATION.codes
    assert SPECS["attribution"].enums["relogement"] == RELOGEMENTS.codes
    assert SPECS["radiation_sne"].enums["contingent"] == CONTINGENTS.codes
    assert SPECS["logement"].enums["hors_flux_motif"] == HORS_FLUX.codes
    ref = next(r for r in SPECS["orientation"].references if r.column == "destinataire")
    assert ref.also == DESTINATIONS_BAILLEUR.codes


def test_label_functions_read_the_registry():
    for code in TYPES:
        assert formats.libelle_type_reservataire(code) == TYPES_RESERVATAIRE.libelles[code]
        assert formats.libelle_type_reservataire(code, groupe=True) == (
            TYPES_RESERVATAIRE.groupes[code])
        assert formats.libelle_destination("R-1", code) == TYPES_RESERVATAIRE.groupes[code]
    for code in DESTINATIONS_BAILLEUR:
        assert formats.libelle_destination(code) == DESTINATIONS_BAILLEUR.libelles[code]
        assert formats.libelle_type_reservataire(code) == DESTINATIONS_BAILLEUR.libelles[code]
    assert formats.libelle_type_reservataire("INCONNU") == "Autre réservataire"
    assert formats.libelle_destination("R-1") == "R-1"
    for code in CONTINGENTS:
        assert formats.libelle_contingent(code) == CONTINGENTS.libelles[code]
    for code in STATUTS_ORIENTATION:
        assert formats.libelle_statut(code) == STATUTS_ORIENTATION.libelles[code]
    assert formats.libelle_contingent("X") == "Contingent inconnu"
    assert formats.libelle_statut("X") == "Statut inconnu"


def test_no_python_module_spells_the_internal_uses():
    """Outside the registry, no fluxcore module writes the subtracted categories as a list."""
    root = Path(codes.__file__).parent
    liste = re.compile(r"""["'](MUTATION|RU|ORCOD|LHI|VENTE)["']\s*,\s*"""
                       r"""["'](RU|ORCOD|LHI|VENTE|BAILLEUR)["']""")
    found = [p.relative_to(root).as_posix() for p in sorted(root.rglob("*.py"))
             if p.name != "codes.py" and liste.search(p.read_text(encoding="utf-8"))]
    assert found == [], found


# literals that hold a registry list's codes and are no copy of it: (file, the literal) → why
PAS_DES_COPIES = {
    ("imports/nomenclatures.py", ("PREFET_FONCTIONNAIRES", "PREFET")):
        "RPLS contingents 1 and 5: the agents' contingent first, an order of preference",
}


def copies_du_registre(root: Path) -> list[str]:
    """Literals of fluxcore's Python code (codes.py and migrations aside) that hold exactly the
    codes of a registry list: a tuple, list or set of strings, the string keys of a dict, or a
    SQL list ('A', 'B') inside a string. A sub-list (a rule about some codes: the statuts a
    transition accepts, the types a demo populates) is no copy."""
    listes = {frozenset(n): n.nom for n in vars(codes).values()
              if isinstance(n, codes.Nomenclature)}
    listes.update({frozenset(n): nom for nom, n in codes.SQL.items()})
    sql_liste = re.compile(r"\(\s*'[A-Z0-9_]+'(?:\s*,\s*'[A-Z0-9_]+')+\s*\)")
    found = []
    for path in sorted(root.rglob("*.py")):
        name = path.relative_to(root).as_posix()
        if name == "codes.py" or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
                groupes = [node.elts]
            elif isinstance(node, ast.Dict):
                groupes = [node.keys]
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                groupes = [re.findall(r"'([A-Z0-9_]+)'", m)
                           for m in sql_liste.findall(node.value)]
            else:
                continue
            for elts in groupes:
                valeurs = tuple(e if isinstance(e, str) else getattr(e, "value", None)
                                for e in elts)
                if len(valeurs) < 2 or not all(isinstance(v, str) for v in valeurs):
                    continue
                liste = listes.get(frozenset(valeurs))
                if liste and (name, valeurs) not in PAS_DES_COPIES:
                    found.append(f"{name}:{node.lineno} {liste} {valeurs}")
    return found


def test_no_python_module_copies_a_registry_list():
    """Issue 26, one home per code: outside fluxcore.codes, no module writes a whole code list
    of the registry (or labels keyed by it) itself; it imports the list, or a derivation
    (`.libelles`, `.parmi`, `{{ codes/… }}`, liste_sql)."""
    assert copies_du_registre(Path(codes.__file__).parent) == []
    racine = Path(codes.__file__).parent.parent            # and the views and tools
    assert [c for d in ("ui", "pages", "tools") for c in copies_du_registre(racine / d)] == []


def test_copy_finder_finds_copies(tmp_path):
    (tmp_path / "m.py").write_text(
        'A = ("RU", "ORCOD")\nB = {"DEFENSE": 1, "SANTE": 2, "SECURITE_INTERIEURE": 3}\n'
        'C = "where s in (\'ORIENTE\', \'CANDIDATS_PROPOSES\')"\n'
        'D = ("ATTRIBUE", "RENDU_BAILLEUR")\nE = x.isin(["COMMUNE", "EPCI"])\n',
        encoding="utf-8")
    found = copies_du_registre(tmp_path)
    assert [f.split()[:2] for f in found] == [
        ["m.py:1", "relogements_q1"], ["m.py:2", "hors_flux"], ["m.py:3", "statuts_en_attente"],
        ["m.py:5", "types_territoriaux"]], found


# == the app calls the tested rule, not a copy ================================================
def test_simulation_calls_taux_droits_uniques(monkeypatch):
    from fluxcore.simulation import LigneReservataire, Scenario, calcul, entrees_simples, simuler

    calls = []

    def spy(droits, annees, flux_net):
        calls.append((droits, annees, flux_net))
        return regles.taux_droits_uniques(droits, annees, flux_net)

    monkeypatch.setattr(calcul, "taux_droits_uniques", spy)
    e = entrees_simples([2027, 2028, 2029], 500, 10.0, uniques={"R": (100, 10)})
    res = simuler(e, Scenario("00", 2027, 2029, reservataires=[
        LigneReservataire("R", "R", "AUTRE", methode="droits_uniques")]))
    assert calls == [(100.0, 10.0, 50.0)]                          # docs/regles.md#ex5
    taux = dict(zip(res.reservataires["reservataire_id"], res.reservataires["taux_pct"]))
    assert taux["R"] == regles.taux_droits_uniques(100, 10, 50) == 20.0
