"""Whether the services the product depends on answer: the database, and Redis when configured."""

from dataclasses import dataclass
from typing import Literal

import redis
from pydantic import computed_field
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from db import Database

PING_TIMEOUT_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class Dependency:
    ok: bool
    detail: str


@dataclass(frozen=True, slots=True)
class Health:
    database: Dependency
    # None when Redis is not configured (the product then keeps its counters in the process).
    redis: Dependency | None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def status(self) -> Literal["ok", "degraded", "unavailable"]:
        """unavailable without the database; degraded while a configured Redis is down (counters,
        caches and locks then live in each process); ok otherwise."""
        if not self.database.ok:
            return "unavailable"
        return "degraded" if self.down else "ok"

    @computed_field  # type: ignore[prop-decorator]
    @property
    def down(self) -> list[str]:
        """The dependencies that do not answer."""
        checked = {"database": self.database, "redis": self.redis}
        return [name for name, dependency in checked.items() if dependency is not None and not dependency.ok]

    @property
    def ok(self) -> bool:
        """The database is required; Redis is not (everything falls back to the process)."""
        return self.database.ok


def check(database: Database, redis_url: str | None) -> Health:
    return Health(_database(database), _redis(redis_url) if redis_url else None)


def _database(database: Database) -> Dependency:
    try:
        with database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        return Dependency(False, f"{database.dialect} unreachable: {type(exc).__name__}")
    return Dependency(True, f"{database.dialect} answers")


def _redis(url: str) -> Dependency:
    client = redis.Redis.from_url(
        url, socket_timeout=PING_TIMEOUT_SECONDS, socket_connect_timeout=PING_TIMEOUT_SECONDS
    )
    try:
        client.ping()
    except (redis.RedisError, OSError) as exc:
        return Dependency(False, f"redis unreachable: {type(exc).__name__}")
    finally:
        client.close()
    return Dependency(True, "redis answers")
