"""Accounts managed by an administrator (fluxcore.comptes, Données › Comptes, CLI)."""

from __future__ import annotations

import functools
import io
import json
import os
import re
import shutil
import stat
import threading
from contextlib import contextmanager

import duckdb
import pytest

from fluxcore import acces, comptes
from fluxcore.acces import AccesRefuseError, Utilisateur, UtilisateursError
from fluxcore.db import Database
from tests import factory
from tests.apptest import app_sur

INES = Utilisateur("ines", "Inès Roy", "admin")
MARC = Utilisateur("marc", "Marc Petit", "gestionnaire")
LEA = Utilisateur("lea", "Léa Martin", "lecteur")
AL = Utilisateur("al", "Action Logement", "reservataire", "AL")
REFUS = r"^Identifiant ou mot de passe incorrect\.$"
GENERE = re.compile(r"^[a-km-zA-HJ-NP-Z2-9]{5}(-[a-km-zA-HJ-NP-Z2-9]{5}){3}$")


@pytest.fixture(autouse=True)
def hachage_rapide(monkeypatch):
    """Hashes with 1,000 PBKDF2 rounds instead of 600,000 (the format is the same)."""
    monkeypatch.setattr(acces, "hacher", functools.partial(acces.hacher, iterations=1000))


def _base(empty_template, chemin):
    shutil.copyfile(empty_template, chemin)
    db = Database(chemin)
    factory.insert(db, "reservataire", [
        {"reservataire_id": "AL", "nom": "Action Logement", "type": "ACTION_LOGEMENT"},
        {"reservataire_id": "PREF-51", "nom": "Préfet – Marne", "type": "PREFET"}])
    return db


@pytest.fixture
def base(empty_template, tmp_path):
    db = _base(empty_template, tmp_path / "base.duckdb")
    yield db
    db.close()


def _fichier(path, **roles):
    """A users file: login → role (password « mdp-<login>-long »)."""
    text = ""
    for login, role in roles.items():
        rid = 'reservataire_id = "AL"\n' if role == "reservataire" else ""
        text += (f'[utilisateurs.{login}]\nrole = "{role}"\n{rid}'
                 f'mot_de_passe = "{acces.hacher(f"mdp-{login}-long")}"\n\n')
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def fichier(tmp_path):
    return _fichier(tmp_path / "comptes.toml", ines="admin", marc="gestionnaire")


def _audits(db) -> list[tuple]:
    rows = db.cursor().execute(
        "select actor, action, table_name, entity_id, details from audit_log "
        "where action like 'compte%' order by audit_id").fetchall()
    return [(a, b, c, d, json.loads(e)) for a, b, c, d, e in rows]


@contextmanager
def _umask(value: int):
    old = os.umask(value)
    try:
        yield
    finally:
        os.umask(old)


# -- create -------------------------------------------------------------------------------------
def test_admin_creates_an_account_with_a_generated_password(base, fichier):
    ines = base.pour(INES)
    with _umask(0):
        out = comptes.creer_compte(ines, fichier, "lea", "lecteur", nom="Léa Martin",
                                   email="Lea.Martin@Bailleur.fr")
    assert out.utilisateur == Utilisateur("lea", "Léa Martin", "lecteur", None,
                                          "lea.martin@bailleur.fr")
    assert GENERE.match(out.mot_de_passe)
    assert stat.S_IMODE(fichier.stat().st_mode) == 0o600
    lus = acces.lire_utilisateurs(fichier)
    assert list(lus) == ["ines", "marc", "lea"] and lus["lea"].actif
    assert acces.authentifier(lus, "lea", out.mot_de_passe).login == "lea"
    assert _audits(base) == [("ines", "compte_cree", None, "lea", {
        "login": "lea", "nom": "Léa Martin", "role": "lecteur",
        "email": "lea.martin@bailleur.fr", "connexion": "mot de passe",
        "resume": "Compte « lea » créé : lecteur, Léa Martin."})]
    details = base.scalar("select details from audit_log where action = 'compte_cree'")
    assert out.mot_de_passe not in details and "pbkdf2" not in details
    assert sorted(p.name for p in fichier.parent.iterdir() if "toml" in p.name) == [
        "comptes.toml", "comptes.toml.lock"]                 # no temporary file left


