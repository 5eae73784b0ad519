"""The product's database, as configured, and schema upgrades through Alembic."""

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from alembic import command
from alembic.config import Config
from sqlalchemy.orm import Session

from core.config import PROJECT_ROOT, get_settings
from db import Database


@lru_cache
def get_database() -> Database:
    return Database(get_settings().database_url)


@contextmanager
def session_scope() -> Iterator[Session]:
    """One unit of work on the configured database (commit on success, rollback on error)."""
    with get_database().session_scope() as session:
        yield session


def alembic_config() -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.attributes["configure_logging"] = False
    return config


def upgrade_schema(database: Database | None = None) -> None:
    """Bring the schema to the newest migration (creates it on an empty database)."""
    database = database or get_database()
    config = alembic_config()
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
