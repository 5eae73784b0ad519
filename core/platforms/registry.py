"""Which connector serves a placement, and telling the platform what the database now says."""

from collections.abc import Callable
from datetime import date

from sqlalchemy.orm import Session

from core.config import get_settings
from core.platforms.base import Connector
from core.platforms.simulator import SimulatedWorld, SimulatorConnector
from db.enums import CampaignStatus, DataSource, Platform
from db.models import Campaign, PlatformCampaign

ConnectorFactory = Callable[[Session, Platform], Connector]


class Connectors:
    """The connectors of one unit of work. Tests may hand in a factory for a fake platform."""

    def __init__(
        self, session: Session, *, factory: ConnectorFactory | None = None, today: date | None = None
    ) -> None:
        self.session = session
        self.today = today
        self._factory = factory or self._simulator
        self._cache: dict[Platform, Connector] = {}

    def for_platform(self, platform: Platform | str) -> Connector:
        platform = Platform(platform)
        if platform not in self._cache:
            self._cache[platform] = self._factory(self.session, platform)
        return self._cache[platform]

    def for_placement(self, placement: PlatformCampaign) -> Connector | None:
        """None for placements fed by file imports: there is no platform to steer."""
        if placement.data_source == DataSource.IMPORT:
            return None
        return self.for_platform(placement.platform)

    def _simulator(self, session: Session, platform: Platform) -> Connector:
        world = SimulatedWorld(get_settings().simulator_seed)
        return SimulatorConnector(session, platform, world, today=self.today)


def push_placement(connectors: Connectors, campaign: Campaign, placement: PlatformCampaign) -> None:
    """Make the platform run the placement as the database says: its budget, on or off."""
    connector = connectors.for_placement(placement)
    if connector is None:
        return
    connector.set_daily_budget(placement.external_id, placement.allocated_budget)
    if campaign.status == CampaignStatus.ACTIVE and placement.is_active:
        connector.resume(placement.external_id)
    else:
        connector.pause(placement.external_id)
