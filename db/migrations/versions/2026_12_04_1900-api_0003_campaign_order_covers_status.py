"""the campaign list's index carries the status: a page of non-archived campaigns is read off it

Revision ID: api_0003
Revises: api_0002
Create Date: 2026-12-04 19:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "api_0003"
down_revision: str | None = "api_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ["company_id", "created_at", "id"]


def upgrade() -> None:
    # INCLUDE is PostgreSQL's; SQLite keeps the index it has.
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_campaigns_company_created", table_name="campaigns")
    op.create_index("ix_campaigns_company_created", "campaigns", COLUMNS, postgresql_include=["status"])


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_campaigns_company_created", table_name="campaigns")
    op.create_index("ix_campaigns_company_created", "campaigns", COLUMNS)
