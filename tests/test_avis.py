"""Notice of availability to the réservataire (fluxcore.avis, fluxcore.courriel, docs/avis.md):
its exact text and PDF, a real send to an SMTP server started by the test, failures logged
in French without the password, downloads logged, roles enforced, and the panel."""

from __future__ import annotations

import base64
import email
import io
import json
import re
import socket
import socketserver
import threading
from datetime import date
from email import policy
from pathlib import Path

import pypdf
import pytest

from fluxcore import avis
from fluxcore.acces import AccesRefuseError, Utilisateur
from fluxcore.courriel import CourrielError, config_smtp
from fluxcore.imports import import_paths
from fluxcore.parametres import set_parametre
from tests import factory
from tests.apptest import de_fonction

D = date
MOT_DE_PASSE = "Sésame-7f3k!"
LECTEUR = Utilisateur("lea", "Léa Martin", "lecteur")
GESTION = Utilisateur("marc", "Marc Petit", "gestionnaire")


def _executer(db, sql: str, params: list) -> None:
    with db.transaction() as cur:
        cur.execute(sql, params)


@pytest.fixture
def db(small_db):
    """The small year plus a PLAI T2 in QPV (Reims) oriented on 05/03/2026 to Action Logement,
    whose convention gives 15 days and 4 candidates; households proposed and housed there."""
    factory.insert(small_db, "logement", [{
        **factory.logement("L7", "R1", "T2", "PLAI"), "surface_m2": 47.5, "etage": 3,
        "ascenseur": True, "accessible_pmr": True, "loyer_mensuel": 412.3}])
    factory.insert(small_db, "liberation", [factory.liberation("B7", "L7", D(2026, 3, 2))])
    factory.insert(small_db, "orientation", [
        factory.orientation("O7", "B7", "AL", D(2026, 3, 5), "ORIENTE")])
    factory.insert(small_db, "convention", [{
        **factory.convention_row("C-AL", "AL", 20.0), "delai_proposition_jours": 15,
        "nb_candidats_max": 4}])
    factory.insert(small_db, "candidature", [{
        "candidature_id": "CAND-1", "orientation_id": "O7", "demande_id": "DEM-0451-SECRET",
        "rang": 1, "date_proposition": D(2026, 3, 10), "propose_par": "al",
        "origine": "RESERVATAIRE", "statut": "PROPOSE", "date_decision": None, "motif": None,
        "modifie_le": None}])
    _executer(small_db, "update reservataire set email = ? where reservataire_id = 'AL'",
              ["flux.grand-est@al.example"])
    set_parametre(small_db, "bailleur_nom", "Champagne Habitat")
    set_parametre(small_db, "bailleur_contact",
                  "Service des attributions, 03 26 00 00 00, attributions@champagne.example")
    return small_db


TEXTE_O7 = """Madame, Monsieur,

Champagne Habitat met à votre disposition, au titre de votre convention de réservation, \
le logement décrit ci-dessous.

Le logement
- Typologie : T2 (2 pièces)
- Surface habitable : 47,5 m²
- Étage : 3e étage, avec ascenseur
- Accessibilité : accessible aux personnes à mobilité réduite
- Loyer mensuel hors charges : 412,30\u00a0€
- Financement : PLAI (prêt locatif aidé d'intégration)
- Résidence : Résidence R1, Reims
- Quartier prioritaire (QPV) : oui (Croix Rouge)
- Disponible à partir du : 02/03/2026
- Référence : logement L7, orientation O7

Proposition de candidats
Merci de nous proposer vos candidats au plus tard le 20 mars 2026 (délai de 15 jours prévu \
par votre convention, à compter de la mise à disposition du 5 mars 2026). Vous pouvez \
proposer jusqu'à 4 candidats pour ce logement.

Contact
Service des attributions, 03 26 00 00 00, attributions@champagne.example

L'avis de mise à disposition est joint au format PDF.

Champagne Habitat"""


