"""The server: `streamlit run serveur.py` serves the app (app.py) plus the server's own routes
(health check, sign-in and sign-out pages, session cookie) and its scheduled work (backups,
purges), all declared in `web/`. `streamlit run app.py` still runs the bare app (no cookie
sessions, no scheduled work): what AppTest and a quick look on a laptop use."""

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from web import application

# app.py declares its pages with st.navigation. Streamlit decides at its first session whether the
# app uses its old multipage mode (a pages/ folder next to the main script): the first session
# after a start would then resolve its address against pages/*.py, run /orientation without
# app.py, and answer /tableau-de-bord with its English « Page not found » dialog
PagesManager.uses_pages_directory = False

app = st.App("app.py", routes=application.routes(), middleware=application.middleware(),
             lifespan=application.lifespan)
