"""The API in-process (TestClient) over the test databases.

`api` serves the app on the test's own rolled-back session (each request a savepoint, committed
or rolled back like a real unit of work), so it sees the `tenant` fixtures; `fresh_api` serves
it on a throw-away database of its own, through the real session handling.
"""

import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.app import create_app
from api.deps import (
    get_connectors,
    get_read_session,
    get_reads,
    get_session,
    get_today,
    get_units_of_work,
)
from core.config import Settings, get_settings
from core.database import upgrade_schema
from core.platforms.registry import Connectors
from core.rate_limit import RateLimiter
from db import Database
from db.reads import AsyncReads
from tests.conftest import TODAY, PostgresServer, Tenant

PASSWORD = "correct horse"
REDIS_URL = "redis://127.0.0.1:6379/0"
# High enough that only the rate-limit tests ever meet it.
GENEROUS_LIMIT = 100_000


def generous_limiter() -> RateLimiter:
    return RateLimiter(GENEROUS_LIMIT, 60)


def unique_redis_prefix() -> str:
    return f"adflow-test:{uuid.uuid4().hex}:ratelimit"


@dataclass
class Api:
    client: TestClient
    session: Session

    def headers(self, login: str, password: str = PASSWORD) -> dict[str, str]:
        """Signs in through the API, as a script would."""
        response = self.client.post("/api/v1/auth/login", json={"username": login, "password": password})
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}


def serve_on_session(session: Session, database: Database, **app_options) -> TestClient:
    app = create_app(database, **{"rate_limiter": generous_limiter(), **app_options})

    def session_per_request() -> Iterator[Session]:
        try:
            yield session
            session.commit()  # a savepoint of the test's transaction
        except BaseException:
            session.rollback()
            raise

    def units_of_work_on_session() -> Callable[[], AbstractContextManager[Session]]:
        return contextmanager(session_per_request)

    def reads_on_session() -> Iterator[Session]:
        yield session

    app.dependency_overrides[get_session] = session_per_request
    app.dependency_overrides[get_read_session] = reads_on_session
    app.dependency_overrides[get_units_of_work] = units_of_work_on_session
    app.dependency_overrides[get_reads] = lambda: AsyncReads(database.dialect, lambda: nullcontext(session))
    app.dependency_overrides[get_connectors] = lambda: Connectors(session, today=TODAY)
    app.dependency_overrides[get_today] = lambda: TODAY
    return TestClient(app)


@pytest.fixture
def api(session: Session, database: Database, tenant: Tenant, other_tenant: Tenant) -> Iterator[Api]:
    session.commit()  # the tenants survive a request that fails and rolls back
    with serve_on_session(session, database) as client:
        yield Api(client, session)


@pytest.fixture(params=["sqlite", "postgres"])
def throwaway_database(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_server: PostgresServer
) -> Iterator[Database]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'api.sqlite3'}"
    else:
        url = postgres_server.create_database("adflow_api")
    database = Database(url)
    upgrade_schema(database)
    yield database
    database.dispose()
    if request.param == "postgres":
        postgres_server.drop_database(url)


@pytest.fixture
def fresh_api(throwaway_database: Database) -> Iterator[TestClient]:
    with TestClient(create_app(throwaway_database, rate_limiter=generous_limiter())) as client:
        yield client


def settings_with(**changes) -> Settings:
    return get_settings().model_copy(update=changes)
