"""Sending e-mail through the landlord's SMTP server (docs/avis.md): its settings from the
FLUX_SMTP_* environment variables, one message sent per connection, and every failure turned
into one French sentence that never holds the password."""

from __future__ import annotations

import base64
import os
import smtplib
import socket
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

from fluxcore.errors import FluxcoreError
from fluxcore.formats import fmt_num

ENV = {"hote": "FLUX_SMTP_HOTE", "port": "FLUX_SMTP_PORT",
       "utilisateur": "FLUX_SMTP_UTILISATEUR", "mot_de_passe": "FLUX_SMTP_MOT_DE_PASSE",
       "expediteur": "FLUX_SMTP_EXPEDITEUR", "securite": "FLUX_SMTP_SECURITE",
       "delai": "FLUX_SMTP_DELAI"}
FICHIER_MOT_DE_PASSE = "FLUX_SMTP_MOT_DE_PASSE_FICHIER"
SECURITES = ("starttls", "ssl", "aucune")
NON_CONFIGURE = ("Aucun serveur de messagerie n'est configuré (variable FLUX_SMTP_HOTE) : "
                 "téléchargez l'avis et envoyez-le vous-même. Configuration : docs/avis.md.")


class CourrielError(FluxcoreError):
    """SMTP settings missing or invalid."""


@dataclass(frozen=True)
class ConfigSmtp:
    hote: str
    port: int = 587
    utilisateur: str | None = None
    mot_de_passe: str | None = field(default=None, repr=False)
    expediteur: str = ""
    securite: str = "starttls"
    delai: float = 20.0


def configure() -> bool:
    """Whether an SMTP server is configured (FLUX_SMTP_HOTE is set)."""
    return bool(os.environ.get(ENV["hote"], "").strip())


def config_smtp(smtp: dict | None = None) -> ConfigSmtp:
    """The SMTP settings: `smtp` (keys of ConfigSmtp) if given, else the FLUX_SMTP_*
    environment variables; CourrielError (French, naming the variable) if missing or
    invalid."""
    if smtp is None:
        if not configure():
            raise CourrielError(NON_CONFIGURE)
        raw = {k: (os.environ.get(v) or "").strip() or None for k, v in ENV.items()}
        raw["mot_de_passe"] = os.environ.get(ENV["mot_de_passe"]) or None  # spaces kept
        if (os.environ.get(FICHIER_MOT_DE_PASSE) or "").strip():
            raw["mot_de_passe"] = _lire_mot_de_passe(os.environ[FICHIER_MOT_DE_PASSE].strip())
    else:
        raw = {k: v for k, v in smtp.items() if v is not None}
    if not raw.get("hote"):
        raise CourrielError(NON_CONFIGURE)
    try:
        port = int(raw.get("port") or 587)
        delai = float(str(raw.get("delai") or 20).replace(",", "."))
    except ValueError:
        raise CourrielError(f"{ENV['port']} et {ENV['delai']} doivent être des nombres "
                            f"(reçu : « {raw.get('port')} », « {raw.get('delai')} »).") from None
    if not 0 < port < 65536 or not delai > 0:
        raise CourrielError(f"{ENV['port']} (1 à 65535) ou {ENV['delai']} (secondes, plus de "
                            "0) invalide.")
    securite = str(raw.get("securite") or "starttls").lower()
    if securite not in SECURITES:
        raise CourrielError(f"{ENV['securite']} : « {securite} » inconnu (attendu : "
                            f"{', '.join(SECURITES)}).")
    user = raw.get("utilisateur")
    expediteur = raw.get("expediteur") or (user if user and "@" in user else None)
    if not expediteur or "@" not in expediteur:
        raise CourrielError(f"Indiquez l'adresse d'expédition ({ENV['expediteur']}).")
    return ConfigSmtp(str(raw["hote"]), port, user, raw.get("mot_de_passe"), expediteur,
                      securite, delai)


