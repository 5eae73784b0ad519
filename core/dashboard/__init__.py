"""Read-side views behind the dashboard: KPIs, platform and daily figures, campaign rows, alerts, pacing."""