# -- content ----------------------------------------------------------------------------------
def test_email_text_in_words_with_the_convention_deadline(db):
    a = avis.preparer_avis(db, "O7")
    assert a.sujet == ("Logement mis à votre disposition : T2 à Reims – candidats au plus tard "
                       "le 20/03/2026")
    assert a.texte == TEXTE_O7
    assert (a.destinataire, a.reservataire_nom, a.orientation_id, a.date_limite) == (
        "flux.grand-est@al.example", "Action Logement Services", "O7", D(2026, 3, 20))
    # codes never shown, and no household data
    for code in ("51454", "QN05103M", "200067213", "DEM-0451-SECRET", "MA1", "CAND-1"):
        assert code not in a.texte and code not in a.sujet


def test_deadline_from_the_setting_then_from_the_orientation(db):
    a = avis.preparer_avis(db, "O1")       # the préfet: no convention in the small year
    assert a.date_limite == D(2026, 2, 4)  # 05/01/2026 + 30 days (setting)
    assert ("au plus tard le 4 février 2026 (délai de 30 jours, à compter de la mise à "
            "disposition du 5 janvier 2026). Vous pouvez proposer jusqu'à 3 candidats") in a.texte
    assert "- Étage : 1er étage, sans ascenseur" in a.texte
    assert "- Accessibilité : non accessible aux personnes à mobilité réduite" in a.texte
    set_parametre(db, "delai_proposition_jours", 10)
    set_parametre(db, "nb_candidats_max", 1)
    a = avis.preparer_avis(db, "O1")
    assert a.date_limite == D(2026, 1, 15)
    assert "(délai de 10 jours, à" in a.texte and "jusqu'à 1 candidat pour" in a.texte
    # a deadline kept on the orientation wins over both delays
    _executer(db, "update orientation set date_limite = ? where orientation_id = 'O7'",
              [D(2026, 4, 1)])
    a = avis.preparer_avis(db, "O7")
    assert a.date_limite == D(2026, 4, 1)
    assert "au plus tard le 1er avril 2026. Vous pouvez proposer jusqu'à 4 candidats" in a.texte


def test_internal_destination_and_unknown_orientation_refused(db):
    with pytest.raises(avis.DestinationInterneError,
                       match=r"^Ce logement est orienté vers « Mutations internes », une "
                             r"destination interne du bailleur : aucun avis"):
        avis.preparer_avis(db, "O2")
    with pytest.raises(avis.DestinationInterneError, match="Bailleur"):
        avis.envoyer_avis(db, "O3", smtp={"hote": "localhost", "expediteur": "a@b.fr"})
    with pytest.raises(avis.AvisError, match=r"^Orientation inconnue : « O99 »\.$"):
        avis.avis_pdf(db, "O99")
    assert db.scalar("select count(*) from avis") == 0


def _pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return "\n".join(p.extract_text() for p in reader.pages).replace("\u00a0", " ")


def test_pdf_holds_the_same_notice(db):
    data = avis.avis_pdf(db, "O7")
    assert data.startswith(b"%PDF")
    text = _pdf_text(data)
    for expected in ("Avis de mise à disposition d'un logement",
                     "À l'attention de : Action Logement Services (flux.grand-est@al.example)",
                     "T2 (2 pièces)", "47,5 m²", "3e étage, avec ascenseur",
                     "accessible aux personnes à mobilité réduite", "412,30 €",
                     "PLAI (prêt locatif aidé d'intégration)", "Résidence R1, Reims",
                     "oui (Croix Rouge)", "02/03/2026", "20 mars 2026", "15 jours prévu",
                     "jusqu'à 4 candidats",
                     "Service des attributions, 03 26 00 00 00, attributions@champagne.example",
                     "Champagne Habitat"):
        assert expected in text.replace("\n", " "), expected
    for code in ("51454", "QN05103M", "DEM-0451-SECRET"):
        assert code not in text