def test_a_typed_password_has_twelve_characters_and_is_not_the_login(base, fichier):
    ines, avant = base.pour(INES), fichier.read_bytes()
    for mdp, message in (("court-11car", "trop court : 12 caractères au moins"),
                         ("x" * 257, "trop long : 256"),
                         ("Lea-Martin-2", "ne peut pas être l'identifiant")):
        with pytest.raises(UtilisateursError, match=message):
            comptes.creer_compte(ines, fichier, "lea-martin-2", "lecteur", mot_de_passe=mdp)
    assert fichier.read_bytes() == avant and _audits(base) == []
    out = comptes.creer_compte(ines, fichier, "lea", "lecteur", mot_de_passe="douze-signes")
    assert out.mot_de_passe is None
    assert acces.authentifier(acces.lire_utilisateurs(fichier), "lea", "douze-signes")


def test_create_refuses_invalid_login_duplicates_and_shared_email(base, fichier):
    ines = base.pour(INES)
    comptes.creer_compte(ines, fichier, "lea", "lecteur", email="lea@x.fr")
    for kwargs, message in (
            (dict(login="hélène", role="lecteur"), "Identifiant « hélène » invalide"),
            (dict(login="lea", role="admin"), "Le compte « lea » existe déjà"),
            (dict(login="bob", role="chef"), "Rôle « chef » inconnu"),
            (dict(login="bob", role="lecteur", email="LEA@x.fr"),
             "déjà celui du compte « lea »"),
            (dict(login="bob", role="lecteur", email="bob@"), "E-mail « bob@ » invalide"),
            (dict(login="bob", role="lecteur", nom="Bob\nDRH"), "Nom invalide"),
            (dict(login="bob", role="lecteur", oidc=True), "doit avoir son e-mail")):
        with pytest.raises(UtilisateursError, match=message):
            comptes.creer_compte(ines, fichier, **kwargs)
    sso = comptes.creer_compte(ines, fichier, "sso", "lecteur", email="sso@x.fr", oidc=True)
    assert sso.mot_de_passe is None
    assert acces.lire_utilisateurs(fichier)["sso"].empreinte is None
    assert len(_audits(base)) == 2


def test_a_reservataire_account_names_a_reservataire_of_the_base(base, fichier):
    ines, avant = base.pour(INES), fichier.read_bytes()
    with pytest.raises(UtilisateursError, match="doit indiquer son réservataire"):
        comptes.creer_compte(ines, fichier, "al", "reservataire")
    with pytest.raises(UtilisateursError) as exc:
        comptes.creer_compte(ines, fichier, "al", "reservataire", reservataire_id="ALX")
    assert str(exc.value) == (
        "Réservataire « ALX » inconnu de la base : rien n'a été enregistré. Identifiants "
        "possibles : AL (Action Logement), PREF-51 (Préfet – Marne).")
    with pytest.raises(UtilisateursError, match="Seul un compte réservataire nomme un "
                                                "réservataire : retirez « AL »"):
        comptes.creer_compte(ines, fichier, "lea", "lecteur", reservataire_id="AL")
    assert fichier.read_bytes() == avant and _audits(base) == []
    out = comptes.creer_compte(ines, fichier, "al", "reservataire", nom="AL Grand Est",
                               reservataire_id="AL")
    assert out.utilisateur == Utilisateur("al", "AL Grand Est", "reservataire", "AL")
    assert _audits(base)[0][4]["resume"] == "Compte « al » créé : réservataire AL, AL Grand Est."


@pytest.mark.parametrize("user", [MARC, LEA, AL], ids=["gestionnaire", "lecteur", "reservataire"])
def test_only_an_administrator_manages_accounts(base, fichier, user):
    db, avant = base.pour(user), fichier.read_bytes()
    calls = [lambda: comptes.creer_compte(db, fichier, "bob", "lecteur"),
             lambda: comptes.desactiver_compte(db, fichier, "marc"),
             lambda: comptes.reactiver_compte(db, fichier, "marc"),
             lambda: comptes.reinitialiser_mot_de_passe(db, fichier, "ines"),
             lambda: comptes.changer_role(db, fichier, user.login, "admin"),
             lambda: comptes.liste_comptes(db, fichier)]
    for call in calls:
        with pytest.raises(AccesRefuseError, match="ne permet pas de gérer les comptes"):
            call()
    assert fichier.read_bytes() == avant and _audits(base) == []


