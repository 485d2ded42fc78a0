"""Issue 27, point 4: the server's scheduled backups (retention, each one verified), the read
copy that read-only commands use while the application holds the base, the daily purge, the
thread that runs them, and the restore drill of docs/sauvegardes.md replayed."""

from __future__ import annotations

import asyncio
import errno
import json
import os
import shutil
import subprocess
import sys
import textwrap
import threading
import time
import types
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from fluxcore import backup as bk
from fluxcore import copies, fichier, planification
from fluxcore.__main__ import main
from fluxcore.backup import SauvegardeEndommageeError, fichier_empreinte, verifier_sauvegarde
from fluxcore.copies import etat_sauvegardes, resume
from fluxcore.db import Database, audit, liberer_partagee, partagee, table_checksum
from fluxcore.fichier import remplacement
from fluxcore.planification import Planificateur, Reglages, avertissements, lire_reglages
from tests import factory

ROOT = Path(__file__).resolve().parent.parent
DEBUT = datetime(2026, 12, 1, 2, 0)
TABLES = ("reservataire", "logement", "attribution", "orientation")


class Horloge:
    def __init__(self, moment: datetime = DEBUT):
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment

    def avancer(self, **delta) -> None:
        self.moment += timedelta(**delta)


@pytest.fixture
def base(tmp_path, empty_template):
    """A small year in its own file (closed); the process's shared connection is released
    at the end."""
    path = tmp_path / "base.duckdb"
    shutil.copyfile(empty_template, path)
    db = factory.small_year(Database(path))
    db.close()
    yield path
    liberer_partagee(str(path))


@pytest.fixture
def dossier(tmp_path) -> Path:
    return tmp_path / "sauvegardes"


def _plan(base: Path, dossier: Path | None, horloge: Horloge, garder: int = 3,
          journal: list | None = None, purges: list | None = None,
          modeles=lambda db: []) -> Planificateur:
    """The scheduler with a recorded purge and, unless given, no model refit (its own tests
    below use the real one)."""
    reglages = Reglages(dossier, timedelta(hours=24), garder, timedelta(minutes=10))
    purges = [] if purges is None else purges
    journal = [] if journal is None else journal

    def purger(db, aujourdhui, auteur):
        purges.append((aujourdhui, auteur))
        return {"demandes": 0}

    return Planificateur(base, reglages, horloge=horloge, purger=purger, ecrire=journal.append,
                         modeles=modeles)


def test_the_simulator_model_is_refitted_at_the_first_round_then_daily(base):
    from fluxcore.simulation import modele_stocke

    horloge, journal = Horloge(), []
    plan = _plan(base, None, horloge, journal=journal, modeles=modele_stocke.rafraichir_modeles)
    assert plan.tour() == ["modele"]            # none stored yet: fitted at the first round
    db = partagee(str(base))
    annee = modele_stocke.annees_par_defaut()[0]
    assert db.df("select departement, annee from modele_vacance order by 1").values.tolist() == [
        ["10", annee], ["51", annee]]
    assert modele_stocke.modeles_a_reestimer(db) == []
    journalise = "select actor from audit_log where action = 'simulation.modele'"
    assert len(db.df(journalise)) == 1
    horloge.avancer(hours=1)
    assert plan.tour() == []                    # once a day
    horloge.avancer(days=1)
    assert plan.tour() == []                    # next day: inputs unchanged, nothing refitted
    assert len(db.df(journalise)) == 1 and journal == []


def test_a_failed_model_refit_is_written_and_stops_nothing(base, dossier):
    horloge, journal = Horloge(), []

    def casse(db):
        raise OSError(errno.ENOSPC, "No space left on device")

    plan = _plan(base, dossier, horloge, journal=journal, modeles=casse)
    fait = plan.tour()
    assert fait[0].startswith("sauvegarde ") and fait[-1] == "modele echec"
    assert any("Modèle de vacance du simulateur non réestimé (OSError" in m for m in journal)
    horloge.avancer(hours=1)
    assert "modele echec" not in plan.tour()    # tried again the next day


