"""A campaign's steerable state as plain JSON, and how to put a state back on it.

The state document is what optimization_logs stores as before_state and after_state:

    {"campaign": {"status": "active", "daily_budget": "300.00"},
     "placements": {"17": {"allocated_budget": "120.00", "is_active": true}}}

Only the keys an action touches appear. Applying a document sets those fields and tells the
platforms, which is also how an action is undone: apply its before_state.
"""

from decimal import Decimal
from typing import Any

from core.money import to_money
from db.models import Campaign, PlatformCampaign

CAMPAIGN_FIELDS = ("status", "daily_budget", "total_budget")
PLACEMENT_FIELDS = ("allocated_budget", "is_active")
_MONEY_FIELDS = frozenset({"daily_budget", "total_budget", "allocated_budget"})

State = dict[str, Any]


def snapshot(campaign: Campaign, like: State) -> State:
    """The campaign's current values for exactly the keys present in `like`."""
    placements = {str(p.id): p for p in campaign.platform_campaigns}
    return {
        "campaign": {key: _dump(getattr(campaign, key)) for key in like.get("campaign", {})},
        "placements": {
            str(pc_id): {key: _dump(getattr(placements[str(pc_id)], key)) for key in fields}
            for pc_id, fields in like.get("placements", {}).items()
        },
    }


def assign(campaign: Campaign, state: State) -> list[PlatformCampaign]:
    """Set the fields named in `state`; returns the placements whose platform side must follow."""
    placements = {str(p.id): p for p in campaign.platform_campaigns}
    for key, value in state.get("campaign", {}).items():
        setattr(campaign, key, _load(key, value))
    touched = {}
    for pc_id, fields in state.get("placements", {}).items():
        for key, value in fields.items():
            setattr(placements[str(pc_id)], key, _load(key, value))
        touched[str(pc_id)] = placements[str(pc_id)]
    if state.get("campaign"):  # a campaign-level change (status, budget) reaches every placement
        return list(campaign.platform_campaigns)
    return list(touched.values())


def normalized(state: State) -> State:
    """The state as it is stored: money as strings with two decimals."""
    return {
        "campaign": {k: _dump(_load(k, v)) for k, v in state.get("campaign", {}).items()},
        "placements": {
            str(pc): {k: _dump(_load(k, v)) for k, v in fields.items()}
            for pc, fields in state.get("placements", {}).items()
        },
    }


def _dump(value: Any) -> Any:
    return str(to_money(value)) if isinstance(value, Decimal) else value


def _load(key: str, value: Any) -> Any:
    return to_money(value) if key in _MONEY_FIELDS else value