def _lire_mot_de_passe(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8").rstrip("\r\n")
    except (OSError, UnicodeError) as exc:
        raise CourrielError(f"{FICHIER_MOT_DE_PASSE} : fichier « {path} » illisible "
                            f"({getattr(exc, 'strerror', None) or type(exc).__name__})."
                            ) from None


def expedier(cfg: ConfigSmtp, msg: EmailMessage) -> None:
    """Send one message (From/To headers as envelope); raises what smtplib and ssl raise."""
    context = ssl.create_default_context()
    if cfg.securite == "ssl":
        client = smtplib.SMTP_SSL(cfg.hote, cfg.port, timeout=cfg.delai, context=context)
    else:
        client = smtplib.SMTP(cfg.hote, cfg.port, timeout=cfg.delai)
    with client:
        if cfg.securite == "starttls":
            client.starttls(context=context)
        if cfg.utilisateur:
            _login(client, cfg.utilisateur, cfg.mot_de_passe or "")
        client.send_message(msg)


def _login(client: smtplib.SMTP, user: str, password: str) -> None:
    """smtplib's login encodes credentials as ASCII: a password with an accent (« Sésame »)
    would fail before reaching the server. Such credentials go as AUTH PLAIN in UTF-8
    (RFC 4616); others through smtplib's own choice of mechanism."""
    if (user + password).isascii():
        client.login(user, password)
        return
    client.ehlo_or_helo_if_needed()
    if "plain" not in client.esmtp_features.get("auth", "").lower().split():
        raise smtplib.SMTPNotSupportedError("AUTH PLAIN")
    token = base64.b64encode(b"\0" + user.encode() + b"\0" + password.encode()).decode()
    code, reponse = client.docmd("AUTH", f"PLAIN {token}")
    if code not in (235, 503):
        raise smtplib.SMTPAuthenticationError(code, reponse)


def message_erreur(exc: BaseException, cfg: ConfigSmtp) -> str:
    """A French sentence for a failed send; never the password, never a traceback."""
    texte = f"Échec de l'envoi par courriel : {_cause(exc, cfg)}."
    return texte.replace(cfg.mot_de_passe, "•••") if cfg.mot_de_passe else texte


def _cause(exc: BaseException, cfg: ConfigSmtp) -> str:
    srv = f"{cfg.hote}:{cfg.port}"
    if isinstance(exc, smtplib.SMTPServerDisconnected) and isinstance(exc.__context__, OSError):
        exc = exc.__context__      # smtplib reports a read timeout as a disconnection
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"identifiant ou mot de passe refusé par {srv} (compte « {cfg.utilisateur} »)"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return f"adresse du destinataire refusée par {srv}"
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return f"adresse d'expédition « {cfg.expediteur} » refusée par {srv}"
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return (f"{srv} ne propose pas STARTTLS ou l'authentification demandée : vérifiez "
                f"{ENV['securite']}")
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return f"{srv} a coupé la connexion"
    if isinstance(exc, smtplib.SMTPResponseException):
        reponse = exc.smtp_error
        if isinstance(reponse, bytes):
            reponse = reponse.decode("utf-8", "replace")
        return f"{srv} a refusé le message (réponse {exc.smtp_code} : {reponse})"
    if isinstance(exc, ssl.SSLError):
        return (f"connexion chiffrée impossible avec {srv} ({exc.reason or 'erreur TLS'}) : "
                f"vérifiez {ENV['securite']} et le certificat du serveur")
    if isinstance(exc, socket.gaierror):
        return f"serveur « {cfg.hote} » introuvable (nom inconnu)"
    if isinstance(exc, ConnectionRefusedError):
        return f"connexion refusée par {srv} (aucun serveur de messagerie à cette adresse)"
    if isinstance(exc, TimeoutError):
        return (f"{srv} n'a pas répondu dans le délai de {fmt_num(cfg.delai, 0)} seconde"
                f"{'s' if cfg.delai >= 1.5 else ''} ({ENV['delai']})")
    if isinstance(exc, OSError):
        return f"connexion impossible à {srv} ({exc.strerror or type(exc).__name__})"
    return f"erreur inattendue ({type(exc).__name__})"
