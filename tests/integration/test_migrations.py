"""The migrations build exactly the schema the models describe, on both databases."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from db import Database
from db.base import Base


def test_models_and_migrations_agree(database: Database) -> None:
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_head_has_every_table_of_the_design(database: Database) -> None:
    tables = set(inspect(database.engine).get_table_names())
    assert {
        "companies",
        "users",
        "campaigns",
        "platform_campaigns",
        "metrics_history",
        "optimization_logs",
        "recommendations",
        "alerts",
        "api_keys",
        "job_runs",
    } <= tables
    unique = inspect(database.engine).get_unique_constraints("metrics_history")
    assert any(u["column_names"] == ["platform_campaign_id", "date"] for u in unique)
