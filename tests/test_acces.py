"""Accounts and roles enforced inside fluxcore (fluxcore.acces, Database.pour)."""

from __future__ import annotations

import shutil
import stat

import pandas as pd
import pytest

from fluxcore import acces, bilan, jauges, sne, tableau_de_bord
from fluxcore.acces import AccesRefuseError, Utilisateur, UtilisateursError
from fluxcore.backup import restore_database
from fluxcore.db import Database
from fluxcore.formats import STATUTS
from fluxcore.imports import import_paths
from fluxcore.orientation import classer_destinations, enregistrer_orientation
from fluxcore.parametres import get_parametre, set_parametre
from fluxcore.perimetre import Perimetre
from tests.conftest import DEMO_DATE

P = Perimetre(2026, aujourdhui=DEMO_DATE)
AL = Utilisateur("al", "Action Logement", "reservataire", "AL")
LECTEUR = Utilisateur("lea", "Léa Martin", "lecteur")
GESTION = Utilisateur("marc", "Marc Petit", "gestionnaire")
ADMIN = Utilisateur("ines", "Inès Roy", "admin")


@pytest.fixture
def copie(demo_db, demo_path, tmp_path):
    demo_db.cursor().execute("checkpoint")
    path = tmp_path / "copie.duckdb"
    shutil.copyfile(demo_path, path)
    db = Database(path)
    yield db
    db.close()


# -- accounts ---------------------------------------------------------------------------------
def test_password_hash_round_trip():
    h = acces.hacher("s3cret", iterations=1000)
    assert h.startswith("pbkdf2_sha256$1000$")
    assert acces.verifier_mot_de_passe(h, "s3cret")
    assert not acces.verifier_mot_de_passe(h, "S3cret")
    assert not acces.verifier_mot_de_passe("n'importe quoi", "s3cret")
    assert acces.hacher("x") != acces.hacher("x")  # salted


def test_users_file_written_and_read(tmp_path):
    path = tmp_path / "utilisateurs.toml"
    acces.ecrire_utilisateur(path, "marc", "gestionnaire", "mdp-marc", nom="Marc Petit")
    acces.ecrire_utilisateur(path, "al", "reservataire", "mdp-al", reservataire_id="AL")
    acces.ecrire_utilisateur(path, "sso", "lecteur", email="Lea.Martin@Bailleur.fr")
    comptes = acces.lire_utilisateurs(path)
    assert set(comptes) == {"marc", "al", "sso"}
    assert acces.authentifier(comptes, "marc", "mdp-marc") == Utilisateur(
        "marc", "Marc Petit", "gestionnaire")
    assert acces.authentifier(comptes, " al ", "mdp-al").reservataire_id == "AL"
    for login, pw in (("marc", "mdp-al"), ("inconnu", "x"), ("sso", "")):
        with pytest.raises(AccesRefuseError, match=r"^Identifiant ou mot de passe incorrect\.$"):
            acces.authentifier(comptes, login, pw)
    assert acces.par_email(comptes, "lea.martin@bailleur.fr").login == "sso"
    with pytest.raises(AccesRefuseError, match="n'a aucun rôle"):
        acces.par_email(comptes, "autre@bailleur.fr")
    # replacing one account keeps the others
    acces.ecrire_utilisateur(path, "marc", "admin", "nouveau")
    comptes = acces.lire_utilisateurs(path)
    assert comptes["marc"].utilisateur.role == "admin" and len(comptes) == 3


def test_users_file_errors_name_file_and_line(tmp_path):
    path = tmp_path / "comptes.toml"
    path.write_text('[utilisateurs.a]\nrole = "lecteur"\nmot_de_passe = "x"\n\n'
                    '[utilisateurs.b]\nrole = "chef"\nmot_de_passe = "x"\n', encoding="utf-8")
    with pytest.raises(UtilisateursError, match=r"^comptes.toml, ligne 5, utilisateur « b » : "
                                                r"rôle « chef » inconnu"):
        acces.lire_utilisateurs(path)
    path.write_text('[utilisateurs.c]\nrole = "reservataire"\nmot_de_passe = "x"\n')
    with pytest.raises(UtilisateursError, match=r"ligne 1.*doit indiquer « reservataire_id »"):
        acces.lire_utilisateurs(path)
    path.write_text('[utilisateurs.d]\nrole = "lecteur"\n')
    with pytest.raises(UtilisateursError, match="ni « mot_de_passe » ni « email »"):
        acces.lire_utilisateurs(path)
    path.write_text('[utilisateurs.e\nrole = "lecteur"\n')
    with pytest.raises(UtilisateursError, match=r"comptes\.toml : syntaxe TOML invalide"):
        acces.lire_utilisateurs(path)
    with pytest.raises(UtilisateursError, match=r"Identifiant « a\.b » invalide"):
        acces.ecrire_utilisateur(path, "a.b", "lecteur", "x")
    with pytest.raises(UtilisateursError, match="introuvable"):
        acces.lire_utilisateurs(tmp_path / "absent.toml")


