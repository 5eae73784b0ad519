"""action impacts: the planner's impact ledger

Revision ID: planner_0001
Revises: engine_0001
Create Date: 2026-11-25 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = "planner_0001"
down_revision: str | None = "engine_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "action_impacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("optimization_log_id", sa.Integer(), nullable=False),
        sa.Column("recommendation_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("metric", sa.String(length=16), nullable=False),
        sa.Column("window_start", sa.Date(), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("expected_effect", sa.Float(), nullable=True),
        sa.Column("forecast_effect", sa.Float(), nullable=False),
        sa.Column("forecast_low", sa.Float(), nullable=False),
        sa.Column("forecast_high", sa.Float(), nullable=False),
        sa.Column("did_effect", sa.Float(), nullable=True),
        sa.Column("did_low", sa.Float(), nullable=True),
        sa.Column("did_high", sa.Float(), nullable=True),
        sa.Column("controls", sa.Integer(), nullable=False),
        sa.Column("hit", sa.Boolean(), nullable=False),
        sa.Column("measured_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_action_impacts_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["optimization_log_id"],
            ["optimization_logs.id"],
            name=op.f("fk_action_impacts_optimization_log_id_optimization_logs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recommendation_id"],
            ["recommendations.id"],
            name=op.f("fk_action_impacts_recommendation_id_recommendations"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_impacts")),
        sa.UniqueConstraint("optimization_log_id", name=op.f("uq_action_impacts_optimization_log_id")),
    )
    op.create_index(op.f("ix_action_impacts_company_id"), "action_impacts", ["company_id"], unique=False)
    op.create_index(
        op.f("ix_action_impacts_recommendation_id"), "action_impacts", ["recommendation_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_action_impacts_recommendation_id"), table_name="action_impacts")
    op.drop_index(op.f("ix_action_impacts_company_id"), table_name="action_impacts")
    op.drop_table("action_impacts")
