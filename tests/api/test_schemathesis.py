"""Schemathesis over the OpenAPI schema: no input may cause a 500 or an answer the schema does not allow.

Bounded and seeded (derandomized), signed in, against an app on a throw-away database.
"""

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES_PER_OPERATION = 50


@pytest.fixture
def signed_in(fresh_api: TestClient) -> dict[str, str]:
    """A company with a campaign, and the admin's token, so that the routes have something to find."""
    registered = fresh_api.post(
        "/api/v1/auth/register",
        json={"username": "fuzzer", "email": "fuzz@fuzz.test", "password": "long enough", "company": "Fuzz"},
    )
    headers = {"Authorization": f"Bearer {registered.json()['access_token']}"}
    campaign = fresh_api.post(
        "/api/v1/campaigns",
        headers=headers,
        json={
            "name": "Fuzzed",
            "total_budget": "1000.00",
            "daily_budget": "50.00",
            "start_date": "2026-11-01",
            "platforms": ["facebook"],
            "status": "active",
        },
    )
    assert campaign.status_code == 201, campaign.text
    return headers


def test_no_input_breaks_the_api(fresh_api: TestClient, signed_in: dict[str, str]) -> None:
    # One seeded Hypothesis run per operation; schemathesis' own pytest plugin predates this pytest.
    schema = schemathesis.openapi.from_asgi("/openapi.json", fresh_api.app)
    failures = {}
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        def exercise(case) -> None:
            case.call_and_validate(headers=signed_in, checks=CHECKS)

        try:
            exercise()
        except Exception as failure:  # collected, so one run reports every broken operation
            failures[operation.label] = failure
    assert not failures, "\n\n".join(f"{label}: {failure}" for label, failure in failures.items())