# -- réservataire: only its own figures -------------------------------------------------------
def test_reservataire_sees_only_its_gauges(demo_db):
    al = demo_db.pour(AL)
    ouvert = jauges.jauges_reservataires(demo_db, P)
    assert len(ouvert) > 5  # the demo has many réservataires
    mien = jauges.jauges_reservataires(al, P)
    pd.testing.assert_frame_equal(
        mien, ouvert[ouvert["reservataire_id"] == "AL"].reset_index(drop=True))
    for func in (jauges.qualite_flux, jauges.composition, jauges.jauges_conventions):
        out = func(al, P)
        assert len(out) and set(out["reservataire_id"]) == {"AL"}, func.__name__
    pd.testing.assert_frame_equal(jauges.cumul_mensuel(al, P, "AL"),
                                  jauges.cumul_mensuel(demo_db, P, "AL"))
    with pytest.raises(AccesRefuseError, match="pas ceux de « PREF-51 »"):
        jauges.cumul_mensuel(al, P, "PREF-51")
    # reference data naming no réservataire stays readable
    assert tableau_de_bord.annees_disponibles(al) == tableau_de_bord.annees_disponibles(demo_db)


@pytest.mark.parametrize("call", [
    lambda db: jauges.controles_legaux(db, P),
    lambda db: jauges.repartition_prefet(db, P),
    lambda db: tableau_de_bord.chiffres_cles(db, P),
    lambda db: bilan.calculer_bilan(db, 2025, DEMO_DATE),
    lambda db: db.df("select * from attribution"),
    lambda db: db.scalar("select count(*) from orientation"),
    lambda db: sne.rapprocher(db, P),
], ids=["controles", "repartition_prefet", "chiffres_cles", "bilan_complet", "sql", "scalar",
        "rapprochement_sne"])
def test_reservataire_cannot_read_the_rest(demo_db, call):
    with pytest.raises(AccesRefuseError, match="ne voit que ses propres"):
        call(demo_db.pour(AL))
    call(demo_db)  # the same call is fine in open mode


def test_reservataire_bilan_and_logements(demo_db):
    al = demo_db.pour(AL)
    doc = bilan.bilan_reservataire(al, 2025, aujourdhui=DEMO_DATE)
    ref = bilan.document_reservataire(bilan.calculer_bilan(demo_db, 2025, DEMO_DATE), "AL")
    assert doc.code == "AL" and doc.chiffres == pytest.approx(ref.chiffres, abs=1e-9)
    pd.testing.assert_frame_equal(doc.logements, ref.logements)
    with pytest.raises(AccesRefuseError, match="pas ceux de « PREF-51 »"):
        bilan.bilan_reservataire(al, 2025, "PREF-51", aujourdhui=DEMO_DATE)
    logs = jauges.logements_reservataire(al, P)
    attendu = demo_db.scalar(
        "select count(distinct o.liberation_id) from orientation o join liberation b"
        " using (liberation_id) join logement l using (logement_id)"
        " where o.destinataire = 'AL' and year(b.date_liberation) = 2026"
        " and b.date_liberation <= ? and l.hors_flux_motif is null", [DEMO_DATE])
    assert len(logs) == attendu > 0
    assert "menage_id" not in logs.columns
    assert logs["statut"].isin(list(STATUTS)).all() and (logs["statut"] == "ATTRIBUE").any()
    assert logs.loc[logs["statut"] == "ATTRIBUE", "date_bail"].notna().all()


# -- writes -----------------------------------------------------------------------------------
def _vacant(db) -> str:
    return tableau_de_bord.vacants_en_attente(db, P)["liberation_id"].iloc[0]


def _audits(db) -> int:
    return db.scalar("select count(*) from audit_log")