# -- a local SMTP server ------------------------------------------------------------------------
class _Handler(socketserver.StreamRequestHandler):
    """Just enough SMTP: EHLO (AUTH PLAIN advertised), AUTH PLAIN, MAIL, RCPT, DATA, QUIT."""

    def _say(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        srv = self.server
        self._say("220 test.local ESMTP")
        lines: list[bytes] | None = None
        while line := self.rfile.readline():
            if lines is not None:                       # inside DATA
                if line.rstrip(b"\r\n") == b".":
                    srv.messages.append(b"".join(lines))
                    lines = None
                    self._say("250 2.0.0 accepté")
                else:
                    lines.append(line[1:] if line.startswith(b"..") else line)
                continue
            verb, _, arg = line.decode().strip().partition(" ")
            verb = verb.upper()
            if verb == "EHLO":
                self._say("250-test.local")
                self._say("250 AUTH PLAIN")
            elif verb == "AUTH":
                secret = base64.b64decode(arg.split()[1]).split(b"\0")
                srv.logins.append(secret[1].decode())
                self._say("235 ok" if secret[2].decode() == srv.password
                          else "535 5.7.8 Authentication failed")
            elif verb == "RCPT":
                srv.rcpt.append(arg)
                self._say("250 ok")
            elif verb == "DATA":
                lines = []
                self._say("354 go")
            elif verb == "QUIT":
                self._say("221 bye")
                return
            else:
                self._say("250 ok")


@pytest.fixture
def serveur():
    srv = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Handler)
    srv.daemon_threads = True
    srv.messages, srv.logins, srv.rcpt, srv.password = [], [], [], MOT_DE_PASSE
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def _smtp(port: int, **kw) -> dict:
    return {"hote": "127.0.0.1", "port": port, "utilisateur": "avis@champagne.example",
            "mot_de_passe": MOT_DE_PASSE, "securite": "aucune", "delai": 5, **kw}


def test_real_send_with_the_pdf_attached(db, serveur):
    row = avis.envoyer_avis(db, "O7", "claire", smtp=_smtp(serveur.server_address[1]))
    assert row["statut"] == "ENVOYE" and row["erreur"] is None, row["erreur"]
    assert (row["canal"], row["destinataire"], row["cree_par"]) == (
        "COURRIEL", "flux.grand-est@al.example", "claire")
    assert serveur.logins == ["avis@champagne.example"]
    assert serveur.rcpt == ["TO:<flux.grand-est@al.example>"]
    msg = email.message_from_bytes(serveur.messages[0], policy=policy.default)
    assert msg["Subject"] == avis.preparer_avis(db, "O7").sujet
    assert msg["From"] == "Champagne Habitat <avis@champagne.example>"
    assert msg["To"] == "Action Logement Services <flux.grand-est@al.example>"
    assert msg.get_body(("plain",)).get_content().replace("\r\n", "\n").rstrip() == TEXTE_O7
    pieces = list(msg.iter_attachments())
    assert [p.get_filename() for p in pieces] == ["avis-mise-a-disposition-O7.pdf"]
    assert "20 mars 2026" in _pdf_text(pieces[0].get_content())
    logged = db.df("select * from avis").iloc[0]
    assert (logged["statut"], logged["canal"], logged["reservataire_id"]) == (
        "ENVOYE", "COURRIEL", "AL")
    assert db.scalar("select count(*) from audit_log where action = 'avis.envoi' and "
                     "entity_id = ?", [str(row["avis_id"])]) == 1
    j = avis.journal_avis(db, "O7")
    assert j[["canal", "statut", "code_statut"]].values.tolist() == [
        ["Courriel", "Envoyé", "ENVOYE"]]


