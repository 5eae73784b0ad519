"""The command line on empty databases, as a newcomer or an operator would run it."""

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from core.config import PROJECT_ROOT
from tests.conftest import PostgresServer


def cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "core.cli", *args],
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
