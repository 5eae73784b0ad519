"""The database layer's two kinds of session, and its pool when the server drops connections."""

from collections.abc import Callable

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from core.companies import service as companies
from db import Database
from db.models import Company
from tests.conftest import PostgresServer


def test_a_read_session_sees_what_a_unit_of_work_committed(database: Database) -> None:
    with database.session_scope() as session:
        company_id = companies.create(session, "Read Back Ltd").id
    with database.read_scope() as session:
        assert session.scalar(select(Company.name).where(Company.id == company_id)) == "Read Back Ltd"


def test_postgresql_refuses_a_write_through_a_read_session(postgres_database: Database) -> None:
    with postgres_database.session_scope() as session:
        company_id = companies.create(session, "Unchanged Ltd").id
    with postgres_database.read_scope() as session, pytest.raises(DBAPIError, match="read-only"):
        session.execute(text("UPDATE companies SET name = 'Changed' WHERE id = :id"), {"id": company_id})
    with postgres_database.read_scope() as session:
        assert session.scalar(select(Company.name).where(Company.id == company_id)) == "Unchanged Ltd"


@pytest.mark.parametrize("scope", [Database.session_scope, Database.read_scope], ids=["unit of work", "read"])
def test_a_pooled_connection_the_server_closed_is_replaced_before_use(
    postgres_database: Database, postgres_server: PostgresServer, scope: Callable
) -> None:
    def backend_pid() -> int:
        with scope(postgres_database) as session:
            return session.scalar(text("SELECT pg_backend_pid()"))

    dropped = backend_pid()
    admin = Database(postgres_server.admin_url)
    try:
        with admin.session_scope() as session:
            assert session.scalar(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": dropped})
    finally:
        admin.dispose()
    # The pool hands out the same connection unless it notices the server hung up on it.
    assert backend_pid() != dropped
