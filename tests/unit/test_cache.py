"""The timed cache: kept for its time, computed once for callers arriving together, stale while refreshed."""

import asyncio
import threading

import pytest

from core.cache import TimedCache


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_value_is_kept_for_its_time_then_computed_again() -> None:
    clock = Clock()
    cache: TimedCache[int] = TimedCache(10, clock=clock)
    calls = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    assert cache.get("k", compute) == 1
    clock.now = 9.9
    assert cache.get("k", compute) == 1
    assert cache.get("other", compute) == 2
    clock.now = 10.0
    assert cache.get("k", compute) == 3
    cache.clear()
    assert cache.get("k", compute) == 4
    assert TimedCache(0).get("k", compute) == 5  # no time: never kept
    assert cache.get("small", compute, keep=lambda value: value > 100) == 6
    assert cache.get("small", compute, keep=lambda value: value > 100) == 7  # not worth keeping


def test_callers_arriving_together_compute_once_and_a_stale_value_serves_during_a_refresh() -> None:
    clock = Clock()
    cache: TimedCache[str] = TimedCache(10, clock=clock)
    started, release = threading.Event(), threading.Event()
    calls = []

    def slow(value: str):
        def compute() -> str:
            calls.append(value)
            started.set()
            release.wait(5)
            return value

        return compute

    results = []
    first = [threading.Thread(target=lambda: results.append(cache.get("k", slow("first")))) for _ in range(5)]
    for thread in first:
        thread.start()
    started.wait(5)
    release.set()
    for thread in first:
        thread.join(5)
    assert (calls, results) == (["first"], ["first"] * 5)

    clock.now = 20.0
    started.clear()
    release.clear()
    refresher = threading.Thread(target=lambda: results.append(cache.get("k", slow("second"))))
    refresher.start()
    started.wait(5)
    assert cache.get("k", slow("third")) == "first"  # stale, answered at once
    release.set()
    refresher.join(5)
    assert cache.get("k", slow("fourth")) == "second"
    assert calls == ["first", "second"]


def test_a_failed_computation_lets_the_next_caller_try() -> None:
    cache: TimedCache[int] = TimedCache(10)

    def broken() -> int:
        raise RuntimeError("database down")

    with pytest.raises(RuntimeError):
        cache.get("k", broken)
    assert cache.get("k", lambda: 7) == 7


def test_callers_on_an_event_loop_compute_once_and_share_the_value() -> None:
    clock = Clock()
    cache: TimedCache[int] = TimedCache(10, clock=clock)
    calls = []

    async def compute() -> int:
        calls.append(1)
        await asyncio.sleep(0.02)  # the others arrive meanwhile
        return len(calls)

    async def together() -> list[int]:
        return await asyncio.gather(*(cache.aget("k", compute) for _ in range(5)))

    assert asyncio.run(together()) == [1] * 5
    clock.now = 10.0
    assert asyncio.run(cache.aget("k", compute)) == 2
    assert asyncio.run(cache.aget("small", compute, keep=lambda value: value > 100)) == 3
    assert asyncio.run(cache.aget("small", compute, keep=lambda value: value > 100)) == 4
