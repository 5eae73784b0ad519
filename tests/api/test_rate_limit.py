"""The rate limit per client, with counters in the real Redis and in the process."""

import asyncio
from collections.abc import Iterator

import pytest
import redis

from core.rate_limit import RateLimiter
from db import Database
from tests.api.conftest import REDIS_URL, serve_on_session, unique_redis_prefix

LIMIT = 3


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    prefix = unique_redis_prefix()
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"{prefix}:*"))
    if keys:
        client.delete(*keys)
    client.close()


def limiters(redis_prefix: str) -> dict[str, RateLimiter]:
    return {
        "in-process": RateLimiter(LIMIT, 60),
        "redis": RateLimiter(LIMIT, 60, redis_url=REDIS_URL, key_prefix=redis_prefix),
    }


@pytest.mark.parametrize("store", ["in-process", "redis"])
def test_beyond_the_limit_a_client_gets_429_with_retry_after(
    session, database: Database, tenant, other_tenant, redis_prefix: str, store: str
) -> None:
    with serve_on_session(session, database, rate_limiter=limiters(redis_prefix)[store]) as client:
        token = client.post(
            "/api/v1/auth/login", json={"username": "acme-viewer", "password": "correct horse"}
        )
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        remaining = []
        for _ in range(LIMIT):
            response = client.get("/api/v1/campaigns", headers=headers)
            assert response.status_code == 200
            remaining.append(response.headers["X-RateLimit-Remaining"])
        assert remaining == ["2", "1", "0"]
        refused = client.get("/api/v1/campaigns", headers=headers)
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "rate_limited"
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert refused.headers["X-RateLimit-Limit"] == str(LIMIT)

        # Each client has its own count: another user, and health checks, still get through.
        other = client.post(
            "/api/v1/auth/login", json={"username": "globex-viewer", "password": "correct horse"}
        )
        assert other.status_code == 200  # the login counted against this address, not the user
        other_headers = {"Authorization": f"Bearer {other.json()['access_token']}"}
        assert client.get("/api/v1/campaigns", headers=other_headers).status_code == 200
        assert all(client.get("/health").status_code == 200 for _ in range(LIMIT + 2))
    if store == "redis":
        stored = redis.Redis.from_url(REDIS_URL)
        assert any(
            key.decode().startswith(f"{redis_prefix}:user:") for key in stored.scan_iter(f"{redis_prefix}:*")
        )
        stored.close()


def test_anonymous_callers_are_counted_by_address(
    session, database: Database, tenant, other_tenant, redis_prefix: str
) -> None:
    with serve_on_session(session, database, rate_limiter=limiters(redis_prefix)["redis"]) as client:
        statuses = [client.get("/api/v1/campaigns").status_code for _ in range(LIMIT + 1)]
    assert statuses == [401] * LIMIT + [429]


def test_two_processes_share_the_count_in_redis(redis_prefix: str) -> None:
    first, second = (RateLimiter(LIMIT, 60, redis_url=REDIS_URL, key_prefix=redis_prefix) for _ in range(2))

    async def hits() -> list[bool]:
        decisions = [await limiter.hit("user:1") for limiter in (first, second, first, second)]
        await first.aclose()
        await second.aclose()
        return [d.allowed for d in decisions]

    assert asyncio.run(hits()) == [True, True, True, False]


def test_with_redis_down_requests_are_still_served_and_counted_in_the_process() -> None:
    limiter = RateLimiter(LIMIT, 60, redis_url="redis://127.0.0.1:1/0")

    async def hits() -> list[bool]:
        return [(await limiter.hit("user:1")).allowed for _ in range(LIMIT + 1)]

    assert asyncio.run(hits()) == [True, True, True, False]


def test_the_count_starts_again_with_the_next_window() -> None:
    now = [60 * 16_666 + 20.0]
    limiter = RateLimiter(2, 60, clock=lambda: now[0])

    async def hit() -> tuple[bool, int]:
        decision = await limiter.hit("ip:10.0.0.1")
        return decision.allowed, decision.reset_after

    assert asyncio.run(hit()) == (True, 40)
    assert asyncio.run(hit()) == (True, 40)
    assert asyncio.run(hit()) == (False, 40)
    now[0] += 40
    assert asyncio.run(hit()) == (True, 60)
