"""A deterministic stand-in for the six ad platforms (demo, tests, benchmarks)."""

from core.platforms.simulator.connector import SimulatorConnector
from core.platforms.simulator.world import PROFILES, PlacementTraits, SimulatedWorld

__all__ = ["PROFILES", "PlacementTraits", "SimulatedWorld", "SimulatorConnector"]
