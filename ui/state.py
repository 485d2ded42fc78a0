"""Shared sidebar: database file, search, year, territory, projector mode (kept in
session_state)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import streamlit as st

import fluxcore.tableau_de_bord
from fluxcore.errors import FluxcoreError
from fluxcore.formats import accord
from fluxcore.perimetre import Perimetre
from ui import auth, recherche_views
from ui.data import DEFAULT_DB, get_db, load
from ui.texte import md


def sidebar() -> None:
    """Draw the shared filters; pages read them back with `perimetre()` and `db_path()`."""
    st.session_state.setdefault("db_path", DEFAULT_DB)
    # ?projection=1 in the address opens the app in projector mode (meeting-room bookmark)
    st.session_state.setdefault("projection", st.query_params.get("projection") == "1")
    with st.sidebar:
        auth.bandeau()
        if auth.choisit_la_base():
            st.text_input("Fichier de base de données", key="db_path",
                          help="Fichier DuckDB local (par défaut : la base de démonstration).")
        path = db_path()
        try:
            get_db(path)
            annees = load(path, fluxcore.tableau_de_bord.annees_disponibles)
            terr = load(path, fluxcore.tableau_de_bord.territoires)
        except FluxcoreError as exc:
            st.error(md(str(exc)))
            annees, terr = [], None
        user = auth.utilisateur()
        if terr is not None and (user is None or user.role != "reservataire"):
            # a réservataire sees only its own figures: no search over everyone's data
            recherche_views.boite(path, projection(), date.today())
        annees = annees or [date.today().year]
        if st.session_state.get("annee") not in annees:
            st.session_state["annee"] = annees[0]
        st.selectbox("Année", annees, key="annee")
        options = {"": "Tout le patrimoine"}
        if terr is not None:
            for r in terr.itertuples():
                prefix = "Département" if r.niveau == "departement" else "EPCI"
                options[f"{r.niveau}:{r.code}"] = (
                    f"{prefix} – {r.nom} ({accord(r.logements, 'logement', 'logements')})")
        if st.session_state.get("territoire") not in options:
            st.session_state["territoire"] = ""
        st.selectbox("Territoire", list(options), format_func=options.get, key="territoire")
        st.toggle("Mode projection", key="projection",
                  help="Texte agrandi, palette lisible par tous, aucun identifiant de ménage.")
        st.caption(_version(path))


def _version(path: str) -> str:
    """« Version 0.1.0 (abc1234) · schéma 8 » (the schema's only when the base opens)."""
    from fluxcore.db import partagee
    from fluxcore.version import legende

    try:
        return legende(partagee(path) if Path(path).exists() else None)
    except FluxcoreError:
        return legende()


def db_path() -> str:
    """The database file: the one typed in the sidebar, or the server's for non-admins."""
    return auth.chemin_autorise(st.session_state.get("db_path", DEFAULT_DB), DEFAULT_DB)


def projection() -> bool:
    return bool(st.session_state.get("projection", False))


def perimetre() -> Perimetre:
    """The year and territory chosen in the sidebar, with today's date as reference."""
    annee = int(st.session_state.get("annee") or date.today().year)
    terr = st.session_state.get("territoire") or ""
    niveau, _, code = terr.partition(":")
    return Perimetre(annee=annee, departement=code if niveau == "departement" else None,
                     epci_siren=code if niveau == "epci" else None, aujourdhui=date.today())


def libelle_perimetre() -> str:
    terr = st.session_state.get("territoire") or ""
    if not terr:
        return "Tout le patrimoine"
    t = load(db_path(), fluxcore.tableau_de_bord.territoires)
    niveau, _, code = terr.partition(":")
    row = t[(t["niveau"] == niveau) & (t["code"] == code)]
    return row["nom"].iloc[0] if len(row) else code
