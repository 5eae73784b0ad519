"""Engines and session factories. The caller owns the transaction: one `session_scope()` per unit of
work, or one `read_scope()` for reads that need no transaction."""

import select
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from db.reads import AsyncReads


class Database:
    """One database: its engines (one for units of work, one for reads) and their session factories."""

    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 10) -> None:
        self.url = make_url(url)
        self.engine = _create_engine(url, echo=echo, pool_size=pool_size)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        self.read_engine = _create_read_engine(url, echo=echo, pool_size=pool_size) or self.engine
        self.read_sessionmaker = sessionmaker(self.read_engine, autoflush=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session_scope(self) -> Iterator[Session]:
        """A unit of work: commits when the block ends normally, rolls back if it raises."""
        session = self.sessionmaker()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def read_scope(self) -> Iterator[Session]:
        """A session for reads only: nothing is committed, and on PostgreSQL a write is refused.

        On PostgreSQL it draws on a pool of its own, of autocommit connections the server keeps
        read-only: each statement is its own snapshot, and no BEGIN or COMMIT costs a round trip.
        Reads that must agree with each other belong in one statement, or in a `session_scope()`.
        """
        session = self.read_sessionmaker()
        try:
            yield session
        finally:
            session.close()

    def async_reads(self, *, pool_size: int) -> AsyncReads:
        """Reads for code on an event loop (db.reads); each loop that serves requests needs its own."""
        postgres_url = self.url if self.dialect == "postgresql" else None
        return AsyncReads(self.dialect, self.read_scope, postgres_url=postgres_url, pool_size=pool_size)

    def dispose(self) -> None:
        self.engine.dispose()
        self.read_engine.dispose()


def _create_engine(url: str, *, echo: bool, pool_size: int) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # The app, the API and the scheduler share the file: wait for each other's locks.
        engine = create_engine(url, echo=echo, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _configure_sqlite_connection)
        # pysqlite's own transaction handling breaks SAVEPOINT; let SQLAlchemy emit BEGIN itself.
        event.listen(engine, "begin", lambda connection: connection.exec_driver_sql("BEGIN"))
        return engine
    engine = create_engine(url, echo=echo, pool_size=pool_size, max_overflow=pool_size)
    event.listen(engine, "checkout", _retire_if_dropped)
    return engine


def _create_read_engine(url: str, *, echo: bool, pool_size: int) -> Engine | None:
    """PostgreSQL's read-only autocommit engine; None on SQLite, whose reads cost no round trips."""
    if make_url(url).get_backend_name() == "sqlite":
        return None
    engine = create_engine(
        url,
        echo=echo,
        # No overflow: requests queue for these rather than open more connections than the server allows.
        pool_size=pool_size,
        max_overflow=0,
        # Nothing is ever left open to roll back on return.
        pool_reset_on_return=None,
        isolation_level="AUTOCOMMIT",
        connect_args={"options": "-c default_transaction_read_only=on"},
    )
    event.listen(engine, "checkout", _retire_if_dropped)
    return engine


def _retire_if_dropped(dbapi_connection, _record, _proxy) -> None:
    """Replace a pooled connection the server has closed (a restart, an idle timeout) before use.

    An idle connection has nothing to read unless the server hung up: a zero-wait select() tells
    without the round trip of a ping, which cost a quarter of a simple read's requests/s under load.
    """
    readable, _, _ = select.select([dbapi_connection.fileno()], [], [], 0)
    if readable or dbapi_connection.closed:
        raise DisconnectionError("the database closed this pooled connection")


def _configure_sqlite_connection(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
