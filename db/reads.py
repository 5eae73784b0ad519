"""Reads for code on an event loop: the API's busiest routes read without a hop to a worker thread.

On PostgreSQL the statements run over asyncpg, on a small pool of read-only connections of its
own: each is a SQLAlchemy statement, compiled for asyncpg once and from then on only executed
(asyncpg keeps it prepared on each connection). On a worker thread over psycopg2, the thread
hops and GIL hand-offs of each request cost more under load than the read itself. SQLite has no
round trips to wait on: there everything runs on a thread.
"""

import asyncio
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from functools import lru_cache
from typing import Any, TypeVar

import asyncpg
from sqlalchemy import Executable
from sqlalchemy.dialects.postgresql import asyncpg as asyncpg_dialect
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

ResultT = TypeVar("ResultT")


class AsyncReads:
    """Read-only statements and read-only work for callers on an event loop.

    `session_scope` gives the session that `run` works on, and `fetch` too where there is no
    asyncpg pool (SQLite, or a test's own session).
    """

    def __init__(
        self,
        dialect: str,
        session_scope: Callable[[], AbstractContextManager[Session]],
        *,
        postgres_url: URL | None = None,
        pool_size: int = 1,
    ) -> None:
        self.dialect = dialect
        self._session_scope = session_scope
        self._dsn = (
            postgres_url.set(drivername="postgresql").render_as_string(hide_password=False)
            if postgres_url
            else None
        )
        self._pool_size = pool_size
        self._pool: asyncpg.Pool | None = None
        self._opening = asyncio.Lock()
        # Callers take turns for a connection in the order they came: asyncpg's pool hands a freed
        # one to whoever asks first, so under load some requests waited many turns.
        self._turns = asyncio.Semaphore(pool_size)

    async def fetch(self, statement: Executable, parameters: Mapping[str, Any]) -> Sequence[Sequence[Any]]:
        """The statement's rows, as tuples (columns by position)."""
        if self._dsn is None:
            return await asyncio.to_thread(self._fetch_on_session, statement, parameters)
        sql, names, defaults = _for_asyncpg(statement)
        pool = self._pool or await self._open_pool()
        async with self._turns, pool.acquire() as connection:
            return await connection.fetch(sql, *[parameters.get(name, defaults[name]) for name in names])

    async def run(self, work: Callable[[Session], ResultT]) -> ResultT:
        """`work(session)` on a worker thread, with a read-only session."""
        return await asyncio.to_thread(self._run_on_session, work)

    async def aclose(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    def _fetch_on_session(
        self, statement: Executable, parameters: Mapping[str, Any]
    ) -> Sequence[Sequence[Any]]:
        with self._session_scope() as session:
            return session.connection().execute(statement, dict(parameters)).all()

    def _run_on_session(self, work: Callable[[Session], ResultT]) -> ResultT:
        with self._session_scope() as session:
            return work(session)

    async def _open_pool(self) -> asyncpg.Pool:
        # Opened on first use, on the loop that serves requests (the app is built before it runs).
        async with self._opening:
            if self._pool is None:
                self._pool = await asyncpg.create_pool(
                    self._dsn,
                    min_size=0,
                    max_size=self._pool_size,
                    server_settings={"default_transaction_read_only": "on"},
                    # Reads leave nothing behind to reset: the reset's round trip on every release
                    # cost as much as the read.
                    reset=_nothing_to_reset,
                )
            return self._pool


@lru_cache(maxsize=512)
def _for_asyncpg(statement: Executable) -> tuple[str, tuple[str, ...], dict[str, Any]]:
    """The statement's SQL for asyncpg, the names of its positional parameters, and their defaults."""
    compiled = statement.compile(dialect=asyncpg_dialect.dialect())
    return compiled.string, tuple(compiled.positiontup or ()), dict(compiled.params)


async def _nothing_to_reset(_: asyncpg.Connection) -> None:
    return None
