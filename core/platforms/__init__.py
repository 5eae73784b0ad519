"""Ad platforms: the connector protocol, the simulator that stands in for live APIs, CSV import."""
