"""The HTTP side of the server (Starlette, under `streamlit run serveur.py`): routes, middleware
and the lifespan of scheduled work. No Streamlit script code here; domain rules stay in
fluxcore, which these handlers call."""
