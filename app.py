"""AdFlowAI in the browser. (Interim screen until the full app lands: the demo campaigns.)"""

import pandas as pd
import streamlit as st

from core.actor import Actor
from core.campaigns import service as campaigns
from core.database import session_scope
from core.demo import DEMO_LOGIN
from core.users import service as users

st.set_page_config(page_title="AdFlowAI", layout="wide")
st.title("AdFlowAI")
with session_scope() as session:
    actor = Actor.for_user(users.get_by_username(session, DEMO_LOGIN[0]))
    page = campaigns.get_all(session, actor, {"page_size": 200})
    rows = [
        {
            "Campaign": c.name,
            "Status": c.status,
            "Spend": float(c.spent_budget),
            "Conversions": float(c.conversions),
            "ROAS": c.roas,
        }
        for c in page.items
    ]
st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