@pytest.mark.parametrize("user", [AL, LECTEUR], ids=["reservataire", "lecteur"])
def test_read_only_roles_write_nothing(copie, user, tmp_path):
    lib = _vacant(copie)
    dest = classer_destinations(copie, lib, DEMO_DATE).destinations["destinataire"].iloc[0]
    before = _audits(copie)
    bound = copie.pour(user)
    with pytest.raises(AccesRefuseError, match="enregistrer ou corriger une orientation"):
        enregistrer_orientation(bound, lib, dest, "x", "", aujourdhui=DEMO_DATE)
    with pytest.raises(AccesRefuseError, match="modifier les paramètres"):
        set_parametre(bound, "fragilite_seuil_fragile", 1.0)
    with pytest.raises(AccesRefuseError, match="lecture seule"), bound.transaction() as cur:
        cur.execute("delete from orientation")
    with pytest.raises(AccesRefuseError, match="sauvegarder ou restaurer"):
        restore_database(tmp_path / "x.duckdb", copie.path, utilisateur=user)
    assert _audits(copie) == before
    assert copie.scalar("select count(*) from orientation where liberation_id = ?", [lib]) == 0


def test_gestionnaire_decision_is_recorded_under_its_login(copie, tmp_path):
    marc = copie.pour(GESTION)
    lib = _vacant(copie)
    dest = classer_destinations(marc, lib, DEMO_DATE).destinations["destinataire"].iloc[0]
    enregistrer_orientation(marc, lib, dest, "Quelqu'un d'autre", "test", aujourdhui=DEMO_DATE)
    assert copie.one("select decided_by from orientation where liberation_id = ?",
                     [lib]) == ("marc",)
    assert copie.one("select actor, action from audit_log order by audit_id desc limit 1") == (
        "marc", "orientation.create")
    with pytest.raises(AccesRefuseError, match="rôle gestionnaire du compte « marc » ne "
                                               "permet pas de modifier les paramètres"):
        set_parametre(marc, "fragilite_seuil_fragile", 1.0)
    csv = tmp_path / "reservataires.csv"
    csv.write_text("reservataire_id;nom;type\nCOM-X;Commune X;COMMUNE\n", encoding="utf-8")
    with pytest.raises(AccesRefuseError, match="importer des données"):
        import_paths(marc, [csv])


def test_admin_writes_are_audited_with_its_login(copie, tmp_path):
    ines = copie.pour(ADMIN)
    set_parametre(ines, "fragilite_seuil_fragile", 1.0, actor="usurpateur")
    assert get_parametre(copie, "fragilite_seuil_fragile") == 1.0
    assert copie.one("select actor, action from audit_log order by audit_id desc limit 1") == (
        "ines", "parametre.set")
    csv = tmp_path / "reservataires.csv"
    csv.write_text("reservataire_id;nom;type\nCOM-X;Commune X;COMMUNE\n", encoding="utf-8")
    assert import_paths(ines, [csv]).ok
    assert copie.scalar("select count(*) from audit_log where actor = 'ines'") >= 2
    assert copie.scalar("select count(*) from audit_log where actor = 'usurpateur'") == 0