def _add(db: Database, rid: str) -> None:
    with db.transaction() as cur:
        cur.execute("insert into reservataire (reservataire_id, nom, type, territoire, "
                    "repris_par_prefet) values (?, ?, 'AUTRE', NULL, false)", [rid, rid])
        audit(cur, "test", "reservataire.create", "reservataire", rid)


def _audit(path: Path, action: str) -> list[dict]:
    db = Database(path, read_only=True)
    try:
        rows = db.df("select actor, details from audit_log where action = ? order by audit_id",
                      [action])
    finally:
        db.close()
    return [{"actor": a, "details": json.loads(d) if d else None}
            for a, d in zip(rows["actor"], rows["details"])]


def _checksums(path: Path) -> dict[str, str]:
    db = Database(path, read_only=True)
    try:
        return {t: table_checksum(db, t) for t in TABLES}
    finally:
        db.close()


def _noms(dossier: Path) -> list[str]:
    return sorted(p.name for p in dossier.iterdir() if not p.name.endswith(".lock"))


# -- settings ---------------------------------------------------------------------------------
def test_settings_defaults_warning_and_invalid_values(tmp_path):
    r = lire_reglages({})
    assert (r.dossier, r.periode, r.garder, r.intervalle_copie, r.erreurs) == (
        None, timedelta(hours=24), 14, timedelta(minutes=10), ())
    assert not r.actives
    assert avertissements(r) == [
        "Sauvegardes planifiées désactivées : FLUX_SAUVEGARDES n'est pas définie. Indiquez le "
        "dossier où le serveur doit garder ses sauvegardes (deploy/flux.env, "
        "docs/sauvegardes.md) ; sans lui, ni sauvegarde planifiée ni copie de lecture pour les "
        "commandes pendant le service (ni purge planifiée)."]

    r = lire_reglages({"FLUX_SAUVEGARDES": str(tmp_path / "s"), "FLUX_SAUVEGARDE_HEURES": "0,5",
                       "FLUX_SAUVEGARDES_GARDER": "30", "FLUX_COPIE_LECTURE_MINUTES": "5",
                       "FLUX_UTILISATEURS": str(tmp_path / "utilisateurs.toml")})
    assert r.actives and r.dossier == tmp_path / "s"
    assert (r.periode, r.garder, r.intervalle_copie) == (timedelta(minutes=30), 30,
                                                         timedelta(minutes=5))
    assert r.purge
    assert avertissements(r) == [f"Sauvegardes planifiées dans « {tmp_path / 's'} » : toutes "
                                 "les 30 min, 30 gardées ; copie de lecture rafraîchie au plus "
                                 "toutes les 5 min ; purge quotidienne des données personnelles "
                                 "au-delà de leur durée de conservation, après une sauvegarde "
                                 "vérifiée."]

    (tmp_path / "fichier").write_text("x")
    r = lire_reglages({"FLUX_SAUVEGARDES": str(tmp_path / "fichier"),
                       "FLUX_SAUVEGARDE_HEURES": "tous les jours",
                       "FLUX_SAUVEGARDES_GARDER": "0", "FLUX_COPIE_LECTURE_MINUTES": "2,5"})
    assert not r.actives
    assert r.erreurs == (
        f"FLUX_SAUVEGARDES = « {tmp_path / 'fichier'} » n'est pas un dossier (un fichier porte "
        "ce nom).",
        "FLUX_SAUVEGARDE_HEURES = « tous les jours » est invalide : attendu un nombre d'heures "
        "entre 0,25 et 8 760 (ex. 24, 12 ou 0,5).",
        "FLUX_SAUVEGARDES_GARDER = « 0 » est invalide : attendu un nombre entier de "
        "sauvegardes entre 1 et 10 000.",
        "FLUX_COPIE_LECTURE_MINUTES = « 2,5 » est invalide : attendu un nombre entier de "
        "minutes entre 1 et 1 440.")
    assert avertissements(r)[1] == (
        "Sauvegardes planifiées désactivées : FLUX_SAUVEGARDE_HEURES = « tous les jours » est "
        "invalide : attendu un nombre d'heures entre 0,25 et 8 760 (ex. 24, 12 ou 0,5). "
        "Corrigez la variable (deploy/flux.env) puis redémarrez le service.")
    assert lire_reglages({"FLUX_SAUVEGARDES": " "}).erreurs == (
        "FLUX_SAUVEGARDES est définie mais vide : indiquez le dossier des sauvegardes (ex. "
        "/srv/flux/sauvegardes), ou retirez la variable.",)


