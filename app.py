"""AdFlowAI in the browser: navigation over the screens in pages/.

Every screen passes the login gate first (`ui.auth.signed_in`); the navigation is hidden until
someone has signed in. A new screen is one file in pages/ and one line in SCREENS.
"""

import streamlit as st

from ui.auth import is_signed_in

SCREENS = [
    st.Page("pages/dashboard.py", title="Dashboard", icon=":material/space_dashboard:", default=True),
    st.Page("pages/campaigns.py", title="Campaigns", icon=":material/campaign:"),
    st.Page("pages/analytics.py", title="Analytics", icon=":material/query_stats:"),
    st.Page("pages/recommendations.py", title="AI Recommendations", icon=":material/lightbulb:"),
    st.Page("pages/planner.py", title="Planner", icon=":material/timeline:"),
    st.Page("pages/action_history.py", title="Action History", icon=":material/history:"),
]

st.set_page_config(page_title="AdFlowAI", page_icon=":material/ads_click:", layout="wide")
st.navigation(SCREENS, position="sidebar" if is_signed_in() else "hidden").run()
