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


def test_the_campaign_lists_index_carries_the_status_on_postgresql(postgres_database: Database) -> None:
    # A page of non-archived campaigns is then read off the index, without visiting the rows.
    indexes = {i["name"]: i for i in inspect(postgres_database.engine).get_indexes("campaigns")}
    order = indexes["ix_campaigns_company_created"]
    assert order["column_names"] == ["company_id", "created_at", "id"]
    assert order["dialect_options"]["postgresql_include"] == ["status"]
