"""AdFlowAI in the browser: the login gate, then navigation over the screens in pages/.

A new screen is one file in pages/ and one line in SCREENS.
"""

import streamlit as st

from ui.auth import require_login, sidebar_identity

SCREENS = [
    st.Page("pages/dashboard.py", title="Dashboard", icon=":material/space_dashboard:", default=True),
    st.Page("pages/campaigns.py", title="Campaigns", icon=":material/campaign:"),
    st.Page("pages/analytics.py", title="Analytics", icon=":material/query_stats:"),
    st.Page("pages/action_history.py", title="Action History", icon=":material/history:"),
]

st.set_page_config(page_title="AdFlowAI", page_icon=":material/ads_click:", layout="wide")
profile = require_login()
navigation = st.navigation(SCREENS)
sidebar_identity(profile)
navigation.run()