# -- deactivate, reactivate ---------------------------------------------------------------------
def test_a_deactivated_account_cannot_sign_in(base, fichier):
    ines = base.pour(INES)
    comptes.creer_compte(ines, fichier, "lea", "lecteur", mot_de_passe="mdp-lea-long",
                         email="lea@x.fr")
    assert comptes.desactiver_compte(ines, fichier, "lea").login == "lea"
    assert "[utilisateurs.lea]" in fichier.read_text() and "actif = false" in fichier.read_text()
    lus = acces.lire_utilisateurs(fichier)
    assert not lus["lea"].actif and lus["marc"].actif
    with pytest.raises(AccesRefuseError, match=REFUS):       # the right password: same message
        acces.authentifier(lus, "lea", "mdp-lea-long")
    with pytest.raises(AccesRefuseError) as desactive:
        acces.par_email(lus, "lea@x.fr")
    with pytest.raises(AccesRefuseError) as inconnu:
        acces.par_email(lus, "personne@x.fr")
    assert str(desactive.value) == str(inconnu.value).replace("personne@x.fr", "lea@x.fr")
    with pytest.raises(UtilisateursError, match="« lea » est déjà désactivé"):
        comptes.desactiver_compte(ines, fichier, "lea")
    comptes.reactiver_compte(ines, fichier, "lea")
    assert "actif" not in fichier.read_text()
    assert acces.authentifier(acces.lire_utilisateurs(fichier), "lea", "mdp-lea-long")
    assert [(a[1], a[3], a[4]) for a in _audits(base)[1:]] == [
        ("compte_desactive", "lea", {"login": "lea", "resume": "Compte « lea » désactivé."}),
        ("compte_reactive", "lea", {"login": "lea", "resume": "Compte « lea » réactivé."})]
    with pytest.raises(UtilisateursError, match="Compte « bob » inconnu"):
        comptes.desactiver_compte(ines, fichier, "bob")


def test_there_is_always_an_active_administrator(base, fichier):
    ines = base.pour(INES)
    with pytest.raises(UtilisateursError, match="désactiver votre propre compte"):
        comptes.desactiver_compte(ines, fichier, "ines")
    for call in (lambda: comptes.desactiver_compte(None, fichier, "ines"),   # command line
                 lambda: comptes.changer_role(ines, fichier, "ines", "gestionnaire")):
        with pytest.raises(UtilisateursError, match="« ines » : c'est le dernier "
                                                    "administrateur actif"):
            call()
    comptes.creer_compte(ines, fichier, "max", "admin")
    comptes.desactiver_compte(ines, fichier, "max")          # ines stays
    with pytest.raises(UtilisateursError, match="dernier administrateur actif"):
        comptes.changer_role(ines, fichier, "ines", "lecteur")  # max is deactivated
    comptes.reactiver_compte(ines, fichier, "max")
    comptes.changer_role(ines, fichier, "ines", "gestionnaire")
    assert comptes._admins_actifs(acces.lire_utilisateurs(fichier)) == {"max"}


# -- password, role -----------------------------------------------------------------------------
def test_reset_password_gives_a_new_hash(base, fichier):
    ines = base.pour(INES)
    avant = acces.lire_utilisateurs(fichier)["marc"].empreinte
    out = comptes.reinitialiser_mot_de_passe(ines, fichier, "marc")
    lus = acces.lire_utilisateurs(fichier)
    assert lus["marc"].empreinte != avant and GENERE.match(out.mot_de_passe)
    with pytest.raises(AccesRefuseError, match=REFUS):
        acces.authentifier(lus, "marc", "mdp-marc-long")
    assert acces.authentifier(lus, "marc", out.mot_de_passe).login == "marc"
    comptes.reinitialiser_mot_de_passe(ines, fichier, "marc", "nouveau-secret-marc")
    assert acces.authentifier(acces.lire_utilisateurs(fichier), "marc", "nouveau-secret-marc")
    assert [a[4] for a in _audits(base)] == [
        {"login": "marc", "resume": "Mot de passe du compte « marc » réinitialisé (généré)."},
        {"login": "marc", "resume": "Mot de passe du compte « marc » réinitialisé (saisi par "
                                    "un administrateur)."}]
    texte = " ".join(json.dumps(a[4]) for a in _audits(base))
    assert out.mot_de_passe not in texte and "nouveau-secret" not in texte
    assert "pbkdf2" not in texte


