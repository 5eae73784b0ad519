"""Daily metrics: the one set of metric definitions, upserts, roll-ups and read queries."""
