"""The one connector protocol every ad platform integration implements."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol

import pandas as pd

from db.enums import Platform

# Columns of the frame fetch_daily_metrics returns, one row per placement and day.
METRIC_FRAME_COLUMNS = ("external_id", "date", "impressions", "clicks", "conversions", "spend", "revenue")


@dataclass(frozen=True, slots=True)
class RemoteCampaign:
    """A campaign as the platform sees it."""

    external_id: str
    daily_budget: Decimal
    is_active: bool


@dataclass(frozen=True, slots=True)
class PlatformStatus:
    platform: Platform
    reachable: bool
    campaigns: int
    message: str


class Connector(Protocol):
    platform: Platform

    def list_campaigns(self) -> list[RemoteCampaign]: ...

    def fetch_daily_metrics(self, external_ids: Sequence[str], start: date, end: date) -> pd.DataFrame:
        """Complete days in [start, end] for the given campaigns, as METRIC_FRAME_COLUMNS."""
        ...

    def set_daily_budget(self, external_id: str, amount: Decimal) -> None: ...

    def pause(self, external_id: str) -> None: ...

    def resume(self, external_id: str) -> None: ...

    def status(self) -> PlatformStatus: ...
