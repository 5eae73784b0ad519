"""Shared set-up for benchmarks: a throw-away PostgreSQL database, a company, seeds and budgets."""

import argparse
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from core.actor import Actor
from core.companies import service as companies
from core.database import upgrade_schema
from core.users import service as users
from db import Database

DEFAULT_ADMIN_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"


def postgres_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--postgres-url",
        default=DEFAULT_ADMIN_URL,
        help="administrative connection; a scratch database is created and dropped",
    )


@contextmanager
def scratch_postgres(admin_url: str) -> Iterator[Database]:
    """A new, migrated PostgreSQL database that is dropped afterwards."""
    name = f"adflow_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    database = Database(make_url(admin_url).set(database=name).render_as_string(hide_password=False))
    try:
        upgrade_schema(database)
        yield database
    finally:
        database.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def bench_company(database: Database, name: str = "Bench Co", username: str = "bench") -> Actor:
    with database.session_scope() as session:
        company = companies.create(session, name)
        user = users.create(
            session,
            company,
            {
                "username": username,
                "email": f"{username}@bench.test",
                "password": "bench-password",
                "role": "admin",
            },
        )
        return Actor.for_user(user)


def seeds(text: str) -> list[int]:
    """Seeds from the command line: "1001-1012" or "3,5,7"."""
    if "-" in text:
        first, last = text.split("-")
        return list(range(int(first), int(last) + 1))
    return [int(s) for s in text.split(",")]


def stepped_budgets(rng: np.random.Generator, days: int, low: float, high: float) -> np.ndarray:
    """Daily budgets as a marketer sets them: a level between low and high (log-uniform), changed
    by ±30% or so every one to two weeks."""
    level = float(np.exp(rng.uniform(np.log(low), np.log(high))))
    changes = np.cumsum(rng.integers(7, 15, days))
    factors = np.exp(rng.normal(0.0, 0.3, days))
    return level * factors[np.searchsorted(changes, np.arange(days))]