def test_change_role(base, fichier):
    ines = base.pour(INES)
    with pytest.raises(UtilisateursError, match="doit indiquer son réservataire"):
        comptes.changer_role(ines, fichier, "marc", "reservataire")
    with pytest.raises(UtilisateursError, match=r"« X » inconnu de la base.*AL \(Action"):
        comptes.changer_role(ines, fichier, "marc", "reservataire", "X")
    marc = comptes.changer_role(ines, fichier, "marc", "reservataire", "PREF-51")
    assert marc == Utilisateur("marc", "marc", "reservataire", "PREF-51")
    with pytest.raises(UtilisateursError, match="a déjà ce rôle"):
        comptes.changer_role(ines, fichier, "marc", "reservataire", "PREF-51")
    comptes.changer_role(ines, fichier, "marc", "lecteur")
    assert acces.lire_utilisateurs(fichier)["marc"].utilisateur == Utilisateur(
        "marc", "marc", "lecteur")
    assert [a[4] for a in _audits(base)] == [
        {"login": "marc", "avant": "gestionnaire", "apres": "reservataire",
         "reservataire_id": "PREF-51",
         "resume": "Rôle du compte « marc » : gestionnaire → réservataire PREF-51."},
        {"login": "marc", "avant": "reservataire", "apres": "lecteur",
         "resume": "Rôle du compte « marc » : réservataire PREF-51 → lecteur."}]
    liste = comptes.liste_comptes(ines, fichier)
    assert liste.to_dict("records")[1] == {
        "login": "marc", "nom": "marc", "role": "lecteur", "role_libelle": "Lecteur",
        "reservataire_id": None, "reservataire": None, "email": None, "actif": True,
        "mot_de_passe": True}


# -- all or nothing, concurrency ----------------------------------------------------------------
def test_no_file_change_when_the_audit_fails(base, fichier, monkeypatch):
    ines, avant = base.pour(INES), fichier.read_bytes()

    def audit_en_panne(*args, **kwargs):
        raise duckdb.IOException("disque plein")

    monkeypatch.setattr(comptes, "audit", audit_en_panne)
    with pytest.raises(UtilisateursError, match=r"^Le journal d'audit de la base n'a pas pu être "
                                                "écrit : le fichier des comptes n'a pas été "
                                                "modifié"):
        comptes.creer_compte(ines, fichier, "lea", "lecteur")
    assert fichier.read_bytes() == avant
    monkeypatch.undo()
    monkeypatch.setattr(acces, "hacher", functools.partial(acces.hacher, iterations=1000))

    transaction = base.transaction

    @contextmanager
    def commit_en_panne(action=None):       # the audit row is written, the commit fails
        with transaction(action) as cur:
            yield cur
            raise duckdb.IOException("disque plein au commit")

    monkeypatch.setattr(Database, "transaction", lambda self, action=None:
                        commit_en_panne(action))
    with pytest.raises(UtilisateursError, match="disque plein au commit"):
        comptes.desactiver_compte(ines, fichier, "marc")
    assert fichier.read_bytes() == avant                     # the old file was put back
    assert stat.S_IMODE(fichier.stat().st_mode) == 0o600
    monkeypatch.undo()
    assert _audits(base) == []
    assert sorted(p.name for p in fichier.parent.iterdir() if "toml" in p.name) == [
        "comptes.toml", "comptes.toml.lock"]


def test_two_administrators_at_once_keep_both_changes(base, fichier):
    ines = base.pour(INES)
    depart = threading.Barrier(2)
    erreurs = []

    def creer(prefixe):
        try:
            depart.wait()
            for i in range(4):
                comptes.creer_compte(ines, fichier, f"{prefixe}{i}", "lecteur")
        except Exception as exc:  # reported below
            erreurs.append(exc)

    fils = [threading.Thread(target=creer, args=(p,)) for p in ("a", "b")]
    for f in fils:
        f.start()
    for f in fils:
        f.join()
    assert erreurs == []
    assert sorted(acces.lire_utilisateurs(fichier)) == [
        "a0", "a1", "a2", "a3", "b0", "b1", "b2", "b3", "ines", "marc"]
    assert len(_audits(base)) == 8


