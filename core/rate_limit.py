"""Fixed-window request counters per client: in Redis when configured, in this process otherwise.

Redis lets several API processes share one count. If Redis is configured but cannot be reached,
counting falls back to the process (and Redis is tried again a little later) rather than
refusing requests because a cache is down.
"""

import asyncio
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import redis.asyncio as aioredis
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# After Redis fails, count in the process for this long before trying Redis again.
REDIS_RETRY_SECONDS = 5.0
# A rate limiter must never be what makes a request slow.
REDIS_TIMEOUT_SECONDS = 0.25


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    # Seconds until the current window ends and the count starts again.
    reset_after: int


class RateLimiter:
    def __init__(
        self,
        limit: int,
        window_seconds: int,
        *,
        redis_url: str | None = None,
        key_prefix: str = "adflow:ratelimit",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self.redis_url = redis_url
        self.key_prefix = key_prefix
        self._clock = clock
        self._window = -1
        self._counts: dict[str, int] = {}
        self._redis: aioredis.Redis | None = None
        self._redis_loop: asyncio.AbstractEventLoop | None = None
        self._redis_retry_at = 0.0

    async def hit(self, client: str) -> Decision:
        """Count one request of `client` and say whether it is within the limit."""
        now = self._clock()
        window = int(now // self.window_seconds)
        reset_after = max(1, math.ceil((window + 1) * self.window_seconds - now))
        count = await self._count_in_redis(client, window) if self._redis_usable() else None
        if count is None:
            count = self._count_in_process(client, window)
        return Decision(count <= self.limit, self.limit, max(0, self.limit - count), reset_after)

    async def aclose(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None

    def _count_in_process(self, client: str, window: int) -> int:
        if window != self._window:  # a new window: the old counts are of no use, and memory stays small
            self._window = window
            self._counts = {}
        self._counts[client] = self._counts.get(client, 0) + 1
        return self._counts[client]

    def _redis_usable(self) -> bool:
        return self.redis_url is not None and time.monotonic() >= self._redis_retry_at

    async def _count_in_redis(self, client: str, window: int) -> int | None:
        key = f"{self.key_prefix}:{client}:{window}"
        try:
            async with self._client().pipeline(transaction=True) as pipe:
                pipe.incr(key)
                pipe.expire(key, self.window_seconds + 1)
                count, _ = await pipe.execute()
        except (RedisError, OSError) as exc:
            logger.warning(
                "rate limiting in the process for %.0f s: Redis is unreachable (%s)", REDIS_RETRY_SECONDS, exc
            )
            self._redis_retry_at = time.monotonic() + REDIS_RETRY_SECONDS
            return None
        return int(count)

    def _client(self) -> aioredis.Redis:
        # An asyncio client belongs to the event loop it was made in.
        loop = asyncio.get_running_loop()
        if self._redis is None or self._redis_loop is not loop:
            self._redis = aioredis.Redis.from_url(
                self.redis_url,
                socket_timeout=REDIS_TIMEOUT_SECONDS,
                socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            )
            self._redis_loop = loop
        return self._redis
