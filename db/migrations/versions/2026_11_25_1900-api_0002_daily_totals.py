"""daily totals: each company's metrics per platform and day, for dashboards

Revision ID: api_0002
Revises: planner_0001
Create Date: 2026-11-25 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "api_0002"
down_revision: str | None = "planner_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "daily_totals",
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("impressions", sa.BigInteger(), nullable=False),
        sa.Column("clicks", sa.BigInteger(), nullable=False),
        sa.Column("conversions", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("spend", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("revenue", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_daily_totals_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("company_id", "date", "platform", name=op.f("pk_daily_totals")),
    )
    # The history already stored, summed once.
    op.execute(
        """
        INSERT INTO daily_totals (company_id, date, platform, impressions, clicks, conversions, spend, revenue)
        SELECT p.company_id, m.date, p.platform, SUM(m.impressions), SUM(m.clicks), SUM(m.conversions),
               SUM(m.spend), SUM(m.revenue)
        FROM metrics_history m JOIN platform_campaigns p ON p.id = m.platform_campaign_id
        GROUP BY p.company_id, m.date, p.platform
        """
    )


def downgrade() -> None:
    op.drop_table("daily_totals")
