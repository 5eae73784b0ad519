"""The command line on empty databases, as a newcomer or an operator would run it."""

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import create_engine, text

from core.config import PROJECT_ROOT
from tests.conftest import PostgresServer


def cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "ADFLOW_BCRYPT_ROUNDS": "4", **env},
    )


@pytest.fixture(params=["sqlite", "postgres"])
def empty_database_url(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_server: PostgresServer
) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
        return
    url = postgres_server.create_database("adflow_cli")
    yield url
    postgres_server.drop_database(url)


def test_init_db_then_seed_demo_on_an_empty_database(empty_database_url: str) -> None:
    for command in ("init-db", "seed-demo", "seed-demo"):
        done = cli(command, DATABASE_URL=empty_database_url)
        assert done.returncode == 0, done.stderr
    assert "demo / adflow-demo" in done.stdout
    engine = create_engine(empty_database_url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM campaigns")).scalar() >= 12
        assert connection.execute(text("SELECT count(*) FROM metrics_history")).scalar() > 3000
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    engine.dispose()


def test_production_with_the_development_secret_is_refused(tmp_path: Path) -> None:
    done = cli("init-db", DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}", ADFLOW_ENV="production")
    assert done.returncode == 2
    assert "ADFLOW_SECRET_KEY" in done.stderr
    assert "Traceback" not in done.stderr


def test_an_unknown_command_is_refused_with_usage() -> None:
    done = cli("launch-rockets")
    assert done.returncode == 2
    assert "usage:" in done.stderr


def test_optimize_a_seeded_company_then_apply(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'optimize.sqlite3'}"
    for command in ("init-db", "seed-demo"):
        assert cli(command, DATABASE_URL=url).returncode == 0

    done = cli("optimize", "--company", "Demo Co", DATABASE_URL=url)
    assert done.returncode == 0, done.stderr
    assert "Recommendations: 0 new" in done.stdout and "still pending" in done.stdout

    applied = cli("optimize", "--company", "Demo Co", "--apply", DATABASE_URL=url)
    assert applied.returncode == 0, applied.stderr
    missing = cli("optimize", "--company", "Nobody Inc", DATABASE_URL=url)
    assert missing.returncode == 2 and "Nobody Inc" in missing.stderr and "Traceback" not in missing.stderr


def history_csv(path: Path) -> Path:
    rng = np.random.default_rng(0)
    rows = []
    for placement, rate in ((11, 0.06), (12, 0.02)):
        for day in range(42):
            spend = 100 * float(np.exp(rng.normal(0, 0.3)))
            rows.append(
                {
                    "date": (date(2026, 9, 1) + timedelta(days=day)).isoformat(),
                    "platform_campaign_id": placement,
                    "spend": round(spend, 2),
                    "impressions": int(spend * 50),
                    "clicks": int(spend),
                    "conversions": float(rng.poisson(rate * spend)),
                    "revenue": 0.0,
                }
            )
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_allocate_from_a_csv_prints_a_plan_that_adds_up(tmp_path: Path) -> None:
    history = history_csv(tmp_path / "history.csv")

    done = cli("allocate", "--history", str(history), "--budget", "250", "--json")

    assert done.returncode == 0, done.stderr
    plan = json.loads(done.stdout)
    budgets = {p["platform_campaign_id"]: Decimal(p["budget"]) for p in plan["placements"]}
    assert sum(budgets.values()) == Decimal("250.00") and budgets[11] > budgets[12]
    readable = cli("allocate", "--history", str(history), "--budget", "250")
    assert readable.returncode == 0 and "Expected conversions per day" in readable.stdout


def test_anomalies_in_a_csv(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"day": pd.date_range("2026-01-01", periods=60).strftime("%Y-%m-%d"), "spend": 100.0}
    )
    frame["spend"] += np.random.default_rng(1).normal(0, 3, 60)
    frame.loc[40, "spend"] = 500.0
    path = tmp_path / "series.csv"
    frame.to_csv(path, index=False)

    done = cli("anomalies", "--csv", str(path), "--time-column", "day", "--value-column", "spend", "--json")

    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert [i for i, row in enumerate(rows) if row["is_anomaly"]] == [40]
    assert all(0 <= row["anomaly_score"] <= 1 for row in rows)


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        (None, ("allocate", "--budget", "100"), "no file"),
        ("", ("allocate", "--budget", "100"), "empty"),
        ("date,spend\n2026-01-01,10\n", ("allocate", "--budget", "100"), "missing required columns"),
        (b"\xff\xfe\x00garbage\x00", ("allocate", "--budget", "100"), "not a readable CSV"),
        (
            "day,spend\n2026-01-01,10\n",
            ("anomalies", "--time-column", "when", "--value-column", "spend"),
            "when",
        ),
        (
            "day,spend\n2026-01-01,abc\n",
            ("anomalies", "--time-column", "day", "--value-column", "spend"),
            "numbers",
        ),
    ],
)
def test_bad_files_are_refused_with_a_message(tmp_path: Path, content, args, message) -> None:
    path = tmp_path / "input.csv"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    option = "--history" if args[0] == "allocate" else "--csv"

    done = cli(*args, option, str(path))

    assert done.returncode == 2, done.stdout
    assert message in done.stderr and "Traceback" not in done.stderr


def test_a_bad_budget_is_refused(tmp_path: Path) -> None:
    done = cli("allocate", "--history", str(history_csv(tmp_path / "history.csv")), "--budget", "-5")
    assert done.returncode == 2 and "total_budget" in done.stderr
