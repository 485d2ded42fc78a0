"""The sidebar search box and the deep links of the pages (?liberation=, ?residence=,
?demande=), fluxcore.recherche behind both."""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qsl, urlsplit

import streamlit as st
from streamlit.errors import StreamlitAPIException

import fluxcore.recherche
from fluxcore.errors import FluxcoreError
from fluxcore.formats import accord
from ui.data import load
from ui.texte import md

# url_path (app.py) -> page file, for st.page_link
PAGES = {"orientation": "pages/orientation.py", "residences": "pages/residences.py",
         "cotation": "pages/cotation.py", "suivi": "pages/suivi.py"}
ICONES = {"Demande": ":material/person_search:", "Logement": ":material/door_front:",
          "Résidence": ":material/location_city:"}
LIMITE = 20         # asked of fluxcore
AFFICHES = 8        # drawn in the sidebar
HORS_TERRITOIRE = ("n'est pas dans le territoire choisi dans la barre latérale : choisissez "
                   "« Tout le patrimoine » pour l'afficher.")


def parametre(nom: str) -> str | None:
    """The deep-link parameter `nom` of the address, read once at page start: it is removed
    from the address, so that the next rerun keeps what the user picks afterwards."""
    valeur = st.query_params.get(nom)
    if valeur is not None:
        del st.query_params[nom]
    return (valeur or "").strip() or None


def lien(adresse: str, label: str, icon: str | None = None, aide: str | None = None) -> None:
    """A link to a page of the app with its query (« /orientation?liberation=B1 »):
    st.page_link keeps the session (sign-in, sidebar choices); a plain link when the page is
    not declared in this app. `label` and `aide` are text (a résidence's name from the
    data), never Markdown."""
    label, aide = md(label), (None if aide is None else md(aide))
    url = urlsplit(adresse)
    page = PAGES.get(url.path.strip("/"))
    if page is not None:
        try:
            st.page_link(page, label=label, icon=icon, help=aide,
                         query_params=dict(parse_qsl(url.query)))
            return
        except StreamlitAPIException:   # page not declared (yet) in app.py
            pass
    st.markdown(f"[{label}]({adresse})")


def preselectionner(path: str, genre: str, identifiant: str | None, options, key: str,
                    nom: str) -> None:
    """Deep link: select `identifiant` in the selectbox `key` (before it is drawn) when it is
    one of its `options`; else say, in French, that it is unknown or outside the territory.
    `nom`: what it is, for the message (« La résidence »)."""
    if identifiant is None:
        return
    if identifiant in options:
        st.session_state[key] = identifiant
    elif connu(path, genre, identifiant, nom):
        st.warning(f"{nom} « {md(identifiant)} » {HORS_TERRITOIRE}")


def connu(path: str, genre: str, identifiant: str, nom: str) -> bool:
    """Whether the id exists; warns in French when it does not."""
    if load(path, fluxcore.recherche.existe, genre, identifiant):
        return True
    st.warning(f"{nom} « {md(identifiant)} » est introuvable dans cette base : vérifiez le lien "
               "ou cherchez-la dans la barre latérale.")
    return False


def boite(path: str, projection: bool, aujourdhui: date) -> None:
    """The sidebar search: a text box, its results as links to the page that acts on each
    (two actions: type, click). Projector mode: no demande (pseudonymous ids)."""
    texte = st.text_input(
        "Rechercher", key="recherche", placeholder="Identifiant, résidence, commune…",
        help="Un identifiant (demande, logement, libération, résidence) ou son début, ou des "
             "mots du nom, de l'adresse ou de la commune d'une résidence, sans se soucier des "
             "accents ni des majuscules.").strip()
    if not texte:
        return
    try:
        found = load(path, fluxcore.recherche.rechercher, texte, LIMITE, aujourdhui)
    except FluxcoreError as exc:
        st.caption(md(str(exc)))
        return
    masquees = 0
    if projection:
        masquees = int((found["type"] == "Demande").sum())
        found = found[found["type"] != "Demande"]
    if found.empty:
        st.caption("Aucun résultat." + (" Demandes masquées en mode projection."
                                        if masquees else ""))
        return
    for r in found.head(AFFICHES).itertuples():
        titre, detail = titre_et_detail(r)
        with st.container(gap=None):      # the detail sticks to its link
            lien(r.lien, titre, ICONES[r.type], aide=r.libelle)
            st.caption(md(detail))
    if len(found) > AFFICHES:
        reste = len(found) - AFFICHES
        st.caption(("Au moins " if len(found) + masquees >= LIMITE else "")
                   + accord(reste, "autre résultat", "autres résultats")
                   + " : précisez la recherche.")


def titre_et_detail(r) -> tuple[str, str]:
    """A result as a short link text (the sidebar cuts it at one line) and the detail drawn
    under it, from fluxcore's label « a · b · c »."""
    premier, _, reste = r.libelle.partition(" · ")
    if r.type == "Résidence":
        return premier, reste
    if r.type == "Logement":
        return f"{r.identifiant} · {premier}", reste
    return r.identifiant, r.libelle
