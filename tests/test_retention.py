"""Retention of personal data: each limit to the day, exact counts, erased fields, rows kept,
one audit row, a check that writes nothing, a second pass that finds nothing, the role, the
bilan of a purged year, the command line and the integrity report."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime

import pandas as pd
import pytest

from fluxcore.__main__ import main
from fluxcore.acces import AccesRefuseError, Utilisateur
from fluxcore.bilan.calcul import calculer_bilan, totaux
from fluxcore.check import run_checks
from fluxcore.errors import FluxcoreError, ParametreError
from fluxcore.journal import phrase
from fluxcore.parametres import check_valeur, set_parametre
from fluxcore.reglages import texte_valeur
from fluxcore.retention import a_purger, effacer, limites, purger, resume
from tests.factory import attribution, insert, small_year

JOUR = date(2026, 12, 3)
# default settings at JOUR: demandes and candidatures 12 months (kept from 03/12/2025),
# ménages 5 years (from 03/12/2021), SNE radiations 24 months (from 03/12/2024), audit
# details 1 year (from 03/12/2025)
ATTENDU = {"candidatures": 3, "demandes": 2, "menages": 2, "radiations_sne": 1, "journal": 4}
ZERO = dict.fromkeys(ATTENDU, 0)


def _demande(did, statut, radiation, depot=date(2019, 5, 1)):
    return {"demande_id": did, "date_depot": depot, "commune_souhaitee": "51454",
            "typologie_souhaitee": "T3", "taille_menage": 3, "ressources_uc": 9000.0,
            "criteres": ["DALO"], "statut": statut, "date_radiation": radiation,
            "motif_radiation": None}


def _candidature(cid, did, statut, proposition, decision=None):
    return {"candidature_id": cid, "orientation_id": "O1", "demande_id": did, "rang": 1,
            "date_proposition": proposition, "propose_par": "ines", "origine": "BAILLEUR",
            "statut": statut, "date_decision": decision, "motif": "refus écrit à la main"}


def _ligne(quand, action, table, entity, details):
    return {"logged_at": quand, "actor": "ines", "action": action, "table_name": table,
            "entity_id": entity,
            "details": None if details is None else json.dumps(details, ensure_ascii=False)}


ORIENTATION = {"liberation_id": "B1", "destinataire": "PREF-51", "rang": 1, "premier": "AL",
               "justification": "Mme Martin, voisine du gardien"}
SUIVI = {"orientation_id": "O1", "demandes": ["D-AVANT"], "resume": "1 candidat : D-AVANT"}


@pytest.fixture
def db(empty_db):
    small_year(empty_db)
    insert(empty_db, "demande", [
        _demande("D-AVANT", "RADIEE", date(2025, 12, 2)),        # purged: the day before
        _demande("D-LIMITE", "ATTRIBUEE", date(2025, 12, 3)),    # kept: the limit itself
        _demande("D-VIEILLE", "ATTRIBUEE", date(2020, 1, 1)),    # purged
        _demande("D-ACTIVE", "ACTIVE", None, depot=date(2015, 1, 1)),   # kept: active
        _demande("D-SANS-DATE", "RADIEE", None)])                # kept: no date to count from
    insert(empty_db, "candidature", [
        _candidature("CA-O1-1", "D-LIMITE", "RETENU", date(2025, 11, 1), date(2025, 12, 2)),
        _candidature("CA-O1-2", "D-ACTIVE", "REFUSE_CALEOL", date(2025, 11, 1),
                     date(2025, 12, 3)),                            # kept: the limit
        _candidature("CA-O1-3", "D-ACTIVE", "PROPOSE", date(2020, 1, 1)),  # kept: still open
        _candidature("CA-O1-4", "D-AVANT", "AJOURNE", date(2025, 12, 20)),  # its demande goes
        _candidature("CA-O1-5", "D-ACTIVE", "RETIRE", date(2025, 12, 2))])  # no decision date
    insert(empty_db, "attribution", [
        {**attribution("AM1", "OM1", "L1", date(2021, 11, 20), date(2021, 12, 2), taille=4,
                       ress=7000.0, quartile=1, prioritaire=True, dalo=True, mutation=True,
                       relogement="RU", salarie=True), "numero_unique": "051012100001"},
        {**attribution("AM2", "OM2", "L2", date(2021, 11, 20), date(2021, 12, 3), quartile=2),
         "numero_unique": "051012100002"},                          # kept: the limit
        {**attribution("AM3", "OM3", "L3", date(2021, 12, 1), None, prioritaire=True),
         "numero_unique": None},                                    # no lease: the CALEOL
        {**attribution("AM4", "OM4", "L5", date(2010, 1, 5), date(2010, 2, 1)),
         "menage_id": None, "taille_menage": None, "ressources_uc": None,
         "numero_unique": None}])                                   # already erased
    insert(empty_db, "radiation_sne", [
        {"numero_unique": "N1", "date_radiation": date(2024, 12, 2), "dalo": True},
        {"numero_unique": "N2", "date_radiation": date(2024, 12, 3), "dalo": False}])
    insert(empty_db, "audit_log", [
        _ligne(datetime(2025, 12, 2, 23, 59), "orientation.create", "orientation", "O1",
               ORIENTATION),
        _ligne(datetime(2025, 12, 3, 0, 0), "suivi.proposer", "orientation", "O1", SUIVI),
        _ligne(datetime(2025, 11, 1), "suivi.proposer", "orientation", "O1", SUIVI),
        _ligne(datetime(2025, 11, 1), "parametre.set", "parametre", "nb_candidats_max",
               {"avant": 3, "apres": 4}),
        _ligne(datetime(2025, 11, 1), "connexion_verrouillee", None, "ines",
               {"identifiant": "ines", "adresse": "10.0.0.7"}),
        _ligne(datetime(2025, 11, 1), "demande.lue", "demande", "D-ACTIVE", None)])
    return empty_db


def _ids(db, table, col):
    return db.df(f"select {col} from {table} order by 1")[col].tolist()


def _journal(db):
    return db.df("select audit_id, action, coalesce(entity_id, '—') as entity_id, "
                 "coalesce(details, 'null') as details from audit_log "
                 "where logged_at < timestamp '2026-01-01' order by audit_id")


def test_controle_counts_and_writes_nothing(db):
    avant = (db.version(), _ids(db, "demande", "demande_id"), _journal(db))
    assert purger(db, JOUR, controle=True) == ATTENDU
    assert db.version() == avant[0]
    assert _ids(db, "demande", "demande_id") == avant[1]
    assert _journal(db).equals(avant[2])
    assert db.scalar("select count(*) from attribution where menage_id is not null") == 8


def test_purge_removes_exactly_what_is_past_its_limit(db):
    assert purger(db, JOUR, auteur="planificateur") == ATTENDU
    assert _ids(db, "demande", "demande_id") == ["D-ACTIVE", "D-LIMITE", "D-SANS-DATE"]
    assert _ids(db, "candidature", "candidature_id") == ["CA-O1-2", "CA-O1-3"]
    assert _ids(db, "radiation_sne", "numero_unique") == ["N2"]
    assert _ids(db, "attribution", "attribution_id") == [
        "A1", "A2", "A3", "A4", "A6", "AM1", "AM2", "AM3", "AM4"]


def test_household_fields_are_erased_and_the_attribution_kept(db):
    purger(db, JOUR)
    assert db.one(
        "select menage_id, taille_menage, ressources_uc, quartile, relogement, numero_unique, "
        "prioritaire, dalo, salarie from attribution where attribution_id = 'AM1'") == (
        None, None, None, None, None, None, False, False, False)
    assert db.one("select orientation_id, logement_id, date_caleol, date_bail, "
                  "mutation_interne from attribution where attribution_id = 'AM1'") == (
        "OM1", "L1", date(2021, 11, 20), date(2021, 12, 2), True)
    assert db.scalar("select count(*) from attribution where attribution_id in "
                     "('AM1', 'AM3') and menage_id is null and taille_menage is null "
                     "and ressources_uc is null and not prioritaire") == 2
    assert db.one("select menage_id, quartile, numero_unique from attribution "
                  "where attribution_id = 'AM2'") == ("MAM2", 2, "051012100002")
    assert db.scalar("select count(*) from attribution where menage_id is not null") == 6


def test_audit_details_are_reduced_and_the_rest_kept(db):
    purger(db, JOUR)
    rows = _journal(db)
    details = [json.loads(d) for d in rows["details"]]
    assert rows["action"].tolist() == ["orientation.create", "suivi.proposer",
                                       "suivi.proposer", "parametre.set", "connexion_verrouillee",
                                       "demande.lue"]
    assert details == [
        {"liberation_id": "B1", "destinataire": "PREF-51", "rang": 1, "premier": "AL"},
        SUIVI,                                   # logged on the limit day: kept
        {"orientation_id": "O1"},
        {"avant": 3, "apres": 4},                # settings never cite a person
        None, None]
    assert rows["entity_id"].tolist() == ["O1", "O1", "O1", "nb_candidats_max", "—", "—"]


def test_one_audit_row_with_the_counts_never_the_data(db):
    n = db.scalar("select count(*) from audit_log")
    purger(db, JOUR, auteur="planificateur")
    assert db.scalar("select count(*) from audit_log") == n + 1
    actor, table, entity, details = db.one(
        "select actor, table_name, entity_id, details from audit_log "
        "where action = 'purge_donnees_personnelles'")
    assert (actor, table, entity) == (
        "planificateur", "candidature,demande,attribution,radiation_sne,audit_log",
        "2026-12-03")
    d = json.loads(details)
    assert d["comptes"] == ATTENDU
    assert d["limites"] == {"candidatures": "2025-12-03", "demandes": "2025-12-03",
                            "menages": "2021-12-03", "radiations_sne": "2024-12-03",
                            "journal": "2025-12-03"}
    assert d["durees"]["conservation_menages_ans"] == 5
    assert d["resume"] == (
        "Purge des données personnelles au 03/12/2026 : 3 candidatures supprimées, "
        "2 demandes supprimées, 2 ménages attributaires effacés, 1 radiation du SNE "
        "supprimée, 4 lignes du journal d'audit réduites.")
    assert phrase("purge_donnees_personnelles", d) == d["resume"]
    for secret in ("D-AVANT", "051012100001", "Martin", "10.0.0.7", "N1"):
        assert secret not in details


def test_second_pass_finds_nothing(db):
    assert purger(db, JOUR) == ATTENDU
    assert purger(db, JOUR, controle=True) == ZERO
    assert purger(db, JOUR) == ZERO
    assert db.scalar("select count(*) from audit_log "
                     "where action = 'purge_donnees_personnelles'") == 2


def test_zero_means_never(db):
    set_parametre(db, "conservation_demandes_mois", 0, actor="ines")
    set_parametre(db, "conservation_journal_ans", 0, actor="ines")
    # D-AVANT stays, so does its open candidature CA-O1-4
    assert purger(db, JOUR) == {**ATTENDU, "demandes": 0, "candidatures": 2, "journal": 0}
    assert limites(db, JOUR)["demandes"] == (0, None)
    assert limites(db, JOUR)["menages"] == (5, "2021-12-03")


def test_longer_setting_moves_the_limit(db):
    set_parametre(db, "conservation_menages_ans", 10, actor="ines")
    set_parametre(db, "conservation_radiations_sne_mois", 23, actor="ines")
    comptes = purger(db, JOUR, controle=True)
    assert (comptes["menages"], comptes["radiations_sne"]) == (0, 2)


def test_only_an_administrator_may_purge(db):
    n = db.scalar("select count(*) from audit_log")
    for role in ("gestionnaire", "lecteur"):
        lie = db.pour(Utilisateur("marie", "Marie", role))
        with pytest.raises(AccesRefuseError, match="purger les données personnelles"):
            purger(lie, JOUR)
        with pytest.raises(AccesRefuseError):
            purger(lie, JOUR, controle=True)
    assert db.scalar("select count(*) from audit_log") == n
    assert purger(db.pour(Utilisateur("ines", "Inès", "admin")), JOUR, auteur="autre") == ATTENDU
    assert db.scalar("select actor from audit_log "
                     "where action = 'purge_donnees_personnelles'") == "ines"


def test_bilan_of_a_purged_year_is_still_computed(empty_db):
    db = small_year(empty_db)
    with db.transaction() as cur:
        cur.execute("update attribution set prioritaire = true, dalo = true, quartile = 1 "
                    "where attribution_id = 'A6'")
    avant = calculer_bilan(db, 2025, date(2026, 2, 1))
    # lease of A6 on 20/03/2025: past 5 years on 21/03/2030
    assert purger(db, date(2030, 3, 20), controle=True)["menages"] == 0
    assert purger(db, date(2030, 3, 21))["menages"] == 1
    apres = calculer_bilan(db, 2025, date(2026, 2, 1))
    assert totaux(avant.detail) == {"logements": 1, "attribues": 1, "rendus": 0,
                                    "en_cours": 0, "prioritaires": 1, "dalo": 1, "q1": 1,
                                    "quartile_inconnu": 0}
    assert totaux(apres.detail) == {"logements": 1, "attribues": 1, "rendus": 0,
                                    "en_cours": 0, "prioritaires": 0, "dalo": 0, "q1": 0,
                                    "quartile_inconnu": 1}
    flux = ["destinataire", "dimension", "categorie", "logements", "attribues", "rendus",
            "en_cours"]
    assert apres.detail[flux].equals(avant.detail[flux])
    assert apres.logements.equals(avant.logements)
    assert apres.statistiques.equals(avant.statistiques)


def test_settings_are_whole_numbers_and_zero_reads_never():
    check_valeur("conservation_demandes_mois", 0)
    for valeur in (1.5, -1, 601):
        with pytest.raises(ParametreError):
            check_valeur("conservation_demandes_mois", valeur)
    assert texte_valeur("conservation_demandes_mois", 0) == "jamais purgé"
    assert texte_valeur("conservation_menages_ans", 5) == "5 ans"
    assert texte_valeur("conservation_radiations_sne_mois", 24) == "24 mois"
    assert resume(ZERO, JOUR, controle=True).startswith(
        "Contrôle au 03/12/2026 (rien n'est écrit), la purge donnerait : 0 candidature "
        "supprimée, 0 demande supprimée")


def test_integrity_report_warns_about_data_past_its_retention(db):
    assert a_purger(db, JOUR) == [
        "candidature CA-O1-1", "candidature CA-O1-4", "candidature CA-O1-5",
        "demande D-AVANT", "demande D-VIEILLE", "ménage de l'attribution AM1",
        "ménage de l'attribution AM3", "radiation SNE N1"] + [
        f"journal d'audit, ligne {i}" for i in _journal(db)["audit_id"].iloc[[0, 2, 4, 5]]]
    code = "donnees_personnelles_a_purger"
    report = run_checks(db).set_index("code")
    assert report.loc[code, "niveau"] == "AVERTISSEMENT"
    assert report.loc[code, "nombre"] == len(a_purger(db))
    purger(db, date.today())
    report = run_checks(db).set_index("code")
    assert report.loc[code, "nombre"] == 0


def test_one_person_is_erased_on_request(db):
    assert effacer(db, "D-AVANT", controle=True) == {**ZERO, "candidatures": 1,
                                                     "demandes": 1, "journal": 2}
    assert effacer(db, " D-AVANT ", auteur="dpo") == {**ZERO, "candidatures": 1,
                                                      "demandes": 1, "journal": 2}
    assert "D-AVANT" not in _ids(db, "demande", "demande_id")
    assert "CA-O1-4" not in _ids(db, "candidature", "candidature_id")
    assert [json.loads(d) for d in _journal(db)["details"]][1:3] == [
        {"orientation_id": "O1"}, {"orientation_id": "O1"}]
    with pytest.raises(FluxcoreError, match="« D-AVANT » inconnu"):     # already erased
        effacer(db, "D-AVANT")
    # a household by its identifier or by the numéro unique of its demande
    assert effacer(db, "MAM1") == {**ZERO, "menages": 1}
    assert effacer(db, "051012100002") == {**ZERO, "menages": 1}
    assert db.scalar("select count(*) from attribution where attribution_id in ('AM1', "
                     "'AM2') and menage_id is null and numero_unique is null") == 2
    assert effacer(db, "N2") == {**ZERO, "radiations_sne": 1}
    assert effacer(db, "D-ACTIVE") == {**ZERO, "candidatures": 3, "demandes": 1,
                                       "journal": 1}
    rows = db.df("select actor, details from audit_log "
                 "where action = 'effacement_donnees_personnelles' order by audit_id")
    assert len(rows) == 5 and rows["actor"].iloc[0] == "dpo"
    assert json.loads(rows["details"].iloc[0])["resume"] == (
        "Effacement des données d'une personne à sa demande : 1 candidature supprimée, "
        "1 demande supprimée, 0 ménage attributaire effacé, 0 radiation du SNE supprimée, "
        "2 lignes du journal d'audit réduites.")
    assert not any(x in " ".join(rows["details"]) for x in
                   ("D-AVANT", "MAM1", "051012100002", "N2", "D-ACTIVE"))
    with pytest.raises(AccesRefuseError):
        effacer(db.pour(Utilisateur("marie", "Marie", "gestionnaire")), "D-LIMITE")
    with pytest.raises(FluxcoreError, match="Indiquez l'identifiant"):
        effacer(db, "  ")


def test_unknown_identifier_is_refused_and_nothing_written(db):
    insert(db, "audit_log", [_ligne(datetime(2026, 1, 5), "reservataire.update", "reservataire",
                                    "INCONNU", {"note": "INCONNU"})])
    avant = (db.version(), db.df("select * from audit_log order by audit_id"))
    # an element of no personal table, an orientation, a setting: no one of the base
    for identifiant in ("INCONNU", "O1", "nb_candidats_max", "MAM4"):
        for controle in (True, False):
            with pytest.raises(FluxcoreError, match=f"Identifiant « {identifiant} » inconnu "
                               ": ce n'est ni une demande, ni un ménage"):
                effacer(db, identifiant, controle=controle)
    assert db.version() == avant[0]
    assert db.df("select * from audit_log order by audit_id").equals(avant[1])


def test_erasure_reduces_only_rows_of_personal_tables_and_actions(db):
    insert(db, "audit_log", [
        _ligne(datetime(2026, 1, 5), "reservataire.update", "reservataire", "D-ACTIVE",
               {"nom": "x"}),                                 # same text, other table: kept
        _ligne(datetime(2026, 1, 5), "import", "demande", "D-ACTIVE",
               {"fichier": "D-ACTIVE"}),                      # an action kept whole
        _ligne(datetime(2026, 1, 5), "candidature.update", "candidature", "CA-O1-3",
               {"demande_id": "D-ACTIVE"})])                  # cites it: reduced
    assert effacer(db, "D-ACTIVE")["journal"] == 2
    rows = db.df("select action, table_name, entity_id, coalesce(details, 'null') as d "
                 "from audit_log where logged_at = timestamp '2026-01-05' order by audit_id")
    assert rows.values.tolist() == [
        ["reservataire.update", "reservataire", "D-ACTIVE", '{"nom": "x"}'],
        ["import", "demande", "D-ACTIVE", '{"fichier": "D-ACTIVE"}'],
        ["candidature.update", "candidature", "CA-O1-3", "null"]]
    assert db.one("select entity_id, details from audit_log "
                  "where action = 'demande.lue'") == (None, None)


def _copie_demo(demo_path, tmp_path):
    import shutil

    from fluxcore.db import Database

    copie = tmp_path / "demo.duckdb"
    shutil.copy(demo_path, copie)
    return Database(copie)


def test_on_the_demo_1_is_no_one(demo_path, tmp_path):
    db = _copie_demo(demo_path, tmp_path)
    try:
        avant = (db.version(), db.df("select * from audit_log order by audit_id"))
        for controle in (True, False):
            with pytest.raises(FluxcoreError, match="Identifiant « 1 » inconnu"):
                effacer(db, "1", controle=controle)
        assert db.version() == avant[0]
        assert db.df("select * from audit_log order by audit_id").equals(avant[1])
        assert db.one("select entity_id, details from audit_log where action = "
                      "'schema.migrate' order by audit_id limit 1") == (
            "1", '{"name": "001_schema"}')
    finally:
        db.close()


def test_on_the_demo_a_household_erasure_touches_only_its_rows(demo_path, tmp_path):
    db = _copie_demo(demo_path, tmp_path)
    tables = {"attribution": "attribution_id", "demande": "demande_id",
              "candidature": "candidature_id", "radiation_sne": "numero_unique",
              "audit_log": "audit_id"}
    try:
        menage = db.scalar("select menage_id from attribution "
                           "where attribution_id = 'ATT000000001'")
        siens = db.df("select attribution_id from attribution where menage_id = ?",
                      [menage])["attribution_id"].tolist()
        assert menage == "MEN100001206" and siens == ["ATT000000001"]
        avant = {t: db.df(f"select * from {t} order by {c}") for t, c in tables.items()}
        assert effacer(db, menage, controle=True) == {**ZERO, "menages": 1}
        assert effacer(db, menage, auteur="dpo") == {**ZERO, "menages": 1}
        apres = {t: db.df(f"select * from {t} order by {c}") for t, c in tables.items()}
        for t in ("demande", "candidature", "radiation_sne"):
            assert apres[t].equals(avant[t]), t
        n = len(avant["audit_log"])
        assert apres["audit_log"].iloc[:n].equals(avant["audit_log"])
        assert apres["audit_log"]["action"].iloc[n:].tolist() == [
            "effacement_donnees_personnelles"]
        autres = "attribution_id != 'ATT000000001'"
        # an erased field turns an integer column to floats in pandas: compare the values
        pd.testing.assert_frame_equal(apres["attribution"].query(autres),
                                      avant["attribution"].query(autres), check_dtype=False)
        assert db.one("select menage_id, numero_unique, logement_id from attribution "
                      "where attribution_id = 'ATT000000001'") == (
            None, None, avant["attribution"]["logement_id"].iloc[0])
        # its numéro unique is still an SNE radiation: refused no more, erased on its own
        assert effacer(db, "05123050000001", controle=True) == {**ZERO, "radiations_sne": 1}
    finally:
        db.close()


def test_command_line_refuses_a_future_date(db, capsys):
    from datetime import timedelta

    path = db.path
    n = db.scalar("select count(*) from audit_log")
    db.close()
    demain = date.today() + timedelta(days=1)
    for extra in ([], ["--controle"]):
        assert main(["purger", "--db", path, "--date", "2062-12-03", *extra]) == 2
        err = capsys.readouterr().err
        assert "Date de référence 03/12/2062 postérieure à aujourd'hui" in err
        assert "rien n'a été purgé" in err and "Traceback" not in err
    assert main(["purger", "--db", path, "--date", demain.isoformat()]) == 2
    assert "postérieure à aujourd'hui" in capsys.readouterr().err
    from fluxcore.db import Database

    db = Database(path, read_only=True)
    try:
        assert db.scalar("select count(*) from audit_log") == n
        assert db.scalar("select count(*) from demande") == 5
    finally:
        db.close()
    # the scheduler's call (no `saisie`) keeps any day; today, typed, is accepted
    assert main(["purger", "--db", path, "--date", date.today().isoformat(), "--controle",
                 "--format", "json"]) == 0


def test_command_line(db, capsys):
    path = db.path
    db.close()
    assert main(["purger", "--db", path, "--date", "2026-12-03", "--controle",
                 "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["comptes"], out["total"], out["controle"]) == (ATTENDU, 12, True)
    assert out["limites"]["radiations_sne"] == "2024-12-03"
    assert main(["purger", "--db", path, "--date", "2026-12-03"]) == 0
    lignes = capsys.readouterr().out.splitlines()
    assert lignes[0] == (
        "Purge des données personnelles au 03/12/2026 : 3 candidatures supprimées, "
        "2 demandes supprimées, 2 ménages attributaires effacés, 1 radiation du SNE "
        "supprimée, 4 lignes du journal d'audit réduites.")
    assert lignes[3] == ("  Ménages des attributions           2   (conservées 5 ans : avant "
                         "le 03/12/2021)")
    assert main(["purger", "--db", path, "--date", "2026-12-03", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["total"] == 0
    assert main(["purger", "--db", path, "--identifiant", "D-ACTIVE", "--controle"]) == 0
    assert capsys.readouterr().out.startswith(
        "Contrôle de l'effacement (rien n'est écrit) : 2 candidatures supprimées, 1 demande "
        "supprimée, 0 ménage attributaire effacé")
    assert main(["purger", "--db", path, "--identifiant", "D-ACTIVE", "--format",
                 "json"]) == 0
    assert json.loads(capsys.readouterr().out)["total"] == 3     # after the purge above
    assert main(["purger", "--db", path + ".absente"]) == 2
    assert "n'existe pas" in capsys.readouterr().err


def test_command_line_on_a_locked_base(db):
    path = db.path
    db.close()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
         "print('ok', flush=True); time.sleep(30)", path], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ok"
        out = subprocess.run([sys.executable, "-m", "fluxcore", "purger", "--db", path],
                             capture_output=True, text=True, timeout=120)
    finally:
        holder.kill()
        holder.wait()
    assert out.returncode == 2
    assert "est verrouillée" in out.stderr and "Traceback" not in out.stderr
