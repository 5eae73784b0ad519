"""Read-side analytics: trends, ROI, platform comparison, drill-down, weekday patterns and exports."""