def test_send_configured_from_the_environment(db, serveur, monkeypatch, tmp_path):
    secret = tmp_path / "smtp.secret"
    secret.write_text(MOT_DE_PASSE + "\n", encoding="utf-8")
    for k, v in {"FLUX_SMTP_HOTE": "127.0.0.1", "FLUX_SMTP_PORT": str(serveur.server_address[1]),
                 "FLUX_SMTP_UTILISATEUR": "robot", "FLUX_SMTP_EXPEDITEUR": "avis@champagne.example",
                 "FLUX_SMTP_MOT_DE_PASSE_FICHIER": str(secret), "FLUX_SMTP_SECURITE": "aucune",
                 "FLUX_SMTP_DELAI": "5"}.items():
        monkeypatch.setenv(k, v)
    assert avis.smtp_configure()
    cfg = config_smtp()
    assert (cfg.port, cfg.securite, cfg.delai, cfg.mot_de_passe) == (
        serveur.server_address[1], "aucune", 5.0, MOT_DE_PASSE)
    assert MOT_DE_PASSE not in repr(cfg)
    assert avis.envoyer_avis(db, "O7")["statut"] == "ENVOYE"
    assert serveur.logins == ["robot"] and len(serveur.messages) == 1
    monkeypatch.setenv("FLUX_SMTP_SECURITE", "tls13")
    with pytest.raises(CourrielError, match="FLUX_SMTP_SECURITE : « tls13 » inconnu"):
        config_smtp()


def _no_password(db, row: dict) -> None:
    assert MOT_DE_PASSE not in row["erreur"] and "Traceback" not in row["erreur"]
    dump = json.dumps(db.df("select * from avis").astype(str).values.tolist()) + json.dumps(
        db.df("select * from audit_log").astype(str).values.tolist())
    assert MOT_DE_PASSE not in dump and MOT_DE_PASSE not in json.dumps(row, default=str)


def test_connection_refused_is_logged_in_french(db):
    with socket.socket() as s:                 # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    row = avis.envoyer_avis(db, "O7", smtp=_smtp(port))
    assert row["statut"] == "ECHEC"
    assert row["erreur"] == (f"Échec de l'envoi par courriel : connexion refusée par "
                             f"127.0.0.1:{port} (aucun serveur de messagerie à cette adresse).")
    assert db.scalar("select statut from avis") == "ECHEC"
    _no_password(db, row)


def test_auth_error_timeout_and_missing_starttls_are_logged(db, serveur):
    port = serveur.server_address[1]
    row = avis.envoyer_avis(db, "O7", smtp=_smtp(port, mot_de_passe="mauvais"))
    assert row["erreur"] == (f"Échec de l'envoi par courriel : identifiant ou mot de passe "
                             f"refusé par 127.0.0.1:{port} (compte « avis@champagne.example »).")
    row = avis.envoyer_avis(db, "O7", smtp=_smtp(port, securite="starttls"))
    assert "ne propose pas STARTTLS" in row["erreur"]
    _no_password(db, row)
    with socket.socket() as mute:               # accepts, never answers
        mute.bind(("127.0.0.1", 0))
        mute.listen()
        row = avis.envoyer_avis(db, "O7", smtp=_smtp(mute.getsockname()[1], delai=1))
    assert row["erreur"].endswith("n'a pas répondu dans le délai de 1 seconde "
                                  "(FLUX_SMTP_DELAI).")
    _no_password(db, row)
    assert db.df("select statut from avis")["statut"].tolist() == ["ECHEC"] * 3
    assert serveur.messages == []


def test_refused_without_configuration_or_address(db, monkeypatch):
    monkeypatch.delenv("FLUX_SMTP_HOTE", raising=False)
    assert not avis.smtp_configure()
    with pytest.raises(CourrielError, match=r"^Aucun serveur de messagerie n'est configuré"):
        avis.envoyer_avis(db, "O7")
    with pytest.raises(avis.AvisError, match="adresse électronique du réservataire non "
                                             "renseignée : importez"):
        avis.envoyer_avis(db, "O1", smtp={"hote": "127.0.0.1", "expediteur": "a@b.example"})
    assert db.scalar("select count(*) from avis") == 0