def test_daily_purge_on_a_team_server_off_in_the_open_demo(tmp_path):
    """The scheduled purge follows the kind of server unless FLUX_PURGE_PLANIFIEE says."""
    comptes = str(tmp_path / "utilisateurs.toml")
    assert lire_reglages({"FLUX_UTILISATEURS": comptes}).purge is True
    assert lire_reglages({"FLUX_UTILISATEURS": "aucun"}).purge is False
    assert lire_reglages({"FLUX_UTILISATEURS": "AUCUN ",
                          "FLUX_PURGE_PLANIFIEE": "oui"}).purge is True
    assert lire_reglages({"FLUX_UTILISATEURS": comptes,
                          "FLUX_PURGE_PLANIFIEE": "Non"}).purge is False
    r = lire_reglages({"FLUX_UTILISATEURS": comptes, "FLUX_PURGE_PLANIFIEE": "parfois"})
    assert r.purge is True and r.erreurs == (
        "FLUX_PURGE_PLANIFIEE = « parfois » est invalide : attendu oui ou non.",)


def test_no_purge_round_when_the_purge_is_off(base):
    appels = []
    plan = Planificateur(base, Reglages(None, purge=False), horloge=Horloge(),
                         purger=lambda *a, **k: appels.append(k), ecrire=print,
                         modeles=lambda db: [])
    assert plan.tour() == [] and appels == []


# -- the restore drill (docs/sauvegardes.md) --------------------------------------------------
def test_restore_drill(base, dossier, capsys):
    """Scheduled backups with retention (N + 2 made, N kept, exact names, other files left),
    a write, then the drill: stop, restore the newest backup, check, restart, read the log."""
    dossier.mkdir()
    for autre in ("manuelle.duckdb", "notes.txt", "flux-20261130.duckdb"):
        (dossier / autre).write_text("pas une sauvegarde planifiée")
    horloge, journal = Horloge(), []
    plan = _plan(base, dossier, horloge, garder=3, journal=journal)
    faits = []
    for _ in range(5):                                   # N + 2 = 5 rounds, a day apart
        faits.append(plan.tour())
        horloge.avancer(hours=24)
    assert faits == [[f"sauvegarde flux-2026120{d}-020000.duckdb", "purge", "copie"]
                     for d in range(1, 6)]
    kept = ["flux-20261203-020000.duckdb", "flux-20261204-020000.duckdb",
            "flux-20261205-020000.duckdb"]
    assert _noms(dossier) == sorted(
        ["etat.json", "flux-20261130.duckdb", "lecture.duckdb", "lecture.duckdb.sha256",
         "manuelle.duckdb", "notes.txt", *kept, *(k + ".sha256" for k in kept)])
    for k in kept:
        assert verifier_sauvegarde(dossier / k)["lignes"]["logement"] == 6
    assert journal[-1] == (f"Sauvegarde planifiée écrite et vérifiée : « {dossier / kept[-1]} » "
                           "; 1 ancienne sauvegarde retirée (flux-20261202-020000.duckdb).")
    newest = dossier / kept[-1]
    in_backup = _checksums(newest)

    # people keep working: Z is added after the last backup
    _add(partagee(str(base)), "Z")

    # the drill: stop the service (its connection closes), restore, check, restart
    liberer_partagee(str(base))
    assert main(["restore", "--db", str(base), "--from", str(newest), "--confirmer"]) == 0
    assert main(["check", "--db", str(base)]) == 0
    out = capsys.readouterr().out
    assert f"Base « {base} » restaurée." in out and "0 en erreur." in out
    assert _checksums(base) == in_backup
    db = Database(base, read_only=True)
    assert db.scalar("select count(*) from reservataire where reservataire_id = 'Z'") == 0
    db.close()
    restaurations = _audit(base, "restauration")
    assert len(restaurations) == 1 and restaurations[0]["details"]["source"] == str(newest)
    sauvegardes = _audit(base, "sauvegarde")             # those made before the newest one
    assert [s["actor"] for s in sauvegardes] == ["planificateur"] * 4
    assert [s["details"]["retirees"] for s in _audit(base, "sauvegarde.retention")] == [
        ["flux-20261201-020000.duckdb"]]

    # restart: a new scheduler resumes from the folder (the newest backup is 1 h old, today's
    # purge is done: neither again; the read copy follows the restored base)
    horloge.moment = datetime(2026, 12, 5, 3, 0)
    restarted = _plan(base, dossier, horloge, garder=3)
    assert restarted.tour() == ["copie"]
    assert _noms(dossier).count("flux-20261205-020000.duckdb") == 1
    assert len(copies.sauvegardes(dossier)) == 3


