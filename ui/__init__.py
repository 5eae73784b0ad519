"""Streamlit building blocks shared by app.py and the pages: login, formatting, caching, charts."""
