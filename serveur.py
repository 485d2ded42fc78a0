"""The server: `streamlit run serveur.py` serves the app (app.py) plus the server's own routes
(health check, sign-in and sign-out pages, session cookie) and its scheduled work (backups,
purges), all declared in `web/`. `streamlit run app.py` still runs the bare app (no cookie
sessions, no scheduled work): what AppTest and a quick look on a laptop use."""

import streamlit as st

from web import application

app = st.App("app.py", routes=application.routes(), middleware=application.middleware(),
             lifespan=application.lifespan)
