"""Every router of the API, registered in one place: a new domain is one module and one line here."""

from api.routers import (
    actions,
    alerts,
    api_keys,
    auth,
    campaigns,
    dashboard,
    imports,
    plans,
    platforms,
    recommendations,
    reports,
    system,
)

# Served under /api/v1, rate limited and authenticated route by route.
API_ROUTERS = (
    auth.router,
    campaigns.router,
    dashboard.router,
    recommendations.router,
    alerts.router,
    actions.router,
    plans.router,
    reports.router,
    imports.router,
    platforms.router,
    api_keys.router,
    system.router,
)
# Served at the root: health checks and metrics scrapes.
ROOT_ROUTERS = (system.root_router,)
