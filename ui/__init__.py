"""Streamlit-aware helpers: cached data adapters, sidebar state, theme, figures.

Importing this package also fixes one Streamlit quirk. Because a `pages/` folder sits next to
app.py, the very first run of a fresh server that is opened on a page address (for instance a
projector bookmark on /jauges) runs that page script alone, in the old "pages folder" mode,
without app.py's navigation and sidebar. Every page imports `ui` before drawing anything: when
that mode is detected, we switch it off and rerun, so app.py takes over (same address).
"""

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

if PagesManager.uses_pages_directory:
    PagesManager.uses_pages_directory = False
    st.rerun()