# -- command line -------------------------------------------------------------------------------
def test_cli_deactivates_and_reactivates(base, fichier, tmp_path, monkeypatch, capsys):
    from fluxcore.__main__ import main

    chemin = base.path
    base.close()      # the command opens the base itself
    f = ["--fichier", str(fichier)]
    assert main(["utilisateur", *f, "--login", "marc", "--desactiver"]) == 0
    assert capsys.readouterr().out == f"Compte « marc » désactivé dans « {fichier} ».\n"
    assert main(["utilisateur", *f, "--liste"]) == 0
    assert capsys.readouterr().out.splitlines() == ["ines\tadmin\t\t\tines",
                                                    "marc\tgestionnaire\t\t\tmarc\tdésactivé"]
    # a modification from the command line keeps the account deactivated
    monkeypatch.setattr("sys.stdin", io.StringIO("autre-mot-de-passe\n"))
    assert main(["utilisateur", *f, "--login", "marc", "--role", "lecteur"]) == 0
    assert not acces.lire_utilisateurs(fichier)["marc"].actif
    assert main(["utilisateur", *f, "--login", "marc", "--reactiver", "--db", chemin]) == 0
    assert "inscrit au journal" in capsys.readouterr().out
    assert acces.lire_utilisateurs(fichier)["marc"].actif
    assert main(["utilisateur", *f, "--login", "ines", "--desactiver"]) == 2
    assert "dernier administrateur actif" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:                 # one or the other
        main(["utilisateur", *f, "--login", "x", "--desactiver", "--reactiver"])
    assert usage.value.code == 2
    db = Database(chemin)
    try:
        assert [(a[1], a[3]) for a in _audits(db)] == [("compte_reactive", "marc")]
    finally:
        db.close()


# -- the Comptes tab ----------------------------------------------------------------------------
def _connecter(at, login):
    at.run()
    at.text_input(key="auth_login").set_value(login)
    at.text_input(key="auth_mdp").set_value(f"mdp-{login}-long")
    at.button[0].click().run()
    at.switch_page("pages/donnees.py").run()
    assert not at.exception, at.exception
    return at


@pytest.fixture
def base_app(empty_template, tmp_path):
    chemin = tmp_path / "app.duckdb"
    _base(empty_template, chemin).close()
    return chemin


def test_an_administrator_creates_an_account_in_the_app(base_app, fichier, monkeypatch,
                                                        tmp_path):
    at = _connecter(app_sur(base_app, monkeypatch, tmp_path, comptes=fichier), "ines")
    assert "Comptes" in [t.label for t in at.tabs]
    table = at.dataframe[-1].value
    assert list(table["login"]) == ["ines", "marc"]
    at.text_input(key="comptes_login").set_value("al-ge")
    at.text_input(key="comptes_nom").set_value("*AL* _Grand Est_")
    at.selectbox(key="comptes_role").set_value("reservataire")
    at.selectbox(key="comptes_reservataire").set_value("AL")
    next(b for b in at.button if b.label == "Créer le compte").click().run()
    assert not at.exception and not at.error, (at.exception, [e.value for e in at.error])
    table = at.dataframe[-1].value
    ligne = table[table["login"] == "al-ge"].iloc[0].to_dict()
    assert ligne == {"login": "al-ge", "nom": "*AL* _Grand Est_", "role_libelle": "Réservataire",
                     "reservataire": "Action Logement", "email": None, "actif": "Oui"}
    assert "Compte « al\\-ge » créé\\." in [s.value for s in at.success]
    mdp = at.code[-1].value
    assert GENERE.match(mdp)
    assert acces.authentifier(acces.lire_utilisateurs(fichier), "al-ge", mdp).login == "al-ge"
    at.run()                                                 # shown once only
    assert mdp not in [c.value for c in at.code]
    assert "Compte « al\\-ge » créé\\." not in [s.value for s in at.success]
    # deactivate it from the same tab
    at.selectbox(key="comptes_choisi").set_value("al-ge").run()
    next(b for b in at.button if b.label == "Désactiver le compte").click().run()
    assert not acces.lire_utilisateurs(fichier)["al-ge"].actif


def test_a_manager_has_no_accounts_tab(base_app, fichier, monkeypatch, tmp_path):
    at = _connecter(app_sur(base_app, monkeypatch, tmp_path, comptes=fichier), "marc")
    assert "Comptes" not in [t.label for t in at.tabs]
    assert not [b for b in at.button if b.label == "Créer le compte"]


def test_open_mode_explains_how_to_create_accounts(base_app, monkeypatch, tmp_path):
    at = app_sur(base_app, monkeypatch, tmp_path)
    at.switch_page("pages/donnees.py").run()
    assert not at.exception, at.exception
    assert "Comptes" in [t.label for t in at.tabs]
    assert any("tourne sans comptes" in i.value for i in at.info)
    assert not [b for b in at.button if b.label == "Créer le compte"]
