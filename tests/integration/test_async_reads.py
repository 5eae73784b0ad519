"""The API's event-loop reads over asyncpg, against the real PostgreSQL."""

import asyncio

import asyncpg
import pytest
from sqlalchemy import bindparam, func, select, text

from db import Database

NUMBER_PLUS_ONE = select(bindparam("number") + 1)
SLEEP = select(func.pg_sleep(bindparam("seconds")))


def test_a_statement_runs_with_its_parameters_and_a_write_is_refused(postgres_database: Database) -> None:
    async def reads() -> list:
        pool = postgres_database.async_reads(pool_size=1)
        try:
            rows = [await pool.fetch(NUMBER_PLUS_ONE, {"number": n}) for n in (1, 41)]
            with pytest.raises(asyncpg.ReadOnlySQLTransactionError):
                await pool.fetch(text("CREATE TABLE written_by_a_read (x int)"), {})
            return rows
        finally:
            await pool.aclose()

    assert [list(rows[0]) for rows in asyncio.run(reads())] == [[2], [42]]


def test_a_caller_waiting_for_a_connection_is_served_before_later_arrivals(
    postgres_database: Database,
) -> None:
    # asyncpg's own queue hands a released connection to whichever caller asks first, not to the
    # one that has waited longest: under load, some requests waited many turns (p95 several
    # times p50). Here new callers keep arriving while one waits for the only connection.
    served: list[str] = []

    async def reads() -> None:
        pool = postgres_database.async_reads(pool_size=1)

        async def caller(name: str, seconds: float = 0.0) -> None:
            await pool.fetch(SLEEP, {"seconds": seconds})
            served.append(name)

        try:
            first = asyncio.create_task(caller("first", 0.05))
            await asyncio.sleep(0.01)
            waiting = asyncio.create_task(caller("waiting"))
            later = []
            loop = asyncio.get_running_loop()
            give_up = loop.time() + 0.5
            while not waiting.done() and loop.time() < give_up:
                later.append(asyncio.create_task(caller("later")))
                await asyncio.sleep(0)
            await asyncio.gather(first, *later)
        finally:
            await pool.aclose()

    asyncio.run(reads())
    # Without turns, it came after thousands of later callers (when they stopped coming).
    assert served[:2] == ["first", "waiting"]