def test_failed_backup_is_reported_audited_and_tried_again(base, dossier, monkeypatch):
    """A full disk: stderr and the audit log say it, the server goes on, the next period
    tries again and succeeds."""
    plein = {"oui": True}
    write = bk._ecrire

    def ecrire(f, data):
        if plein["oui"]:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        write(f, data)

    monkeypatch.setattr(bk, "_ecrire", ecrire)
    horloge, journal = Horloge(), []
    plan = _plan(base, dossier, horloge, journal=journal)
    assert plan.tour() == ["sauvegarde echec", "copie echec"]   # no purge without a backup
    assert journal[0].startswith(f"Sauvegarde planifiée impossible : Sauvegarde impossible "
                                 f"vers « {dossier / 'flux-20261201-020000.duckdb'} » : "
                                 "disque plein")
    assert copies.sauvegardes(dossier) == []
    horloge.avancer(hours=1)
    assert plan.tour() == ["copie echec"]     # the copy: every interval; the backup: a period
    plein["oui"] = False
    horloge.avancer(hours=23)
    assert plan.tour() == ["sauvegarde flux-20261202-020000.duckdb", "purge", "copie"]
    liberer_partagee(str(base))
    echecs = _audit(base, "sauvegarde.echec")
    assert len(echecs) == 1 and echecs[0]["actor"] == "planificateur"
    assert "disque plein" in echecs[0]["details"]["erreur"]
    assert len(_audit(base, "copie_lecture.echec")) == 1     # once per series of failures


def test_backup_that_fails_its_verification_is_removed_and_nothing_else(base, dossier,
                                                                         monkeypatch):
    horloge, journal = Horloge(), []
    plan = _plan(base, dossier, horloge, garder=1, journal=journal)
    assert plan.tour()[0] == "sauvegarde flux-20261201-020000.duckdb"
    first = dossier / "flux-20261201-020000.duckdb"

    def endommagee(path):
        raise SauvegardeEndommageeError(f"La sauvegarde « {Path(path).name} » est endommagée.")

    monkeypatch.setattr(planification, "verifier_sauvegarde", endommagee)
    horloge.avancer(hours=24)
    assert plan.tour()[0] == "sauvegarde echec"
    assert copies.sauvegardes(dossier) == [first]       # the earlier one stays (garder=1)
    assert fichier_empreinte(first).exists()
    assert not (dossier / "flux-20261202-020000.duckdb").exists()
    assert journal[-1] == ("Sauvegarde planifiée refusée à la relecture : La sauvegarde "
                           "« flux-20261202-020000.duckdb » est endommagée. Le fichier "
                           "« flux-20261202-020000.duckdb » est retiré ; nouvel essai dans "
                           "24 h.")


def test_retention_never_removes_the_protected_one_nor_other_files(tmp_path):
    for nom in ("flux-20261201-020000.duckdb", "flux-20261202-020000.duckdb",
                "flux-20261203-020000.duckdb", "flux-20261203-020000.duckdb.sha256",
                "flux-2026120-020000.duckdb", "Flux-20261201-020000.duckdb", "lecture.duckdb"):
        (tmp_path / nom).write_text("x")
    protegee = tmp_path / "flux-20261201-020000.duckdb"     # e.g. after the clock went back
    removed = copies.appliquer_retention(tmp_path, 1, protegee)
    assert [p.name for p in removed] == ["flux-20261202-020000.duckdb"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "Flux-20261201-020000.duckdb", "flux-2026120-020000.duckdb",
        "flux-20261201-020000.duckdb", "flux-20261203-020000.duckdb",
        "flux-20261203-020000.duckdb.sha256", "lecture.duckdb"]