def test_download_logged(db):
    data = avis.telecharger_avis(db, "O1", "claire")
    assert data.startswith(b"%PDF") and "4 février 2026" in _pdf_text(data)
    row = db.df("select * from avis").iloc[0]
    assert (row["canal"], row["statut"], row["cree_par"], row["orientation_id"]) == (
        "TELECHARGEMENT", "TELECHARGE", "claire", "O1")
    assert row["destinataire"] is None    # the préfet has no address in the small year
    assert db.scalar("select count(*) from audit_log where action = 'avis.telechargement'") == 1
    assert avis.journal_avis(db)["statut"].tolist() == ["Téléchargé"]


def test_roles(db):
    lecteur = db.pour(LECTEUR)
    assert avis.preparer_avis(lecteur, "O7").date_limite == D(2026, 3, 20)  # reading allowed
    for call in (lambda: avis.envoyer_avis(lecteur, "O7", smtp={"hote": "x"}),
                 lambda: avis.telecharger_avis(lecteur, "O7")):
        with pytest.raises(AccesRefuseError, match=r"rôle lecteur .* ne permet pas "
                                                   r"d'enregistrer ou corriger une orientation"):
            call()
    assert db.scalar("select count(*) from avis") == 0
    # a manager's download is recorded under its login, whatever name is given
    avis.telecharger_avis(db.pour(GESTION), "O7", "quelqu'un d'autre")
    assert db.scalar("select cree_par from avis") == "marc"


def test_reservataire_email_importable(empty_db, tmp_path):
    f = tmp_path / "reservataire.csv"
    f.write_text("reservataire_id;nom;type;email\nAL;Action Logement;ACTION_LOGEMENT;"
                 "flux@al.example\n", encoding="utf-8")
    assert import_paths(empty_db, [f]).ok
    assert empty_db.scalar("select email from reservataire") == "flux@al.example"
    f.write_text("reservataire_id;nom;type;email\nAL;Action Logement;ACTION_LOGEMENT;"
                 "flux at al.example\n", encoding="utf-8")
    result = import_paths(empty_db, [f])
    assert not result.ok and [(p["ligne"], p["colonne"], p["probleme"])
                              for p in result.problems.rows] == [
        (2, "email", "format invalide : attendu une adresse électronique "
                     "(ex. flux@reservataire.fr)")]
    assert empty_db.scalar("select email from reservataire") == "flux@al.example"


# -- the panel ----------------------------------------------------------------------------------
def _panneau(path: str, orientation_id: str) -> None:
    from ui.avis_views import panneau_avis

    panneau_avis(path, orientation_id)


@pytest.fixture
def app(db, monkeypatch, tmp_path):
    db.cursor().execute("checkpoint")
    return de_fonction(_panneau, (db.path, "O7"), monkeypatch, tmp_path)


def test_panel_previews_sends_and_lists(app, db, serveur, monkeypatch):
    monkeypatch.setenv("FLUX_SMTP_HOTE", "127.0.0.1")
    monkeypatch.setenv("FLUX_SMTP_PORT", str(serveur.server_address[1]))
    monkeypatch.setenv("FLUX_SMTP_EXPEDITEUR", "avis@champagne.example")
    monkeypatch.setenv("FLUX_SMTP_SECURITE", "aucune")
    app.run()
    assert not app.exception, app.exception
    assert app.code[0].value == TEXTE_O7
    # md() puts a word joiner after « @ » (no mail autolink): the same text on screen
    assert "flux.grand-est@al.example" in app.markdown[0].value.replace("\u2060", "")
    assert app.caption[-1].value == "Aucun avis envoyé ni téléchargé pour ce logement."
    app.button(key="avis_envoyer_O7").click().run()
    assert not app.exception and not app.error, app.error
    assert [t.value.replace("\u2060", "") for t in app.toast] == [
        "Avis envoyé à flux.grand-est@al.example."]
    assert len(serveur.messages) == 1 and len(app.dataframe) == 1
    app.session_state["projection"] = True
    app.run()
    assert [re.sub(r"\d", "9", m.value) for m in app.markdown] == [
        "Avis envoyé le 99/99/9999 à 99:99"]
    assert not app.code and not app.dataframe and not app.caption and not app.button


