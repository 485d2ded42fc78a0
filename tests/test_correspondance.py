"""Column mappings: a file of another system (an SNE extract) imported into `demande` through a
mapping file, saved and reused by name, and every invalid mapping refused with its message and
the database untouched."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from fluxcore.acces import AccesRefuseError, Utilisateur
from fluxcore.db import CONTRACT_TABLES, Database, table_checksum
from fluxcore.errors import CorrespondanceError
from fluxcore.imports import import_paths, summary
from fluxcore.imports.correspondance import (
    Correspondance,
    charger,
    deviner_table,
    en_tetes,
    enregistrer,
    erreurs,
    examiner,
    lire_fichier,
    lister,
    proposer,
    proposer_valeurs,
    supprimer,
)

SNE = (
    "Numéro unique;Date de dépôt;Commune demandée 1;Typologie demandée;Nombre de personnes;"
    "Revenu mensuel;Statut;Date de radiation;Ressources par UC;Nom du demandeur\n"
    "051002300012;15/01/2024;51454;T3;3;1 850,00;Active;;9 800;DUPONT\n"
    "051002300013;02/03/2023;Reims;T2;1;1 200,00;Radiée;10/06/2024;14 400,5;MARTIN\n"
    "051002300014;20/11/2022;8105;4;4;2 300;radiée pour attribution ;01/09/2024;7 200;DURAND\n"
)
MAPPING = {
    "table": "demande", "nom": "SNE",
    "colonnes": {"demande_id": "Numéro unique", "date_depot": "Date de dépôt",
                 "commune_souhaitee": "Commune demandée 1",
                 "typologie_souhaitee": "Typologie demandée",
                 "taille_menage": "Nombre de personnes", "ressources_uc": "Ressources par UC",
                 "statut": "Statut", "date_radiation": "Date de radiation"},
    "valeurs": {"statut": {"Active": "ACTIVE", "Radiée": "RADIEE",
                           "Radiée pour attribution": "ATTRIBUEE"},
                "commune_souhaitee": {"Reims": "51454"}},
}
IGNORED = ("2 colonnes du fichier ignorées, absentes de la correspondance : "
           "« Revenu mensuel », « Nom du demandeur »")


def checksums(db: Database) -> dict[str, str]:
    return {t: table_checksum(db, t) for t in CONTRACT_TABLES if t != "schema_version"}


@pytest.fixture
def sne(tmp_path) -> Path:
    path = tmp_path / "extrait_sne.csv"
    path.write_bytes(SNE.encode("cp1252"))        # as the SNE export gives it
    return path


def write_mapping(tmp_path, data: dict | str, name: str = "sne.json") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data, ensure_ascii=False),
                    encoding="utf-8")
    return path


def test_sne_extract_imported_through_a_mapping_file(empty_db, sne, tmp_path):
    corr = lire_fichier(write_mapping(tmp_path, MAPPING))
    result = import_paths(empty_db, [sne], actor="test", correspondance=corr)
    assert result.ok and result.applied, result.problems.text()
    assert summary(result) == ("Import effectué : 3 lignes ajoutées, 0 modifiée, "
                               "0 inchangée.")
    report = result.problems.frame()
    assert report[["niveau", "fichier", "ligne", "probleme"]].values.tolist() == [
        ["AVERTISSEMENT", "« extrait_sne.csv »", 1, IGNORED]]
    rows = empty_db.df("select * from demande order by demande_id").to_dict("records")
    assert [r["demande_id"] for r in rows] == ["051002300012", "051002300013", "051002300014"]
    assert [r["date_depot"].date() for r in rows] == [
        dt.date(2024, 1, 15), dt.date(2023, 3, 2), dt.date(2022, 11, 20)]
    # value maps: « Reims » → 51454 (a name mapped to its code), statut case and spaces ignored
    assert [r["commune_souhaitee"] for r in rows] == ["51454", "51454", "08105"]
    assert [r["statut"] for r in rows] == ["ACTIVE", "RADIEE", "ATTRIBUEE"]
    assert [r["typologie_souhaitee"] for r in rows] == ["T3", "T2", "T4"]
    assert [r["taille_menage"] for r in rows] == [3, 1, 4]
    assert [r["ressources_uc"] for r in rows] == [9800.0, 14400.5, 7200.0]
    assert str(rows[0]["date_radiation"]) == "NaT"
    assert rows[2]["date_radiation"].date() == dt.date(2024, 9, 1)
    # the names of the extract are not stored anywhere
    assert "DUPONT" not in json.dumps(empty_db.df("select * from audit_log").astype(str)
                                      .to_dict("records"))
    audit = json.loads(empty_db.scalar("select details from audit_log where action = 'import'"))
    assert audit["correspondance"] == "SNE" and audit["fichiers"] == ["extrait_sne.csv"]
    batch = empty_db.df("select file_name, table_name, rows_inserted from import_batch")
    assert batch.values.tolist() == [["extrait_sne.csv", "demande", 3]]
    again = import_paths(empty_db, [sne], actor="test", correspondance=corr)
    assert again.counts["inchanges"].tolist() == [3] and again.counts["inseres"].tolist() == [0]


def test_csv_mapping_file_reads_as_the_json_one(tmp_path):
    text = ("# Extrait SNE du département\n# table: demande\n# nom: SNE\n"
            "colonne_cible;colonne_fichier;valeurs\n"
            "demande_id;Numéro unique;\ndate_depot;Date de dépôt;\n"
            "commune_souhaitee;Commune demandée 1;Reims=51454\n"
            "typologie_souhaitee;Typologie demandée;\ntaille_menage;Nombre de personnes\n"
            "ressources_uc;Ressources par UC;\n"
            "statut;Statut;Active=ACTIVE|Radiée=RADIEE|Radiée pour attribution=ATTRIBUEE\n"
            "date_radiation;Date de radiation;\nmotif_radiation;;\n")
    from_csv = lire_fichier(write_mapping(tmp_path, text, "sne.csv"))
    assert from_csv == lire_fichier(write_mapping(tmp_path, MAPPING))
    assert from_csv.nom == "SNE" and "motif_radiation" not in from_csv.colonnes
    assert json.loads(from_csv.vers_json())["valeurs"]["commune_souhaitee"] == {"Reims": "51454"}
    assert lire_fichier(write_mapping(tmp_path, "table,demande\ndemande_id,x\n", "b.csv")) \
        .colonnes == {"demande_id": "x"}


@pytest.mark.parametrize(("data", "message"), [
    ('{"table": "demande", "colonnes": {"demande_id": "A", "statut": "B", "statut": "C"}}',
     "colonne cible « statut » associée deux fois (« B » et « C »)"),
    ("# table: demande\ndemande_id;A\nstatut;B\nstatut;C\n",
     "ligne 4 : colonne cible « statut » associée deux fois"),
    ("demande_id;A\n", "table cible absente : ajoutez une ligne « # table: demande »"),
    ("# table: demande\ndemande_id;A;Oui\n",
     "ligne 2 : valeur codée « Oui » illisible (attendu valeur=CODE, séparées par |)"),
    ('{"table": "demande", "colonnes": [1]', "fichier de correspondance illisible : JSON "
     "invalide ligne 1 (Expecting ',' delimiter)"),
])
def test_unreadable_mapping_files(tmp_path, data, message):
    name = "m.json" if data.startswith("{") else "m.csv"
    with pytest.raises(CorrespondanceError) as exc:
        lire_fichier(write_mapping(tmp_path, data, name))
    assert exc.value.erreurs == [message]


def test_invalid_mappings_are_explained():
    def check(table="demande", colonnes=None, valeurs=None):
        return erreurs(Correspondance(None, table, colonnes or {"demande_id": "N"},
                                      valeurs or {}))

    assert check() == []
    from fluxcore.imports.spec import SPECS

    assert check("demandes") == [
        f"table cible inconnue « demandes » (tables possibles : {', '.join(SPECS)})"]
    assert list(SPECS)[:5] == ["residence", "logement", "reservataire", "convention",
                               "derogation"] and "radiation_sne" in SPECS
    assert check(colonnes={"demande_id": "N", "statut_sne": "Statut"}) == [
        "colonne cible inconnue pour la table demande : « statut_sne » (colonnes possibles : "
        "demande_id, date_depot, commune_souhaitee, typologie_souhaitee, taille_menage, "
        "ressources_uc, criteres, statut, date_radiation, motif_radiation, nb_refus, "
        "salarie, agent_public)"]
    assert check(colonnes={"statut": "Statut"}) == [
        "colonne obligatoire absente de la correspondance : demande_id (identifiant de la "
        "table demande)"]
    assert check(valeurs={"statut": {"Active": "ACTIVE"}}) == [
        "valeurs codées pour la colonne « statut », absente de la correspondance"]
    assert check(colonnes={"demande_id": "N", "statut": "S"},
                 valeurs={"statut": {"Active": "ACTIF", " active": "ACTIVE"}}) == [
        "code inconnu « ACTIF » pour la colonne statut (attendu l'un de ACTIVE, ATTRIBUEE, "
        "RADIEE)",
        "valeur «  active » associée à deux codes pour statut (ACTIF et ACTIVE)"]
    # a key column that may be NULL (objectif: all réservataires) is not required
    assert erreurs(Correspondance(None, "objectif", {"epci_siren": "a", "annee": "b",
                                                     "indicateur": "c"})) == []


def test_errors_write_nothing(empty_db, sne, tmp_path):
    ok = import_paths(empty_db, [sne], actor="test", correspondance=Correspondance(
        "SNE", "demande", MAPPING["colonnes"], MAPPING["valeurs"]))
    assert ok.applied
    before = checksums(empty_db)
    absent = Correspondance("SNE", "demande", {**MAPPING["colonnes"],
                                               "motif_radiation": "Motif de radiation"})
    result = import_paths(empty_db, [sne], actor="test", correspondance=absent)
    assert not result.ok and not result.applied
    assert result.problems.frame()[["niveau", "ligne", "colonne", "probleme"]] \
        .values.tolist() == [["ERREUR", 1, "Motif de radiation",
                              "colonne « Motif de radiation » de la correspondance absente "
                              "du fichier"]]
    wrong = Correspondance("SNE v2", "demande", {"statut": "Statut", "nb_refus": "Refus"})
    result = import_paths(empty_db, [sne], actor="test", correspondance=wrong)
    assert result.problems.frame()[["fichier", "probleme"]].values.tolist() == [
        ["correspondance « SNE v2 »", "colonne obligatoire absente de la correspondance : "
         "demande_id (identifiant de la table demande)"]]
    assert summary(result) == "Import refusé : 1 erreur. La base n'a pas été modifiée."
    # a value neither mapped nor a code is left for the cell checks, named by its file header
    unmapped = Correspondance("SNE", "demande", MAPPING["colonnes"], {"statut": {"Active":
                                                                                 "ACTIVE"}})
    result = import_paths(empty_db, [sne], actor="test", correspondance=unmapped)
    assert result.problems.frame().query("niveau == 'ERREUR'")[
        ["ligne", "colonne", "valeur", "probleme"]].values.tolist() == [
        [3, "Commune demandée 1", "Reims",
         "format invalide : attendu un code INSEE de commune à 5 caractères (ex. 08105)"],
        [4, "Statut", "radiée pour attribution ",
         "code inconnu : attendu l'un de ACTIVE, ATTRIBUEE, RADIEE"]]
    assert checksums(empty_db) == before


def test_one_file_column_for_two_targets(empty_db, sne):
    corr = Correspondance(None, "demande", {**MAPPING["colonnes"], "motif_radiation": "Statut"},
                          {"statut": MAPPING["valeurs"]["statut"],
                           "commune_souhaitee": {"Reims": "51454"}})
    assert import_paths(empty_db, [sne], correspondance=corr).applied
    got = empty_db.df("select statut, motif_radiation from demande order by demande_id")
    assert got.values.tolist() == [["ACTIVE", "Active"], ["RADIEE", "Radiée"],
                                   ["ATTRIBUEE", "radiée pour attribution"]]
    assert json.loads(empty_db.scalar("select details from audit_log where action = 'import'")
                      )["correspondance"] == "sans nom"


def test_saved_mapping_lifecycle(empty_db):
    corr = Correspondance("SNE", "demande", MAPPING["colonnes"], MAPPING["valeurs"])
    assert enregistrer(empty_db, corr, "alice") is True
    assert charger(empty_db, "SNE") == corr
    changed = Correspondance("SNE", "demande", {"demande_id": "NUR", "statut": "Statut"})
    assert enregistrer(empty_db, changed, "bob") is False
    assert charger(empty_db, "SNE") == changed
    saved = lister(empty_db)
    assert saved[["nom", "table_cible", "nb_colonnes", "nb_valeurs", "modifie_par"]] \
        .values.tolist() == [["SNE", "demande", 2, 0, "bob"]]
    assert empty_db.one("select cree_par from correspondance") == ("alice",)
    with pytest.raises(CorrespondanceError, match="nom de la correspondance manquant"):
        enregistrer(empty_db, Correspondance(" ", "demande", {"demande_id": "N"}))
    with pytest.raises(CorrespondanceError) as exc:
        enregistrer(empty_db, Correspondance("X", "demande", {"statut": "S"}))
    assert str(exc.value) == ("correspondance invalide : colonne obligatoire absente de la "
                              "correspondance : demande_id (identifiant de la table demande)")
    supprimer(empty_db, "SNE", "alice")
    with pytest.raises(CorrespondanceError) as exc:
        charger(empty_db, "SNE")
    assert str(exc.value) == "correspondance « SNE » introuvable (aucune n'est enregistrée)"
    actions = empty_db.df("select action, actor, entity_id from audit_log where table_name = "
                          "'correspondance' order by audit_id").values.tolist()
    assert actions == [["correspondance.create", "alice", "SNE"],
                       ["correspondance.update", "bob", "SNE"],
                       ["correspondance.delete", "alice", "SNE"]]


def test_saving_a_mapping_needs_the_import_right(empty_db):
    lecteur = empty_db.pour(Utilisateur("lea", "Léa", "lecteur"))
    corr = Correspondance("SNE", "demande", MAPPING["colonnes"])
    with pytest.raises(AccesRefuseError, match="ne permet pas d'importer des données"):
        enregistrer(lecteur, corr)
    assert empty_db.scalar("select count(*) from correspondance") == 0
    admin = empty_db.pour(Utilisateur("ana", "Ana", "admin"))
    enregistrer(admin, corr, actor="quelqu'un")
    assert empty_db.one("select cree_par from correspondance") == ("ana",)
    with pytest.raises(AccesRefuseError):
        supprimer(lecteur, "SNE")


def test_headers_values_and_proposals(sne):
    headers = en_tetes(sne, sne.name)
    assert headers[:3] == ["Numéro unique", "Date de dépôt", "Commune demandée 1"]
    contenu = examiner(sne, sne.name, limite=2)
    assert contenu.lignes == 3
    assert contenu.valeurs["Statut"] == ["Active", "Radiée"]     # trimmed, 2 of 3
    assert contenu.distincts["Statut"] == 3
    assert "Date de radiation" in contenu.valeurs and contenu.distincts["Date de radiation"] == 2
    assert proposer("demande", headers) == {
        "demande_id": "Numéro unique", "date_depot": "Date de dépôt",
        "commune_souhaitee": "Commune demandée 1", "typologie_souhaitee": "Typologie demandée",
        "taille_menage": "Nombre de personnes", "statut": "Statut",
        "date_radiation": "Date de radiation", "ressources_uc": "Ressources par UC"}
    # a monthly household income is not resources per consumption unit: never proposed
    assert "Revenu mensuel" not in proposer("demande", [h for h in headers
                                                        if h != "Ressources par UC"]).values()
    assert deviner_table(headers) == "demande"
    assert deviner_table(["Libellé", "Montant"]) is None
    assert proposer("logement", ["N° logement", "Code programme", "Surface habitable",
                                 "Loyer principal", "Typologie"]) == {
        "logement_id": "N° logement", "residence_id": "Code programme",
        "surface_m2": "Surface habitable", "loyer_mensuel": "Loyer principal",
        "typologie": "Typologie"}
    assert proposer_valeurs("demande", "statut", ["Active", "Radiée", "Radiée pour "
                                                  "attribution", "Actif"]) == {
        "Active": "ACTIVE", "Radiée": "RADIEE", "Radiée pour attribution": None,
        "Actif": "ACTIVE"}
    assert proposer_valeurs("demande", "typologie_souhaitee", ["F3", "4", "Studio"]) == {
        "F3": "T3", "4": "T4", "Studio": None}


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "fluxcore", *args], capture_output=True,
                          text=True, timeout=600)


def test_cli_saves_then_reuses_a_mapping_by_name(tmp_path, sne):
    db = str(tmp_path / "cli.duckdb")
    mapping = write_mapping(tmp_path, {k: v for k, v in MAPPING.items() if k != "nom"})
    out = _cli("import", "--db", db, "--correspondance", str(mapping),
               "--enregistrer-correspondance", "SNE 51", "--controle", str(sne))
    assert out.returncode == 0, out.stderr
    assert "Contrôle réussi (rien n'est écrit) : 3 lignes ajoutées" in out.stdout
    assert "Correspondance « SNE 51 » enregistrée." in out.stdout
    assert f"[AVERTISSEMENT] « extrait_sne.csv », ligne 1 — {IGNORED}" in out.stdout
    listed = _cli("correspondances", "--db", db)
    assert listed.returncode == 0 and listed.stdout.startswith("SNE 51")
    assert "demande" in listed.stdout and "8 colonnes" in listed.stdout
    out = _cli("import", "--db", db, "--correspondance", "SNE 51", "--auteur", "cli", str(sne))
    assert out.returncode == 0, out.stderr
    assert "Import effectué : 3 lignes ajoutées" in out.stdout
    shown = json.loads(_cli("correspondances", "--db", db, "--afficher", "SNE 51").stdout)
    assert shown["colonnes"] == MAPPING["colonnes"] and shown["nom"] == "SNE 51"
    check = Database(db, read_only=True)
    assert check.scalar("select count(*) from demande") == 3
    assert json.loads(check.scalar("select details from audit_log where action = 'import'")
                      )["correspondance"] == "SNE 51"
    check.close()


def test_cli_mapping_errors_exit_2_in_french(tmp_path, sne):
    db = str(tmp_path / "cli.duckdb")
    out = _cli("import", "--db", db, "--correspondance", "inconnue", str(sne))
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert out.stderr.strip() == (
        "Erreur : correspondance « inconnue » introuvable (aucune n'est enregistrée) ; "
        "« inconnue » n'est pas non plus un fichier de correspondance")
    bad = write_mapping(tmp_path, {"table": "demande", "colonnes": {"statut": "Statut"}})
    out = _cli("import", "--db", db, "--correspondance", str(bad), str(sne))
    assert out.returncode == 2 and out.stderr.strip() == (
        "Erreur : correspondance invalide : colonne obligatoire absente de la correspondance "
        ": demande_id (identifiant de la table demande)")
    out = _cli("import", "--db", db, "--enregistrer-correspondance", "X", str(sne))
    assert out.returncode == 2 and "demande --correspondance" in out.stderr
    assert Database(db, read_only=True).scalar("select count(*) from demande") == 0
