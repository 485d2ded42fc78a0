"""Gestion en flux des réservations — entry point: pages, shared sidebar, theme."""

from pathlib import Path

import streamlit as st

from ui import auth, state, theme

# Served by this server: a Material icon as page_icon is fetched from a third-party font host.
FAVICON = str(Path(__file__).resolve().parent / "ui" / "favicon.png")

# ?projection=1 (meeting-room bookmark) also starts with the sidebar folded away
st.set_page_config(page_title="Gestion en flux des réservations", page_icon=FAVICON,
                   layout="wide", initial_sidebar_state="collapsed"
                   if st.query_params.get("projection") == "1" else "auto")

# The default page answers only at / (Streamlit gives it the address ""): /tableau-de-bord (a
# bookmark, a typed address) opens the same script through a hidden page, instead of
# Streamlit's English « Page not found » dialog over the default page
PAGES = [
    st.Page("pages/tableau_de_bord.py", title="Tableau de bord", icon=":material/dashboard:",
            url_path="", default=True),
    st.Page("pages/tableau_de_bord.py", title="Tableau de bord", icon=":material/dashboard:",
            url_path="tableau-de-bord", visibility="hidden"),
    st.Page("pages/jauges.py", title="Jauges de flux", icon=":material/speed:",
            url_path="jauges"),
    st.Page("pages/orientation.py", title="Orientation", icon=":material/alt_route:",
            url_path="orientation"),
    st.Page("pages/suivi.py", title="Suivi des logements", icon=":material/event_upcoming:",
            url_path="suivi"),
    st.Page("pages/residences.py", title="Résidences", icon=":material/location_city:",
            url_path="residences"),
    st.Page("pages/objectifs.py", title="Objectifs CIL", icon=":material/flag:",
            url_path="objectifs"),
    st.Page("pages/simulateur.py", title="Simulateur", icon=":material/tune:",
            url_path="simulateur"),
    st.Page("pages/bilan.py", title="Bilan annuel", icon=":material/summarize:",
            url_path="bilan"),
    st.Page("pages/sne.py", title="Rapprochement SNE", icon=":material/compare_arrows:",
            url_path="sne"),
    st.Page("pages/cotation.py", title="Cotation", icon=":material/format_list_numbered:",
            url_path="cotation"),
    st.Page("pages/reservataire.py", title="Espace réservataire", icon=":material/handshake:",
            url_path="reservataire"),
    st.Page("pages/donnees.py", title="Données", icon=":material/database:", url_path="donnees"),
]

# authentication is optional: off for the demo (FLUX_UTILISATEURS=aucun), on with a users file
# or an OIDC configuration; a setting to correct keeps the app closed (never open). Until
# someone signs in, the pages are registered hidden and not run. A réservataire account only
# gets its own space (fluxcore refuses the rest anyway)
user = auth.exiger_connexion(PAGES)
if user is not None and user.role == "reservataire":
    PAGES = [page for page in PAGES if page.url_path == "reservataire"]
navigation = st.navigation(PAGES)
state.sidebar()
theme.apply(state.projection())
navigation.run()