def test_cli_creates_and_lists_accounts(tmp_path, monkeypatch, capsys):
    import io

    from fluxcore.__main__ import main

    path = tmp_path / "comptes.toml"
    monkeypatch.setattr("sys.stdin", io.StringIO("motdepasse-al\n"))
    base = _base_avec_reservataire(tmp_path, "AL", "Action Logement")
    assert main(["utilisateur", "--fichier", str(path), "--login", "al", "--role",
                 "reservataire", "--reservataire", "AL", "--nom", "Action Logement",
                 "--db", str(base)]) == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    monkeypatch.setattr("sys.stdin", io.StringIO("court\n"))
    assert main(["utilisateur", "--fichier", str(path), "--login", "x", "--role", "admin"]) == 2
    assert "12 caractères au moins" in capsys.readouterr().err
    assert main(["utilisateur", "--fichier", str(path), "--login", "sso", "--role", "lecteur",
                 "--email", "lea@bailleur.fr", "--sans-mot-de-passe"]) == 0
    capsys.readouterr()
    assert main(["utilisateur", "--fichier", str(path), "--liste"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == ["al\treservataire\tAL\t\tAction Logement",
                   "sso\tlecteur\t\tlea@bailleur.fr\tsso"]
    comptes = acces.lire_utilisateurs(path)
    assert acces.authentifier(comptes, "al", "motdepasse-al").reservataire_id == "AL"


# -- review regressions -----------------------------------------------------------------------
def test_bound_database_runs_only_selects_and_cannot_be_unbound(copie):
    for user in (LECTEUR, GESTION, AL):
        bound = copie.pour(user)
        with pytest.raises(AccesRefuseError):
            bound.df("update parametre set valeur = '1' where cle = 'rotation_annees_historique'")
        with pytest.raises(AccesRefuseError):
            bound.cursor()
        with pytest.raises(AccesRefuseError, match="ne peut pas être liée à un autre compte"):
            bound.pour(None)
    assert copie.pour(GESTION).pour(GESTION).utilisateur == GESTION
    marc, ines = copie.pour(GESTION), copie.pour(ADMIN)
    with (pytest.raises(AccesRefuseError, match="permet pas de modifier les paramètres"),
          marc.transaction("parametrer") as cur):
        cur.execute("update parametre set valeur = '1'")
    with (pytest.raises(AccesRefuseError, match="sans action déclarée"),
          ines.transaction() as cur):
        cur.execute("update parametre set valeur = '1'")
    assert get_parametre(copie, "rotation_annees_historique") != 1


def test_table_checksum_takes_only_known_tables(demo_db):
    from fluxcore.db import DatabaseError, table_checksum

    assert len(table_checksum(demo_db, "parametre")) == 32
    with pytest.raises(DatabaseError, match="Table inconnue"):
        table_checksum(demo_db, "parametre r, (select 1) x; update parametre set valeur = '7'")


def test_reservataire_gauges_hide_totals_over_everyone(demo_db):
    conv = jauges.jauges_conventions(demo_db.pour(AL), P)
    assert not [c for c in conv.columns if c.startswith("total_")]
    assert "total_entres" in jauges.jauges_conventions(demo_db, P).columns


def test_users_file_never_left_unreadable(tmp_path):
    path = tmp_path / "u.toml"
    acces.ecrire_utilisateur(path, "lea", "lecteur", "motdepasse", nom="Léa\tMartin\n\"DRH\"",
                             email="Lea@X.fr")
    assert acces.lire_utilisateurs(path)["lea"].utilisateur.nom == "Léa\tMartin\n\"DRH\""
    with pytest.raises(UtilisateursError, match="Identifiant « hélène » invalide"):
        acces.ecrire_utilisateur(path, "hélène", "lecteur", "motdepasse")
    # an update keeps name, e-mail and password it does not change
    acces.ecrire_utilisateur(path, "lea", "gestionnaire")
    compte = acces.lire_utilisateurs(path)["lea"]
    assert (compte.utilisateur.role, compte.utilisateur.email) == ("gestionnaire", "lea@x.fr")
    assert acces.authentifier({"lea": compte}, "lea", "motdepasse").role == "gestionnaire"
    acces.ecrire_utilisateur(path, "bob", "lecteur", email="lea@x.fr")
    with pytest.raises(AccesRefuseError, match="porté par plusieurs comptes"):
        acces.par_email(acces.lire_utilisateurs(path), "lea@x.fr")


def _base_avec_reservataire(tmp_path, rid: str, nom: str):
    from fluxcore.db import Database
    from tests import factory

    path = tmp_path / "base.duckdb"
    db = Database(path)
    factory.insert(db, "reservataire", [{"reservataire_id": rid, "nom": nom,
                                         "type": "ACTION_LOGEMENT"}])
    db.close()
    return path


def test_a_reservataire_account_names_a_reservataire_of_the_base(tmp_path, monkeypatch,
                                                                  capsys):
    import io

    from fluxcore.__main__ import main

    path = tmp_path / "comptes.toml"
    base = _base_avec_reservataire(tmp_path, "AL", "Action Logement")
    monkeypatch.setattr("sys.stdin", io.StringIO("motdepasse-x\n"))
    assert main(["utilisateur", "--fichier", str(path), "--login", "x", "--role",
                 "reservataire", "--reservataire", "INCONNU", "--db", str(base)]) == 2
    err = capsys.readouterr().err
    assert "Réservataire « INCONNU » inconnu de la base" in err and "AL (Action Logement)" in err
    assert not path.exists()
    monkeypatch.setattr("sys.stdin", io.StringIO("motdepasse-x\n"))
    monkeypatch.delenv("FLUX_DB", raising=False)
    assert main(["utilisateur", "--fichier", str(path), "--login", "x", "--role",
                 "reservataire", "--reservataire", "AL"]) == 2
    assert "Indiquez la base avec --db" in capsys.readouterr().err


def test_users_file_is_private_even_if_it_was_not(tmp_path):
    path = tmp_path / "comptes.toml"
    acces.ecrire_utilisateur(path, "max", "admin", "motdepasse-max")
    path.chmod(0o644)                         # e.g. copied by hand with a wide umask
    acces.ecrire_utilisateur(path, "lea", "lecteur", "motdepasse-lea")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert acces.authentifier(acces.lire_utilisateurs(path), "lea", "motdepasse-lea")

