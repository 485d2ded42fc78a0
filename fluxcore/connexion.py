"""How visitors sign in, read from the server's configuration (no streamlit here: the app's
scripts (ui.auth) and the server's HTTP side (web/) read the same rules).

- `FLUX_UTILISATEURS=aucun`, or neither the variable nor the default `utilisateurs.toml`: the
  app runs open (demo);
- a users file (`FLUX_UTILISATEURS`, default `utilisateurs.toml`): identifier + password;
- an `[auth]` section in Streamlit's secrets: OIDC sign-in, roles from the users file.
The configuration fails closed: any doubt about a setting gives an error message for the
operator (the app stays closed), never open mode.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fluxcore import acces
from fluxcore.errors import FluxcoreError

# the base the app reads (and where sign-in locks are audited) when FLUX_DB is not set
DEFAULT_DB = Path(__file__).resolve().parent.parent / "data" / "demo.duckdb"


class ConfigurationError(FluxcoreError):
    """An authentication setting the app cannot use: it stays closed."""


@dataclass(frozen=True)
class Configuration:
    mode: str | None  # 'oidc', 'fichier', or None: open app, on purpose
    fichier: Path | None = None
    erreur: str | None = None  # the operator's message: the app stays closed


def oidc_configure(secrets) -> bool:
    """Whether Streamlit's secrets (`st.secrets`, a mapping that loads its files on first
    use) have an `[auth]` section; ConfigurationError when a secrets file exists but cannot
    be read (its `[auth]` would be silently ignored)."""
    try:
        return "auth" in secrets
    except FileNotFoundError as exc:  # StreamlitSecretNotFoundError is one too
        if getattr(exc, "error_id", None) in (None, "no-secrets-found"):
            return False  # no secrets file at all
        raise ConfigurationError(f"le fichier des secrets de Streamlit (section [auth], "
                                 f"connexion OIDC) ne se lit pas : {exc}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"le fichier des secrets de Streamlit (section [auth], "
                                 f"connexion OIDC) ne se lit pas : {exc}") from exc


def configuration(oidc: Callable[[], bool]) -> Configuration:
    """How visitors sign in, from the environment (cheap: no file read but the secrets').
    `oidc`: whether an OIDC provider is configured (`oidc_configure` on Streamlit's secrets);
    it may raise ConfigurationError. Open mode only on purpose."""
    try:
        avec_oidc = oidc()
    except ConfigurationError as exc:
        return Configuration("oidc", None, message(str(exc)))
    value = os.environ.get(acces.VARIABLE)
    if value is not None and not value.strip():
        return Configuration("fichier", None, message(
            f"la variable {acces.VARIABLE} est définie mais vide."))
    value = (value or "").strip()
    if value.lower() == acces.OUVERT:
        if avec_oidc:
            return Configuration("oidc", None, message(
                f"{acces.VARIABLE}={acces.OUVERT} (application sans comptes) alors qu'une "
                "section [auth] (connexion OIDC) est configurée : les rôles OIDC viennent du "
                f"fichier des comptes. Donnez son chemin à {acces.VARIABLE}, ou retirez la "
                "section [auth]."))
        return Configuration(None)
    path = Path(value) if value else acces.DEFAULT_FILE
    # lexists: a dangling link to the default file was meant to hold accounts
    if not value and not avec_oidc and not os.path.lexists(path):
        return Configuration(None)  # neither variable nor default file: the demo
    return Configuration("oidc" if avec_oidc else "fichier", path)


def message(raison: str, path: Path | None = None) -> str:
    """The operator's message for a setting to correct (the app stays closed)."""
    named = f"« {path} »" in raison  # the reason already says which file
    if path is None:
        where = ""
    elif os.environ.get(acces.VARIABLE, "").strip():
        where = f"variable {acces.VARIABLE} : " if named else \
            f"la variable {acces.VARIABLE} désigne « {path} » : "
    else:
        where = "fichier des comptes par défaut : " if named else \
            f"le fichier des comptes par défaut « {path} » : "
    if path is not None and not os.path.lexists(path):
        raison += (" Créez-le (python -m fluxcore utilisateur --login … --role admin) ou "
                   "corrigez le chemin.")
    return (f"{where}{raison} Corrigez le fichier puis rechargez la page, ou la variable "
            f"puis relancez l'application ; pour une application ouverte sans comptes "
            f"(démonstration), indiquez {acces.VARIABLE}={acces.OUVERT}.")


def comptes(conf: Configuration) -> dict[str, acces.Compte]:
    """The users file, read at every call (a few lines: a changed role or password applies
    at once); ConfigurationError with the operator's message when it cannot be used."""
    if conf.erreur:
        raise ConfigurationError(conf.erreur)
    try:
        return acces.lire_utilisateurs(conf.fichier)
    except FluxcoreError as exc:
        raise ConfigurationError(message(str(exc), conf.fichier)) from exc


def base_audit() -> Path:
    """The database whose audit_log records sign-in locks: FLUX_DB, else the default."""
    value = (os.environ.get("FLUX_DB") or "").strip()
    return Path(value) if value else DEFAULT_DB