# -- the read copy ----------------------------------------------------------------------------
def test_read_copy_follows_writes_at_most_every_interval(base, dossier):
    horloge = Horloge()
    plan = _plan(base, dossier, horloge)
    assert plan.tour() == ["sauvegarde flux-20261201-020000.duckdb", "purge", "copie"]
    lecture = dossier / copies.LECTURE
    first = copies.decrire(lecture, base)
    horloge.avancer(minutes=1)
    assert plan.tour() == []                             # no write since
    _add(partagee(str(base)), "Z")
    horloge.avancer(minutes=5)
    assert plan.tour() == []                             # written, but the copy is 6 min old
    horloge.avancer(minutes=4)
    # a command of another process reads the copy: it holds the copy's shared lock, as
    # every Database does (fluxcore.fichier); the copy is then left as it is
    lecteur = fichier._flock(lecture, exclusif=False)
    assert plan.tour() == ["copie occupee"]
    assert copies.decrire(lecture, base) == first
    lecteur.close()
    horloge.avancer(minutes=1)
    assert plan.tour() == ["copie"]
    second = copies.decrire(lecture, base)
    assert second.version_base == first.version_base + 1
    db = Database(lecture, read_only=True)
    assert db.scalar("select count(*) from reservataire where reservataire_id = 'Z'") == 1
    db.close()
    assert verifier_sauvegarde(lecture)["empreinte_enregistree"]
    liberer_partagee(str(base))
    assert _audit(base, "sauvegarde")[-1]["details"]["fichier"].endswith("020000.duckdb")


def test_no_folder_no_backup_and_no_purge(base):
    """The purge deletes for good: never on a base without verified scheduled backups."""
    horloge, purges = Horloge(), []
    plan = _plan(base, None, horloge, purges=purges)
    assert plan.tour() == []
    horloge.avancer(hours=24)
    assert plan.tour() == [] and purges == []


def test_daily_purge_after_the_backup(base, dossier):
    horloge, purges = Horloge(), []
    plan = _plan(base, dossier, horloge, purges=purges)
    assert plan.tour() == ["sauvegarde flux-20261201-020000.duckdb", "purge", "copie"]
    horloge.avancer(hours=12)
    assert plan.tour() == []
    horloge.avancer(hours=12)
    assert plan.tour() == ["sauvegarde flux-20261202-020000.duckdb", "purge", "copie"]
    assert purges == [(date(2026, 12, 1), "planificateur"), (date(2026, 12, 2), "planificateur")]


def test_a_clock_gone_back_does_not_hold_backups(base, dossier):
    """A backup dated in the future (a VM before its time sync) never stops the next ones."""
    horloge = Horloge()
    plan = _plan(base, dossier, horloge)
    horloge.avancer(hours=24 * 365)
    assert plan.tour()[0] == "sauvegarde flux-20271201-020000.duckdb"
    horloge.moment = DEBUT + timedelta(hours=1)
    restarted = _plan(base, dossier, horloge)     # resumes from the future-dated file
    assert restarted.tour()[0] == "sauvegarde flux-20261201-030000.duckdb"


def test_failed_purge_is_reported_and_tried_an_hour_later(base, dossier):
    horloge, journal, calls = Horloge(), [], []

    def purger(db, aujourdhui, auteur):
        calls.append(aujourdhui)
        if len(calls) == 1:
            raise RuntimeError("table verrouillée")
        return {"demandes": 2}

    plan = _plan(base, dossier, horloge, journal=journal)
    plan.purger = purger
    assert plan.tour() == ["sauvegarde flux-20261201-020000.duckdb", "purge echec", "copie"]
    assert journal[-1] == ("Purge planifiée des données personnelles impossible : RuntimeError : "
                           "table verrouillée Nouvel essai dans une heure.")
    horloge.avancer(minutes=59)
    assert plan.tour() == []
    horloge.avancer(minutes=1)
    assert plan.tour() == ["purge"]
    liberer_partagee(str(base))
    assert len(_audit(base, "purge.echec")) == 1


