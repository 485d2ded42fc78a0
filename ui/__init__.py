"""Streamlit-aware helpers: cached data adapters, sidebar state, theme, figures."""
