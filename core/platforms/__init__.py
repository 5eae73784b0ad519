"""Ad platforms: the connector protocol and registry, the simulator that stands in for live APIs, and
sync of daily metrics."""