def test_panel_without_smtp_offers_the_download_and_logs_it(app, db, monkeypatch):
    monkeypatch.delenv("FLUX_SMTP_HOTE", raising=False)
    app.run()
    assert not app.exception
    assert not app.button
    assert any("Envoi par courriel non configuré" in c.value for c in app.caption)
    app.get("download_button")[0].click().run()
    assert not app.exception and not app.error
    assert db.df("select canal, statut from avis").values.tolist() == [
        ["TELECHARGEMENT", "TELECHARGE"]]
    assert len(app.dataframe) == 1


def test_panel_for_a_reader_and_an_internal_destination(app, db, monkeypatch, tmp_path):
    app.session_state["utilisateur"] = LECTEUR
    app.run()
    assert not app.exception and app.code[0].value == TEXTE_O7
    assert not app.get("download_button") and not app.button
    assert "ne permet pas d'envoyer ou télécharger un avis" in app.info[0].value
    interne = de_fonction(_panneau, (db.path, "O2"), monkeypatch, tmp_path)
    interne.run()
    assert not interne.exception and not interne.error
    assert "destination interne du bailleur" in interne.info[0].value


def test_every_smtp_variable_is_documented():
    from fluxcore.courriel import ENV, FICHIER_MOT_DE_PASSE

    root = Path(__file__).resolve().parent.parent
    for doc in (root / "docs" / "avis.md", root / "README.md"):
        text = doc.read_text(encoding="utf-8")
        for name in (*ENV.values(), FICHIER_MOT_DE_PASSE):
            assert f"`{name}`" in text, f"{name} absent de {doc.name}"


# -- the notice at the orientation (fluxcore.avis.a_l_orientation) ------------------------------
def test_notice_sent_as_soon_as_the_dwelling_is_oriented(db, serveur):
    out = avis.a_l_orientation(db, "O7", "claire", smtp=_smtp(serveur.server_address[1]))
    assert out["issue"] == "ENVOYE"
    assert out["message"] == ("Avis de mise à disposition envoyé à Action Logement Services "
                              "(flux.grand-est@al.example).")
    assert len(serveur.messages) == 1 and out["avis"]["cree_par"] == "claire"
    assert db.df("select canal, statut from avis").values.tolist() == [["COURRIEL", "ENVOYE"]]


def test_notice_at_orientation_failed_logged_and_left_to_the_dossier(db):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = avis.a_l_orientation(db, "O7", smtp=_smtp(port))
    assert out["issue"] == "ECHEC"
    assert out["message"].startswith("L'avis n'a pas pu être envoyé (Échec de l'envoi par "
                                     "courriel : connexion refusée")
    assert out["message"].endswith("téléchargez-le ou envoyez-le depuis le dossier du logement.")
    assert db.scalar("select statut from avis") == "ECHEC"


def test_notice_at_orientation_not_sent(db, serveur, monkeypatch):
    monkeypatch.delenv("FLUX_SMTP_HOTE", raising=False)
    out = avis.a_l_orientation(db, "O7")
    assert (out["issue"], out["avis"]) == ("SANS_SMTP", None)
    assert out["message"] == ("Envoi par courriel non configuré : téléchargez-le ou "
                              "envoyez-le depuis le dossier du logement.")
    smtp = _smtp(serveur.server_address[1])
    out = avis.a_l_orientation(db, "O1", smtp=smtp)             # no address for the préfet
    assert out["issue"] == "SANS_ADRESSE"
    assert out["message"].startswith("Avis non envoyé, adresse électronique du réservataire "
                                     "non renseignée : importez")
    set_parametre(db, "avis_envoi_automatique", False)
    assert avis.a_l_orientation(db, "O7", smtp=smtp)["issue"] == "MANUEL"
    assert serveur.messages == [] and db.scalar("select count(*) from avis") == 0
    assert avis.a_l_orientation(db, "O2")["issue"] == "INTERNE"          # mutations internes