def test_default_purge_calls_fluxcore_retention(base, dossier, monkeypatch):
    calls = []
    fake = types.ModuleType("fluxcore.retention")
    fake.purger = lambda db, aujourdhui, auteur: calls.append((aujourdhui, auteur))
    monkeypatch.setitem(sys.modules, "fluxcore.retention", fake)
    plan = Planificateur(base, Reglages(dossier), horloge=Horloge(), ecrire=print)
    assert plan.tour()[1] == "purge"
    assert calls == [(date(2026, 12, 1), "planificateur")]


def test_a_restore_in_progress_makes_the_round_wait(base, dossier):
    plan = _plan(base, dossier, Horloge())
    result = []
    with remplacement(base):               # another thread (a page's restore) holds the base
        worker = threading.Thread(target=lambda: result.append(plan.tour()))
        worker.start()
        worker.join(600)
    assert result == [["attente"]]
    assert not dossier.exists() or copies.sauvegardes(dossier) == []
    assert plan.tour()[0] == "sauvegarde flux-20261201-020000.duckdb"


def test_absent_base_is_never_created(tmp_path, dossier):
    absente = tmp_path / "absente.duckdb"
    assert _plan(absente, dossier, Horloge()).tour() == ["attente"]
    assert not absente.exists()


# -- what the Données page shows --------------------------------------------------------------
def test_state_for_the_data_page(base, dossier):
    horloge = Horloge()
    plan = _plan(base, dossier, horloge, garder=3)
    plan.tour()
    reglages = plan.reglages
    etat = etat_sauvegardes(base, reglages, DEBUT + timedelta(minutes=1))
    assert etat.actif and [s[0] for s in etat.sauvegardes] == ["flux-20261201-020000.duckdb"]
    lignes, messages = resume(etat)
    taille = etat.sauvegardes[0][2]
    from fluxcore.formats import fmt_taille

    copie = etat.copie
    assert lignes == [
        ("Dossier", str(dossier)), ("Fréquence", "toutes les 24 h"),
        ("Rétention", "les 3 plus récentes gardées (1 présente)"),
        ("Dernière sauvegarde", f"flux-20261201-020000.duckdb du 01/12/2026 à 02:00, "
                                f"{fmt_taille(taille)} ; relue en entier le 01/12/2026 à 02:00"),
        ("Prochaine sauvegarde", "vers le 02/12/2026 à 02:00"),
        ("Copie de lecture", f"du {copie.cree_le:%d/%m/%Y à %H:%M}, écritures jusqu'au "
                             f"{copie.derniere_ecriture:%d/%m/%Y à %H:%M} ; rafraîchie après "
                             "une écriture, au plus toutes les 10 min")]
    assert messages == []
    later = etat_sauvegardes(base, reglages, DEBUT + timedelta(minutes=10))
    assert not later.actif and later.prochaine is None
    assert resume(later)[1] == [(
        "warning", "Le planificateur du serveur ne sauvegarde pas cette base en ce moment "
        "(dernier passage le 01/12/2026 à 02:00) : il travaille sur la base FLUX_DB du serveur "
        "lancé par « streamlit run serveur.py » (pas « app.py »).")]
    assert resume(etat_sauvegardes(base, Reglages(None))) == (
        [("Dossier", "non défini (FLUX_SAUVEGARDES)")],
        [("info", "Sauvegardes planifiées désactivées : la variable FLUX_SAUVEGARDES du "
                     "serveur n'est pas définie (docs/sauvegardes.md). Seules les sauvegardes "
                     "faites ici existent.")])


