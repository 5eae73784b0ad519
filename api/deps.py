"""What routes ask for: a unit of work, the connectors, and who is calling (Bearer token or API key)."""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractContextManager
from datetime import date
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from core.actor import Actor
from core.api_keys import service as api_keys
from core.auth import service as auth
from core.auth.throttle import LoginThrottle
from core.errors import AuthenticationFailed
from core.platforms.registry import Connectors
from db import Database
from db.reads import AsyncReads

# Ids are 32-bit in every table; a larger one cannot name anything and must not reach the database.
MAX_ID = 2**31 - 1

bearer_scheme = HTTPBearer(
    auto_error=False, description="An access token from POST /api/v1/auth/login (it lasts minutes)."
)
api_key_scheme = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="A key from POST /api/v1/api-keys, for scripts."
)


# Dependencies that do no I/O are `async def`: a sync one costs a hop to the thread pool per request.
async def get_database(request: Request) -> Database:
    return request.app.state.database


async def get_session(
    request: Request, database: Annotated[Database, Depends(get_database)]
) -> AsyncIterator[Session]:
    """One unit of work per request, committed before the response leaves (or rolled back on error).

    No more requests hold a session than the connection pool has connections: otherwise, under
    load, every worker thread can end up waiting for a connection that a request holds while it
    waits for a worker thread, and nothing moves until the pool times out.
    """
    async with request.app.state.session_slots:
        unit_of_work = database.session_scope()
        session = unit_of_work.__enter__()  # builds a Session, no I/O: no trip to a thread needed
        try:
            yield session
        except BaseException as exc:
            await _leave(unit_of_work, session, exc)
            raise
        await _leave(unit_of_work, session, None)


async def _leave(
    unit_of_work: AbstractContextManager[Session], session: Session, exc: BaseException | None
) -> None:
    """End the unit of work; on a thread only if it began one (a request answered from caches did not)."""
    args = (type(exc), exc, exc.__traceback__) if exc else (None, None, None)
    if session.in_transaction():
        await run_in_threadpool(unit_of_work.__exit__, *args)
    else:
        unit_of_work.__exit__(*args)


async def get_read_session(database: Annotated[Database, Depends(get_database)]) -> AsyncIterator[Session]:
    """A read-only session (Database.read_scope) for routes that only read.

    Its connection is checked out on the route's thread and handed back here, with no I/O: an
    autocommit connection has nothing to end.
    """
    with database.read_scope() as session:
        yield session


async def get_reads(request: Request) -> AsyncReads:
    """Reads from the event loop (db.reads), for the routes read most."""
    return request.app.state.reads


DatabaseDep = Annotated[Database, Depends(get_database)]
# scope="function": the commit happens before the response is sent, so a failed commit is an error.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
ReadSessionDep = Annotated[Session, Depends(get_read_session, scope="function")]
ReadsDep = Annotated[AsyncReads, Depends(get_reads)]


async def get_connectors(session: SessionDep) -> Connectors:
    return Connectors(session)


ConnectorsDep = Annotated[Connectors, Depends(get_connectors)]


async def get_login_throttle(request: Request) -> LoginThrottle:
    return request.app.state.login_throttle


LoginThrottleDep = Annotated[LoginThrottle, Depends(get_login_throttle)]

UnitsOfWork = Callable[[], AbstractContextManager[Session]]


async def get_units_of_work(database: DatabaseDep) -> UnitsOfWork:
    """What opens a unit of work apart from the request's own (for work done before the route)."""
    return database.session_scope


async def get_current_actor(
    units_of_work: Annotated[UnitsOfWork, Depends(get_units_of_work)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    api_key: Annotated[str | None, Depends(api_key_scheme)],
) -> Actor:
    # A token whose user was read moments ago is answered here, without a session; reading one
    # takes a thread, and a unit of work of its own.
    if api_key:
        return await run_in_threadpool(_in_unit_of_work, units_of_work, api_keys.authenticate, api_key)
    if bearer:
        return auth.known_actor(bearer.credentials) or await run_in_threadpool(
            _in_unit_of_work, units_of_work, auth.actor_for_access_token, bearer.credentials
        )
    raise AuthenticationFailed(
        "Sign in first: send 'Authorization: Bearer <access token>' or an 'X-API-Key' header."
    )


def _in_unit_of_work(
    units_of_work: UnitsOfWork, authenticate: Callable[[Session, str], Actor], secret: str
) -> Actor:
    with units_of_work() as session:
        return authenticate(session, secret)


CurrentActor = Annotated[Actor, Depends(get_current_actor)]


async def get_writer(actor: CurrentActor) -> Actor:
    """The caller, if their role may change things: a viewer is refused before anything is read."""
    actor.require_write()
    return actor


WriterActor = Annotated[Actor, Depends(get_writer)]


# A row id in a path: positive and 32-bit, like every id column.
Id = Annotated[int, Path(ge=1, le=MAX_ID)]


async def get_today() -> date:
    """The day the API works on: default date ranges end before it, forecasts start on it."""
    return date.today()


Today = Annotated[date, Depends(get_today)]
