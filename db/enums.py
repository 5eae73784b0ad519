"""The closed vocabularies stored in the database, shared by every layer above it."""

from enum import StrEnum


class Platform(StrEnum):
    GOOGLE_ADS = "google_ads"
    FACEBOOK = "facebook"
    INSTAGRAM = "instagram"
    LINKEDIN = "linkedin"
    TWITTER = "twitter"
    TIKTOK = "tiktok"

    @property
    def label(self) -> str:
        return PLATFORM_LABELS[self]


PLATFORM_LABELS = {
    Platform.GOOGLE_ADS: "Google Ads",
    Platform.FACEBOOK: "Facebook",
    Platform.INSTAGRAM: "Instagram",
    Platform.LINKEDIN: "LinkedIn",
    Platform.TWITTER: "Twitter/X",
    Platform.TIKTOK: "TikTok",
}


class Role(StrEnum):
    ADMIN = "admin"
    MARKETER = "marketer"
    VIEWER = "viewer"


class Objective(StrEnum):
    """What a campaign is bought for; it decides whether efficiency means CPA or ROAS."""

    AWARENESS = "awareness"
    TRAFFIC = "traffic"
    LEADS = "leads"
    CONVERSIONS = "conversions"
    SALES = "sales"


class CampaignStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    PAUSED = "paused"
    COMPLETED = "completed"
    ARCHIVED = "archived"


class DataSource(StrEnum):
    """Where a placement's metrics come from: a connector we can sync and steer, or file imports."""

    SIMULATOR = "simulator"
    IMPORT = "import"


class RecommendationStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    APPLIED = "applied"
    FAILED = "failed"
    EXPIRED = "expired"
    SUPERSEDED = "superseded"


class AlertStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class JobStatus(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    # Done, but part of the work failed (one platform's connector, one undeliverable message).
    PARTIAL = "partial"
    FAILED = "failed"
    SKIPPED = "skipped"


class NotificationKind(StrEnum):
    ALERT = "alert"  # a new high-severity alert
    AUTOPILOT_ACTION = "autopilot_action"  # an action the autopilot applied


class NotificationChannel(StrEnum):
    EMAIL = "email"
    WEBHOOK = "webhook"  # Slack-compatible incoming webhook


class NotificationStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # given up after its retries, or refused for good by the receiver
