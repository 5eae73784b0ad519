"""A throttle on failed log-ins per account: guessing a password takes ages, not minutes.

After `max_failures` wrong passwords for one login name within `lockout_seconds` of the first,
that name's log-ins are refused until the period ends, even with the right password, and a
successful log-in starts the count again. The count lives in Redis when configured (so every API
process and the app share it), else in this process; if Redis cannot be reached, counting falls
back to the process for a while rather than locking everyone out or nobody.
"""

import logging
import math
import threading
import time
from collections.abc import Callable
from typing import TypeVar

import redis
from redis.exceptions import RedisError

from core.config import Settings
from core.errors import AuthenticationFailed, TooManyAttempts

logger = logging.getLogger(__name__)

REDIS_RETRY_SECONDS = 5.0
REDIS_TIMEOUT_SECONDS = 0.25

T = TypeVar("T")


class LoginThrottle:
    def __init__(
        self,
        max_failures: int,
        lockout_seconds: int,
        *,
        redis_url: str | None = None,
        key_prefix: str = "adflow:logins",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.max_failures = max_failures
        self.lockout_seconds = lockout_seconds
        self.redis_url = redis_url
        self.key_prefix = key_prefix
        self._clock = clock
        self._failures: dict[str, tuple[int, float]] = {}  # name -> (count, when the count ends)
        self._lock = threading.Lock()
        self._redis: redis.Redis | None = None
        self._redis_retry_at = 0.0

    @classmethod
    def from_settings(cls, settings: Settings) -> "LoginThrottle":
        return cls(
            settings.login_max_failures,
            settings.login_lockout_seconds,
            redis_url=settings.redis_url,
            key_prefix=f"{settings.redis_key_prefix}logins",
        )

    def attempt(self, login: str, authenticate: Callable[[], T]) -> T:
        """`authenticate()` (which raises AuthenticationFailed on a wrong password), unless `login`
        has used up its tries for now: then TooManyAttempts, and `authenticate` is not called."""
        self._check(login)
        try:
            result = authenticate()
        except AuthenticationFailed:
            self._failed(login)
            raise
        self._succeeded(login)
        return result

    def _check(self, login: str) -> None:
        count, retry_after = self._state(_name(login))
        if count >= self.max_failures:
            minutes = math.ceil(retry_after / 60)
            raise TooManyAttempts(
                f"Too many failed log-ins for this account. Try again in {minutes} minute"
                f"{'s' if minutes != 1 else ''}.",
                retry_after=retry_after,
            )

    def _failed(self, login: str) -> None:
        name = _name(login)
        if self._redis_usable():
            try:
                key = self._key(name)
                with self._client().pipeline(transaction=True) as pipe:
                    pipe.incr(key)
                    pipe.expire(key, self.lockout_seconds, nx=True)
                    pipe.execute()
                return
            except (RedisError, OSError) as exc:
                self._redis_failed(exc)
        with self._lock:
            count, ends = self._live(name)
            self._failures[name] = (count + 1, ends or self._clock() + self.lockout_seconds)

    def _succeeded(self, login: str) -> None:
        name = _name(login)
        if self._redis_usable():
            try:
                self._client().delete(self._key(name))
            except (RedisError, OSError) as exc:
                self._redis_failed(exc)
        with self._lock:
            self._failures.pop(name, None)

    def _state(self, name: str) -> tuple[int, int]:
        """(failures counted, seconds until the count ends)."""
        if self._redis_usable():
            try:
                key = self._key(name)
                with self._client().pipeline(transaction=False) as pipe:
                    pipe.get(key)
                    pipe.ttl(key)
                    count, ttl = pipe.execute()
                return int(count or 0), max(int(ttl), 1)
            except (RedisError, OSError) as exc:
                self._redis_failed(exc)
        with self._lock:
            count, ends = self._live(name)
        return count, max(math.ceil(ends - self._clock()), 1)

    def _live(self, name: str) -> tuple[int, float]:
        count, ends = self._failures.get(name, (0, 0.0))
        if ends and ends <= self._clock():
            del self._failures[name]
            return 0, 0.0
        return count, ends

    def _key(self, name: str) -> str:
        return f"{self.key_prefix}:{name}"

    def _redis_usable(self) -> bool:
        return self.redis_url is not None and time.monotonic() >= self._redis_retry_at

    def _redis_failed(self, exc: Exception) -> None:
        logger.warning(
            "counting failed log-ins in the process for %.0f s: Redis is unreachable (%s)",
            REDIS_RETRY_SECONDS,
            exc,
        )
        self._redis_retry_at = time.monotonic() + REDIS_RETRY_SECONDS

    def _client(self) -> redis.Redis:
        if self._redis is None:
            assert self.redis_url is not None
            self._redis = redis.Redis.from_url(
                self.redis_url,
                socket_timeout=REDIS_TIMEOUT_SECONDS,
                socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            )
        return self._redis


def _name(login: str) -> str:
    # The same account however its name is typed (usernames and e-mails are matched without case).
    return (login or "").strip().lower()
