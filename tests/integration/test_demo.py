from datetime import timedelta

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from cli.demo import HISTORY_DAYS, seed_demo
from core.actor import Actor
from core.alerts import service as alerts
from core.metrics import queries
from core.recommendations import service as recommendations
from core.users import service as users
from db.models import (
    Alert,
    Campaign,
    MetricsHistory,
    PlatformCampaign,
    Recommendation,
    SimulatorPlacement,
    User,
)
from tests.conftest import TODAY


def table(session: Session, model: type, *exclude: str) -> pd.DataFrame:
    columns = [c for c in model.__table__.columns if c.name not in exclude]
    return pd.read_sql(select(*columns).order_by(*model.__table__.primary_key.columns), session.connection())


# When a row was written, not what it says: these differ between two runs by design.
TIMESTAMPS = ("created_at", "updated_at", "last_synced", "last_login", "password_hash", "last_optimization")
TABLES = (User, Campaign, PlatformCampaign, MetricsHistory, SimulatorPlacement, Recommendation, Alert)


def test_seed_demo_twice_gives_the_same_rows(session: Session) -> None:
    seed_demo(session, today=TODAY)
    session.flush()
    first = {m: table(session, m, *TIMESTAMPS) for m in TABLES}

    seed_demo(session, today=TODAY)
    session.flush()

    for model, frame in first.items():
        pd.testing.assert_frame_equal(frame, table(session, model, *TIMESTAMPS), obj=model.__name__)


def test_the_demo_has_something_real_to_show(session: Session) -> None:
    summary = seed_demo(session, today=TODAY)
    demo = Actor.for_user(users.authenticate(session, "demo", "adflow-demo"))
    viewer = users.authenticate(session, "viewer", "adflow-viewer")

    assert viewer.role == "viewer" and viewer.company_id == demo.company_id == summary.company_id
    assert summary.campaigns >= 12
    placements = queries.rollup(session, demo, by="placement")
    assert set(placements["platform"]) == {
        "google_ads",
        "facebook",
        "instagram",
        "linkedin",
        "twitter",
        "tiktok",
    }
    days = queries.rollup(session, demo, by="day")
    assert days["date"].max() == TODAY - timedelta(days=1)
    assert days["date"].min() == TODAY - timedelta(days=HISTORY_DAYS)
    # weak and strong placements, far apart in efficiency
    cpa = placements["cpa"].dropna()
    assert cpa.max() > 4 * cpa.min()
    statuses = set(session.scalars(select(Campaign.status)))
    assert {"active", "paused", "draft"} <= statuses


def test_the_demo_opens_with_scores_alerts_and_pending_recommendations(session: Session) -> None:
    summary = seed_demo(session, today=TODAY)
    demo = Actor.for_user(users.authenticate(session, "demo", "adflow-demo"))

    pending = recommendations.get_all(session, demo)
    assert pending.total == summary.recommendations > 0
    assert all(r.reason and 0 <= r.confidence <= 1 and r.expected_impact for r in pending.items)
    assert alerts.get_all(session, demo).total > 0
    active = session.scalars(select(Campaign).where(Campaign.status == "active")).all()
    assert all(c.performance_score is not None and c.last_optimization is not None for c in active)
    scores = session.scalars(select(PlatformCampaign.performance_score)).all()
    assert any(s is not None and s < 0.3 for s in scores) and any(s is not None and s > 0.6 for s in scores)
