"""predictor models

Revision ID: engine_0001
Revises: datain_0002
Create Date: 2026-11-25 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = "engine_0001"
down_revision: str | None = "datain_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "predictor_models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("trained_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("data_until", sa.Date(), nullable=False),
        sa.Column("training_rows", sa.Integer(), nullable=False),
        sa.Column("evaluation", sa.JSON(), nullable=False),
        sa.Column("model", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_predictor_models_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_predictor_models")),
        sa.UniqueConstraint("company_id", "version", name=op.f("uq_predictor_models_company_id_version")),
    )


def downgrade() -> None:
    op.drop_table("predictor_models")
