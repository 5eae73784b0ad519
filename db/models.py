"""The tables of DESIGN.md §3. Money is Numeric(14, 2); timestamps are UTC; metrics are daily."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Computed,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base
from db.types import Count, JSONDocument, Money, TotalCount, TotalMoney, UTCDateTime, utcnow

BigId = BigInteger().with_variant(Integer, "sqlite")


def _ratio(numerator: str, denominator: str) -> Computed:
    """A stored per-day ratio; undefined (NULL) when the denominator is zero, as DESIGN.md says."""
    return Computed(
        f"CASE WHEN {denominator} > 0 THEN CAST({numerator} AS FLOAT) / {denominator} END",
        persisted=True,
    )


class Company(Base):
    __tablename__ = "companies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    # Thresholds, autopilot and notification channels; read through core, never raw.
    settings: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    users: Mapped[list["User"]] = relationship(back_populates="company")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login: Mapped[datetime | None] = mapped_column(UTCDateTime)

    company: Mapped[Company] = relationship(back_populates="users")


class Campaign(Base):
    __tablename__ = "campaigns"
    __table_args__ = (
        Index("ix_campaigns_company_status", "company_id", "status"),
        Index("ix_campaigns_company_name", "company_id", "name"),
        # The list's default order (newest first, id breaking ties) read straight off an index;
        # with the status beside it, archived campaigns are skipped without reading the rows.
        Index(
            "ix_campaigns_company_created", "company_id", "created_at", "id", postgresql_include=["status"]
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    objective: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    total_budget: Mapped[Decimal] = mapped_column(Money)
    spent_budget: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    daily_budget: Mapped[Decimal] = mapped_column(Money)
    target_cpa: Mapped[Decimal | None] = mapped_column(Money)
    target_roas: Mapped[float | None] = mapped_column(Float)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    target_audience: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    autopilot: Mapped[bool] = mapped_column(Boolean, default=False)
    performance_score: Mapped[float | None] = mapped_column(Float)
    # Roll-ups of metrics_history, refreshed whenever a campaign's metrics change.
    impressions: Mapped[int] = mapped_column(BigInteger, default=0)
    clicks: Mapped[int] = mapped_column(BigInteger, default=0)
    conversions: Mapped[Decimal] = mapped_column(Count, default=Decimal("0"))
    revenue: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    ctr: Mapped[float | None] = mapped_column(Float)
    cpc: Mapped[float | None] = mapped_column(Float)
    cpa: Mapped[float | None] = mapped_column(Float)
    roas: Mapped[float | None] = mapped_column(Float)
    last_optimization: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    platform_campaigns: Mapped[list["PlatformCampaign"]] = relationship(
        back_populates="campaign", order_by="PlatformCampaign.platform"
    )

    @hybrid_property
    def remaining_budget(self) -> Decimal:
        return self.total_budget - self.spent_budget


class PlatformCampaign(Base):
    """A campaign's presence on one platform (a placement)."""

    __tablename__ = "platform_campaigns"
    __table_args__ = (
        UniqueConstraint("campaign_id", "platform"),
        UniqueConstraint("company_id", "platform", "external_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(16))
    # The platform's own id for this campaign (DESIGN.md calls it platform_campaign_id).
    external_id: Mapped[str] = mapped_column(String(200))
    data_source: Mapped[str] = mapped_column(String(16))
    allocated_budget: Mapped[Decimal] = mapped_column(Money)  # daily
    spent_budget: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    performance_score: Mapped[float | None] = mapped_column(Float)
    platform_metrics: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    last_synced: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    campaign: Mapped[Campaign] = relationship(back_populates="platform_campaigns")


class MetricsHistory(Base):
    """One day of one placement. Ratios are derived by the database, so they can never drift."""

    __tablename__ = "metrics_history"
    __table_args__ = (UniqueConstraint("platform_campaign_id", "date"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    platform_campaign_id: Mapped[int] = mapped_column(ForeignKey("platform_campaigns.id", ondelete="CASCADE"))
    date: Mapped[date] = mapped_column(Date)
    impressions: Mapped[int] = mapped_column(BigInteger)
    clicks: Mapped[int] = mapped_column(BigInteger)
    conversions: Mapped[Decimal] = mapped_column(Count)
    spend: Mapped[Decimal] = mapped_column(Money)
    revenue: Mapped[Decimal] = mapped_column(Money)
    ctr: Mapped[float | None] = mapped_column(Float, _ratio("clicks", "impressions"))
    cpc: Mapped[float | None] = mapped_column(Float, _ratio("spend", "clicks"))
    cpa: Mapped[float | None] = mapped_column(Float, _ratio("spend", "conversions"))
    roas: Mapped[float | None] = mapped_column(Float, _ratio("revenue", "spend"))
    performance_score: Mapped[float | None] = mapped_column(Float)


class DailyTotal(Base):
    """A company's metrics summed per platform and day: what dashboards total, without reading every
    placement's rows. Kept in step with metrics_history by `core.metrics.service.refresh_rollups`."""

    __tablename__ = "daily_totals"

    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True)
    date: Mapped[date] = mapped_column(Date, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    impressions: Mapped[int] = mapped_column(BigInteger)
    clicks: Mapped[int] = mapped_column(BigInteger)
    conversions: Mapped[Decimal] = mapped_column(TotalCount)
    spend: Mapped[Decimal] = mapped_column(TotalMoney)
    revenue: Mapped[Decimal] = mapped_column(TotalMoney)


class Recommendation(Base):
    __tablename__ = "recommendations"
    __table_args__ = (
        Index("ix_recommendations_company_status", "company_id", "status"),
        Index("ix_recommendations_campaign_status", "campaign_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    platform_campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("platform_campaigns.id", ondelete="CASCADE")
    )
    action: Mapped[str] = mapped_column(String(32))
    params: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    reason: Mapped[str] = mapped_column(Text)
    confidence: Mapped[float] = mapped_column(Float)
    expected_impact: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OptimizationLog(Base):
    """One action taken on a campaign, by a person or by the scheduler, with before and after."""

    __tablename__ = "optimization_logs"
    __table_args__ = (Index("ix_optimization_logs_company_performed", "company_id", "performed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    platform_campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("platform_campaigns.id", ondelete="CASCADE")
    )
    recommendation_id: Mapped[int | None] = mapped_column(
        ForeignKey("recommendations.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text, default="")
    before_state: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    after_state: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    confidence_score: Mapped[float | None] = mapped_column(Float)
    success: Mapped[bool] = mapped_column(Boolean)
    error_message: Mapped[str | None] = mapped_column(Text)
    performed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    performed_by: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # An undo is itself a log row pointing at the action it reversed.
    undo_of_id: Mapped[int | None] = mapped_column(ForeignKey("optimization_logs.id"))
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Alert(Base):
    __tablename__ = "alerts"
    __table_args__ = (
        Index("ix_alerts_company_status", "company_id", "status"),
        UniqueConstraint("platform_campaign_id", "date", "metric"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    platform_campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("platform_campaigns.id", ondelete="CASCADE")
    )
    date: Mapped[date] = mapped_column(Date)
    severity: Mapped[str] = mapped_column(String(16))
    metric: Mapped[str] = mapped_column(String(32))
    observed: Mapped[float | None] = mapped_column(Float)
    expected: Mapped[float | None] = mapped_column(Float)
    anomaly_score: Mapped[float] = mapped_column(Float)
    message: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PredictorModel(Base):
    """A trained performance predictor of one company, loadable by every process."""

    __tablename__ = "predictor_models"
    __table_args__ = (UniqueConstraint("company_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    trained_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The last day of history it learnt from, and how it did on the held-out weeks.
    data_until: Mapped[date] = mapped_column(Date)
    training_rows: Mapped[int] = mapped_column(Integer)
    evaluation: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    # The fitted scikit-learn estimator, pickled (only ever written by core.optimizer).
    model: Mapped[bytes] = mapped_column(LargeBinary)


class ActionImpact(Base):
    """What an applied recommendation measurably did, once its measurement window had passed.

    Two measurements of the effect on the campaign's objective over the window, each with an 80%
    interval: against the placements' own pre-action forecast, and against comparable placements
    that were not changed (difference-in-differences; NULL when there were none).
    """

    __tablename__ = "action_impacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    optimization_log_id: Mapped[int] = mapped_column(
        ForeignKey("optimization_logs.id", ondelete="CASCADE"), unique=True
    )
    recommendation_id: Mapped[int | None] = mapped_column(
        ForeignKey("recommendations.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(String(32))
    metric: Mapped[str] = mapped_column(String(16))  # conversions or revenue
    window_start: Mapped[date] = mapped_column(Date)
    window_days: Mapped[int] = mapped_column(Integer)
    expected_effect: Mapped[float | None] = mapped_column(Float)  # what the recommendation promised
    forecast_effect: Mapped[float] = mapped_column(Float)
    forecast_low: Mapped[float] = mapped_column(Float)
    forecast_high: Mapped[float] = mapped_column(Float)
    did_effect: Mapped[float | None] = mapped_column(Float)
    did_low: Mapped[float | None] = mapped_column(Float)
    did_high: Mapped[float | None] = mapped_column(Float)
    controls: Mapped[int] = mapped_column(Integer)  # comparable placements used
    hit: Mapped[bool] = mapped_column(Boolean)
    measured_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiKey(Base):
    """A key for the REST API. Only its SHA-256 is stored, with a short prefix to recognise it."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RefreshToken(Base):
    """A refresh token handed out at login. Only its id (the JWT's jti) is kept, so it can be revoked."""

    __tablename__ = "refresh_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class JobRun(Base):
    __tablename__ = "job_runs"
    __table_args__ = (Index("ix_job_runs_job_started", "job", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(64))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the pass this run belongs to began (a per-company job is one run per company): a pass
    # cut short is resumed from here, skipping the companies it had finished.
    batch_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16))
    counts: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    error: Mapped[str | None] = mapped_column(Text)


class Notification(Base):
    """One message to one channel: the outbox. Written in the transaction of the event that causes
    it, delivered later by the scheduler with retries, and kept with its outcome."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_status_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(500))  # an e-mail address or a webhook URL
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SimulatorPlacement(Base):
    """The simulated ad platforms' own record of a placement: its budget and status over time.

    This is the platform's side of the fence, kept here only because the simulator has no server
    of its own. core/optimizer never reads it.
    """

    __tablename__ = "simulator_placements"
    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(200))
    # Optional overrides of the placement's hidden character (the demo uses them).
    traits: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    # [[iso_date, daily_budget, is_active], ...] in date order: what was in effect from each day on.
    schedule: Mapped[list[Any]] = mapped_column(JSONDocument, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