# -- the thread (web/taches) ------------------------------------------------------------------
def test_thread_runs_rounds_one_instance_and_stops(base, dossier):
    from web import taches

    horloge, journal = Horloge(), []
    env = {"FLUX_DB": str(base), "FLUX_SAUVEGARDES": str(dossier)}
    fil = taches.demarrer(env, horloge=horloge, intervalle=3600, ecrire=journal.append,
                          purger=lambda db, aujourdhui, auteur: None)
    try:
        assert taches.demarrer(env) is fil                  # one per process
        assert fil.attendre_tours(1, 600)
        assert [p.name for p in copies.sauvegardes(dossier)] == ["flux-20261201-020000.duckdb"]
        horloge.avancer(hours=24)
        fil.reveiller()
        assert fil.attendre_tours(2, 600)
        assert [p.name for p in copies.sauvegardes(dossier)] == [
            "flux-20261201-020000.duckdb", "flux-20261202-020000.duckdb"]
    finally:
        taches.arreter()
    assert not fil.vivant
    assert journal[0].startswith(f"Sauvegardes planifiées dans « {dossier} » : toutes les 24 h")
    assert taches.demarrer(env, horloge=horloge, intervalle=3600, ecrire=journal.append,
                           purger=lambda db, aujourdhui, auteur: None) is not fil
    taches.arreter()


def test_an_import_in_the_app_has_the_server_refit_the_model(base, tmp_path):
    from web import taches

    appels = []
    env = {"FLUX_DB": str(base)}
    assert not taches.en_service(str(base)) and not taches.reestimer_modeles(str(base))
    fil = taches.demarrer(env, horloge=Horloge(), intervalle=3600, ecrire=lambda m: None,
                          modeles=lambda db: appels.append(db.path) or [("51", 2027)])
    try:
        assert fil.attendre_tours(1, 600) and len(appels) == 1     # the first round's refit
        assert taches.en_service(str(base))
        assert not taches.en_service(str(tmp_path / "autre.duckdb"))
        assert not taches.reestimer_modeles(str(tmp_path / "autre.duckdb"))
        fil.reveiller()
        assert fil.attendre_tours(2, 600) and len(appels) == 1     # once a day
        assert taches.reestimer_modeles(str(base))                 # asked after an import
        assert fil.attendre_tours(3, 600) and len(appels) == 2     # done at once, in its thread
    finally:
        taches.arreter()
    assert not taches.en_service(str(base)) and not taches.reestimer_modeles(str(base))


def test_thread_survives_a_failing_round():
    from web.taches import Fil

    journal, calls = [], []

    def tour():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("imprévu")

    fil = Fil(tour, 3600, journal.append).demarrer()
    assert fil.attendre_tours(1, 600)
    fil.reveiller()
    assert fil.attendre_tours(2, 600)
    fil.arreter()
    assert not fil.vivant and len(calls) == 2
    assert journal == ["Tâches planifiées : tour interrompu (RuntimeError : imprévu) ; nouvel "
                       "essai au tour suivant."]


def test_lifespan_starts_and_stops_the_thread(tmp_path, monkeypatch):
    from web import application, taches

    monkeypatch.setenv("FLUX_DB", str(tmp_path / "absente.duckdb"))
    monkeypatch.delenv("FLUX_SAUVEGARDES", raising=False)

    async def serve():
        async with application.lifespan(None):
            fil = taches._FIL
            assert fil is not None and fil.vivant
            assert fil.attendre_tours(1, 600)
        return fil

    fil = asyncio.run(serve())
    assert not fil.vivant and taches._FIL is None
    assert not (tmp_path / "absente.duckdb").exists()


