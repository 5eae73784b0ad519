"""Answers worth keeping for a few seconds: reads that are costly and that many requests repeat.

Each process keeps its own entries (an API worker, the app). An entry past its time is still
served while one caller recomputes it, so only that caller waits; a missing entry is computed
once however many callers ask for it at the same moment.
"""

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, Generic, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import Session

ValueT = TypeVar("ValueT")
# What _claim hands the caller who is to compute the value.
_CLAIMED = threading.Event()


class TimedCache(Generic[ValueT]):
    def __init__(
        self, seconds: float, *, max_entries: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.seconds = seconds
        self.max_entries = max_entries
        self._clock = clock
        self._entries: dict[Hashable, tuple[float, ValueT]] = {}
        self._computing: dict[Hashable, threading.Event] = {}
        self._lock = threading.Lock()

    def get(
        self, key: Hashable, compute: Callable[[], ValueT], *, keep: Callable[[ValueT], bool] | None = None
    ) -> ValueT:
        """The value kept for `key` if it is recent enough, else `compute()`'s: kept, unless
        `keep(value)` says it is not worth keeping."""
        if self.seconds <= 0:
            return compute()
        while True:
            found, computing = self._claim(key)
            if computing is None:
                return found  # type: ignore[return-value]
            if computing is _CLAIMED:
                break
            computing.wait()  # the first value is on its way; if computing it failed, try ourselves
        try:
            value = compute()
            self._keep(key, value, keep)
            return value
        finally:
            self._release(key)

    async def aget(
        self,
        key: Hashable,
        compute: Callable[[], Awaitable[ValueT]],
        *,
        keep: Callable[[ValueT], bool] | None = None,
    ) -> ValueT:
        """`get` for callers on an event loop: `compute()` is awaited, and waiting for another
        caller's value never holds up the loop."""
        if self.seconds <= 0:
            return await compute()
        while True:
            found, computing = self._claim(key)
            if computing is None:
                return found  # type: ignore[return-value]
            if computing is _CLAIMED:
                break
            # Only the very first value is ever waited for, and not for long: a glance now and then will do.
            while not computing.is_set():
                await asyncio.sleep(0.005)
        try:
            value = await compute()
            self._keep(key, value, keep)
            return value
        finally:
            self._release(key)

    def _claim(self, key: Hashable) -> tuple[ValueT | None, threading.Event | None]:
        """(value, None) when a value will do; (None, _CLAIMED) when this caller must compute it;
        (None, event) when another is computing the first value and the caller should wait."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and self._clock() - entry[0] < self.seconds:
                return entry[1], None
            computing = self._computing.get(key)
            if computing is None:
                self._computing[key] = threading.Event()
                return None, _CLAIMED
            if entry is not None:
                return entry[1], None  # someone is refreshing it: the last value will do meanwhile
            return None, computing

    def _keep(self, key: Hashable, value: ValueT, keep: Callable[[ValueT], bool] | None) -> None:
        if keep is not None and not keep(value):
            return
        with self._lock:
            if len(self._entries) >= self.max_entries and key not in self._entries:
                self._entries.clear()
            self._entries[key] = (self._clock(), value)

    def _release(self, key: Hashable) -> None:
        with self._lock:
            self._computing.pop(key).set()

    def peek(self, key: Hashable) -> ValueT | None:
        """The value kept for `key` if it is recent enough, else None; never computes."""
        with self._lock:
            entry = self._entries.get(key)
        if entry is None or self._clock() - entry[0] >= self.seconds:
            return None
        return entry[1]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def clear_on_change(cache: TimedCache[Any], *models: type) -> None:
    """Empty `cache` whenever a session of this process writes a row of one of `models`.

    Other processes see the change once their entries run out of time.
    """

    @event.listens_for(Session, "after_flush")
    def _changed(session: Session, _context: Any) -> None:
        if any(
            isinstance(row, models) for rows in (session.new, session.dirty, session.deleted) for row in rows
        ):
            cache.clear()
