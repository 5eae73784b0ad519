"""Shared fixtures: a fresh SQLite file and a fresh PostgreSQL database per test run.

Every test that asks for `session` runs once on each database, inside a transaction that is
rolled back afterwards, so tests never see each other's rows.
"""

import os
import random
import shutil
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from cli.demo import seed_demo
from core.actor import Actor
from core.campaigns import service as campaigns
from core.companies import service as companies
from core.database import upgrade_schema
from core.platforms.registry import Connectors
from core.users import service as users
from db import Database
from db.enums import Role
from db.models import Campaign, Company

# Cheap password hashing for the many users tests create (settings read the environment once).
os.environ.setdefault("ADFLOW_BCRYPT_ROUNDS", "4")

# The day the simulated world stands still on in tests.
TODAY = date(2026, 11, 1)
DEFAULT_POSTGRES_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
# Servers that tests start (an SMTP sink, a webhook receiver, the app) listen in this range.
TEST_PORTS = range(8200, 8300)


def free_port() -> int:
    """A port of TEST_PORTS that nothing listens on now (tried in a per-process order)."""
    for port in random.Random(os.getpid()).sample(TEST_PORTS, len(TEST_PORTS)):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {TEST_PORTS.start}-{TEST_PORTS.stop - 1}")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--postgres-url",
        default=os.environ.get("ADFLOW_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL),
        help="an administrative connection to the PostgreSQL server the tests create databases on",
    )
    parser.addoption(
        "--screenshot-dir",
        default=str(Path(__file__).resolve().parents[1] / "test-artifacts" / "screens"),
        help="where the browser test saves a screenshot of each screen (docs/screenshots for the README)",
    )


@dataclass(frozen=True)
class PostgresServer:
    admin_url: str

    def create_database(self, prefix: str = "adflow_test") -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        with _autocommit(self.admin_url) as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def drop_database(self, url: str) -> None:
        name = make_url(url).database
        with _autocommit(self.admin_url) as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


class _autocommit:  # noqa: N801 - used as a context manager, reads like one
    def __init__(self, url: str) -> None:
        self.engine = create_engine(url, isolation_level="AUTOCOMMIT")

    def __enter__(self):
        self.connection = self.engine.connect()
        return self.connection

    def __exit__(self, *exc: object) -> None:
        self.connection.close()
        self.engine.dispose()


@pytest.fixture(scope="session")
def postgres_server(request: pytest.FixtureRequest) -> PostgresServer:
    return PostgresServer(request.config.getoption("--postgres-url"))


@pytest.fixture(scope="session")
def sqlite_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path_factory.mktemp('db') / 'adflow.sqlite3'}")
    upgrade_schema(database)
    yield database
    database.dispose()


@pytest.fixture(scope="session")
def postgres_database(postgres_server: PostgresServer) -> Iterator[Database]:
    url = postgres_server.create_database()
    database = Database(url)
    upgrade_schema(database)
    yield database
    database.dispose()
    postgres_server.drop_database(url)


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest) -> Database:
    return request.getfixturevalue(f"{request.param}_database")


@pytest.fixture
def session(database: Database) -> Iterator[Session]:
    """A session whose every commit is a savepoint inside one transaction rolled back at the end."""
    connection = database.engine.connect()
    transaction = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()
        transaction.rollback()
        connection.close()


@dataclass(frozen=True)
class Tenant:
    company: Company
    admin: Actor
    marketer: Actor
    viewer: Actor


def make_tenant(session: Session, name: str) -> Tenant:
    company = companies.create(session, name)
    actors = {}
    for role in Role:
        user = users.create(
            session,
            company,
            {
                "username": f"{name.lower().replace(' ', '')}-{role}",
                "email": f"{role}@{name.lower().replace(' ', '')}.test",
                "password": "correct horse",
                "role": role,
            },
        )
        actors[role] = Actor.for_user(user)
    return Tenant(company, actors[Role.ADMIN], actors[Role.MARKETER], actors[Role.VIEWER])


@pytest.fixture
def tenant(session: Session) -> Tenant:
    return make_tenant(session, "Acme")


@pytest.fixture
def other_tenant(session: Session) -> Tenant:
    return make_tenant(session, "Globex")


@pytest.fixture
def connectors(session: Session) -> Connectors:
    return Connectors(session, today=TODAY)


def _seed_demo_into(database: Database) -> None:
    upgrade_schema(database)
    with database.session_scope() as session:
        seed_demo(session)
    database.dispose()


@pytest.fixture(scope="session")
def sqlite_demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file holding the seeded demo (as of the real today, like `make run`), to copy from."""
    path = tmp_path_factory.mktemp("demo") / "template.sqlite3"
    _seed_demo_into(Database(f"sqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def postgres_demo_template(postgres_server: PostgresServer) -> Iterator[str]:
    """The name of a PostgreSQL database holding the seeded demo, used as a template."""
    url = postgres_server.create_database("adflow_demo_template")
    _seed_demo_into(Database(url))
    yield make_url(url).database
    postgres_server.drop_database(url)


@pytest.fixture(params=["sqlite", "postgres"])
def fresh_demo_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new database of each kind holding the seeded demo, dropped after the test."""
    if request.param == "sqlite":
        path = tmp_path / "demo.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_demo_template"), path)
        yield f"sqlite:///{path}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    template = request.getfixturevalue("postgres_demo_template")
    url = make_url(server.admin_url).set(database=f"adflow_demo_{uuid.uuid4().hex[:12]}")
    with _autocommit(server.admin_url) as connection:
        connection.execute(text(f'CREATE DATABASE "{url.database}" TEMPLATE "{template}"'))
    yield url.render_as_string(hide_password=False)
    server.drop_database(url.render_as_string(hide_password=False))


def live_campaign(
    session: Session,
    actor: Actor,
    connectors: Connectors,
    name: str,
    platforms: list[str],
    *,
    days: int,
    today: date = TODAY,
    daily_budget: int = 100,
) -> Campaign:
    """An active campaign whose simulated placements have been running for `days` days."""
    first_day = today - timedelta(days=days)
    campaign = campaigns.create(
        session,
        actor,
        {
            "name": name,
            "total_budget": daily_budget * 100,
            "daily_budget": daily_budget,
            "start_date": first_day,
            "platforms": platforms,
            "status": "active",
        },
        connectors=connectors,
    )
    for placement in campaign.platform_campaigns:
        connectors.for_platform(placement.platform).provision(
            placement.external_id, schedule=[(first_day, daily_budget * 0.6, True)]
        )
    return campaign