# -- read-only commands while the application runs -------------------------------------------
@pytest.fixture
def service(base, dossier, tmp_path):
    """A second process standing for the application: it holds the base read-write, runs a
    round of the scheduler (backup and read copy made by the very process that holds the
    base: its DuckDB lock must survive them), then writes once more without a new copy; it
    keeps the base until the test ends."""
    ready, stop = tmp_path / "pret", tmp_path / "stop"
    code = textwrap.dedent(f"""
        import pathlib, time
        from datetime import datetime, timedelta
        from fluxcore.db import audit, partagee
        from fluxcore.planification import Planificateur, Reglages
        reglages = Reglages(pathlib.Path({str(dossier)!r}), timedelta(hours=24), 3,
                            timedelta(minutes=10))
        plan = Planificateur({str(base)!r}, reglages, purger=lambda db, aujourdhui, auteur: 0,
                             ecrire=print)
        plan.tour()
        db = partagee({str(base)!r})
        with db.transaction() as cur:
            cur.execute("insert into reservataire (reservataire_id, nom, type, territoire, "
                        "repris_par_prefet) values ('APRES', 'APRES', 'AUTRE', NULL, false)")
            audit(cur, "test", "reservataire.create", "reservataire", "APRES")
        plan.tour()                       # notes the write; the copy is not due yet
        pathlib.Path({str(ready)!r}).write_text("ok")
        while not pathlib.Path({str(stop)!r}).exists():
            time.sleep(0.05)
        db.close()
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT)
    deadline = time.monotonic() + 600          # a guard against a hang, not a speed check
    while not ready.exists():
        assert proc.poll() is None, "le processus témoin s'est arrêté"
        assert time.monotonic() < deadline, "le processus témoin n'a pas ouvert la base"
        time.sleep(0.05)
    yield proc
    stop.write_text("stop")
    proc.wait(timeout=600)


def _cli(*args: str, copies_env: Path | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "FLUX_SAUVEGARDES"}
    if copies_env is not None:
        env["FLUX_SAUVEGARDES"] = str(copies_env)
    return subprocess.run([sys.executable, "-m", "fluxcore", *args], capture_output=True,
                          text=True, timeout=600, cwd=ROOT, env=env)


def test_read_only_commands_read_the_copy_while_the_app_runs(base, dossier, service, tmp_path):
    copie = copies.decrire(dossier / copies.LECTURE, base)
    quand = f"{copie.cree_le:%d/%m/%Y à %H:%M}"
    info = _cli("info", "--db", str(base), copies_env=dossier)
    assert info.returncode == 0, info.stderr
    assert "reservataire                  2" in info.stdout            # APRES is not in it
    assert info.stderr.startswith(f"La base est ouverte par l'application (processus "
                                  f"{service.pid}) : lecture de la copie cohérente du {quand} "
                                  "(copie de lecture, vérifiée à sa création, en lecture "
                                  "seule ; elle contient les écritures jusqu'au ")
    assert "la base a reçu des écritures depuis" in info.stderr
    check = _cli("check", "--db", str(base), "--copies", str(dossier))
    assert check.returncode == 0, check.stderr
    assert "0 en erreur." in check.stdout
    assert "lecture de la copie cohérente" in check.stderr and "Traceback" not in check.stderr
    export = _cli("export", "--db", str(base), "--out", str(tmp_path / "export"),
                  copies_env=dossier)
    assert export.returncode == 0, export.stderr
    assert (tmp_path / "export" / "logement.csv").exists()

    # backup: the server makes them; --depuis-copie copies the latest consistent copy
    out = tmp_path / "ici.duckdb"
    refus = _cli("backup", "--db", str(base), "--out", str(out), copies_env=dossier)
    assert refus.returncode == 2 and not out.exists()
    assert (f"est ouverte par l'application (processus {service.pid}) : pas de sauvegarde "
            "directe pendant le service. Le serveur fait lui-même les sauvegardes planifiées"
            in refus.stderr)
    copie_cli = _cli("backup", "--db", str(base), "--out", str(out), "--depuis-copie",
                     copies_env=dossier)
    assert copie_cli.returncode == 0, copie_cli.stderr
    assert verifier_sauvegarde(out)["lignes"]["logement"] == 6

    # writes keep their refusal; without copies, the lock message says how to get them
    ecrit = _cli("orienter", "--db", str(base), "--liberation", "B5", "--choisir", "AL",
                 copies_env=dossier)
    assert ecrit.returncode == 2 and "est verrouillée" in ecrit.stderr
    sans = _cli("info", "--db", str(base))
    assert sans.returncode == 2 and "est verrouillée" in sans.stderr
    assert "FLUX_SAUVEGARDES" in sans.stderr and "--copies DOSSIER" in sans.stderr
    assert "Traceback" not in sans.stderr + ecrit.stderr + refus.stderr
