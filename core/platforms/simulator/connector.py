"""The simulator behind the connector protocol, keeping its own record of budgets and status."""

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import PlatformError
from core.platforms.base import METRIC_FRAME_COLUMNS, PlatformStatus, RemoteCampaign
from core.platforms.simulator.world import SimulatedWorld
from db.enums import Platform
from db.models import SimulatorPlacement


class SimulatorConnector:
    """One simulated platform. Budgets and pauses take effect from the day they are made."""

    def __init__(
        self, session: Session, platform: Platform | str, world: SimulatedWorld, today: date | None = None
    ) -> None:
        self.platform = Platform(platform)
        self.session = session
        self.world = world
        self.today = today or date.today()

    def provision(
        self,
        external_id: str,
        *,
        schedule: list[tuple[date, float, bool]],
        traits: dict[str, Any] | None = None,
    ) -> None:
        """Set up a placement as if it had run with this budget schedule (scenarios and the demo).

        `schedule` lists (effective date, daily budget, is_active) in date order; the first entry
        is the placement's first day. Provisioning again replaces the record.
        """
        if not schedule:
            raise ValueError("a schedule needs at least its first day")
        rows = [[day.isoformat(), float(budget), bool(active)] for day, budget, active in schedule]
        placement = self._placement(external_id)
        if placement is None:
            placement = SimulatorPlacement(platform=self.platform.value, external_id=external_id)
            self.session.add(placement)
        placement.traits = dict(traits or {})
        placement.schedule = rows
        self.session.flush()

    def list_campaigns(self) -> list[RemoteCampaign]:
        rows = self.session.scalars(
            select(SimulatorPlacement).where(SimulatorPlacement.platform == self.platform.value)
        )
        return [_remote(row) for row in rows]

    def fetch_daily_metrics(self, external_ids: Sequence[str], start: date, end: date) -> pd.DataFrame:
        end = min(end, self.today - timedelta(days=1))
        frames = []
        for placement in self._placements(external_ids):
            first = date.fromisoformat(placement.schedule[0][0])
            if end < max(start, first):
                continue
            budgets, active = _schedule_arrays(placement.schedule, first, end)
            traits = self.world.traits(self.platform, placement.external_id, placement.traits)
            frame = self.world.simulate(traits, first, budgets, active, as_of=self.today)
            frame = frame[frame["date"] >= start]
            frames.append(frame.assign(external_id=placement.external_id))
        if not frames:
            return pd.DataFrame(columns=list(METRIC_FRAME_COLUMNS))
        return pd.concat(frames, ignore_index=True)[list(METRIC_FRAME_COLUMNS)]

    def set_daily_budget(self, external_id: str, amount: Decimal) -> None:
        placement = self._placement(external_id)
        if placement is None:  # a placement the platform has not seen yet starts today
            self.provision(external_id, schedule=[(self.today, float(amount), True)])
            return
        self._change(placement, budget=float(amount))

    def pause(self, external_id: str) -> None:
        self._change(self._require(external_id), is_active=False)

    def resume(self, external_id: str) -> None:
        self._change(self._require(external_id), is_active=True)

    def status(self) -> PlatformStatus:
        count = len(self.list_campaigns())
        return PlatformStatus(
            self.platform, True, count, f"Simulated {self.platform.label}: {count} campaigns"
        )

    def _change(
        self, placement: SimulatorPlacement, *, budget: float | None = None, is_active: bool | None = None
    ) -> None:
        _, last_budget, last_active = placement.schedule[-1]
        entry = [
            self.today.isoformat(),
            last_budget if budget is None else budget,
            last_active if is_active is None else is_active,
        ]
        schedule = [row for row in placement.schedule if row[0] != entry[0]]
        placement.schedule = [*schedule, entry]  # a new list, so the JSON column sees the change
        self.session.flush()

    def _placement(self, external_id: str) -> SimulatorPlacement | None:
        return self.session.scalar(
            select(SimulatorPlacement).where(
                SimulatorPlacement.platform == self.platform.value,
                SimulatorPlacement.external_id == external_id,
            )
        )

    def _placements(self, external_ids: Sequence[str]) -> list[SimulatorPlacement]:
        return list(
            self.session.scalars(
                select(SimulatorPlacement).where(
                    SimulatorPlacement.platform == self.platform.value,
                    SimulatorPlacement.external_id.in_(list(external_ids)),
                )
            )
        )

    def _require(self, external_id: str) -> SimulatorPlacement:
        placement = self._placement(external_id)
        if placement is None:
            raise PlatformError(f"{self.platform.label} knows no campaign {external_id!r}")
        return placement


def _remote(row: SimulatorPlacement) -> RemoteCampaign:
    _, budget, is_active = row.schedule[-1]
    return RemoteCampaign(row.external_id, Decimal(str(budget)), bool(is_active))


def _schedule_arrays(schedule: list[Any], first: date, end: date) -> tuple[np.ndarray, np.ndarray]:
    """Budget and on/off for each day from `first` to `end`, from the dated changes."""
    n_days = (end - first).days + 1
    budgets = np.zeros(n_days)
    active = np.zeros(n_days, dtype=bool)
    for effective, budget, is_active in schedule:
        offset = max(0, (date.fromisoformat(effective) - first).days)
        if offset < n_days:
            budgets[offset:] = budget
            active[offset:] = is_active
    return budgets, active
