"""The scheduler's lock on real PostgreSQL, a real lock file and a real Redis."""

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from core.jobs.lock import FileLock, PostgresAdvisoryLock, RedisLock, SchedulerLock
from db import Database
from tests.conftest import free_port

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def redis_key() -> Iterator[str]:
    key = f"adflow-test-{uuid.uuid4().hex}:scheduler:lock"
    yield key
    redis.Redis.from_url(REDIS_URL).delete(key)


def dead_pid() -> int:
    """A process id that no process of this machine has now."""
    pid = 4_000_000
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        pid -= 1


@pytest.mark.postgres
def test_the_advisory_lock_is_held_by_one_connection_at_a_time(postgres_database: Database) -> None:
    first, second = PostgresAdvisoryLock(postgres_database), PostgresAdvisoryLock(postgres_database)
    assert first.acquire() and first.still_held()
    assert not second.acquire()
    first.release()
    assert not first.still_held()
    assert second.acquire()
    second.release()


def test_the_lock_file_is_exclusive_and_freed_on_release(tmp_path: Path) -> None:
    path = tmp_path / "adflow.sqlite3.scheduler.lock"
    first, second = FileLock(path), FileLock(path)
    assert first.acquire() and first.still_held()
    assert not second.acquire()
    first.release()
    assert second.acquire()
    second.release()


def test_the_redis_lock_is_exclusive_and_only_its_holder_releases_it(redis_key: str) -> None:
    first, second = RedisLock(REDIS_URL, redis_key, 30), RedisLock(REDIS_URL, redis_key, 30)
    assert first.acquire() and first.still_held()
    assert not second.acquire()
    second.release()  # not its lock: nothing happens
    assert first.still_held()
    first.release()
    assert not first.still_held()
    assert second.acquire()
    second.release()


def test_a_redis_lock_left_by_a_dead_local_process_is_taken_over(redis_key: str) -> None:
    client = redis.Redis.from_url(REDIS_URL)
    client.set(redis_key, f"{socket.gethostname()}:{dead_pid()}:gone", px=60_000)
    lock = RedisLock(REDIS_URL, redis_key, 30)
    assert lock.acquire()
    lock.release()

    client.set(redis_key, f"{socket.gethostname()}:{os.getpid()}:alive", px=60_000)
    assert not RedisLock(REDIS_URL, redis_key, 30).acquire()  # its holder lives: wait for expiry


def test_with_redis_unreachable_the_database_lock_alone_is_used(tmp_path: Path) -> None:
    unreachable = RedisLock(f"redis://127.0.0.1:{free_port()}/0", "adflow-test:lock", 30)
    lock = SchedulerLock(FileLock(tmp_path / "x.lock"), unreachable)
    assert lock.acquire()
    assert lock.description == f"lock file {tmp_path / 'x.lock'}"
    assert lock.still_held()
    lock.release()


def test_both_locks_are_taken_and_a_redis_holder_elsewhere_wins(tmp_path: Path, redis_key: str) -> None:
    lock = SchedulerLock(FileLock(tmp_path / "a.lock"), RedisLock(REDIS_URL, redis_key, 30))
    assert lock.acquire() and "Redis lock" in lock.description
    lock.release()

    elsewhere = RedisLock(REDIS_URL, redis_key, 30)
    assert elsewhere.acquire()
    blocked = SchedulerLock(FileLock(tmp_path / "a.lock"), RedisLock(REDIS_URL, redis_key, 30))
    assert not blocked.acquire()
    again = FileLock(tmp_path / "a.lock")
    assert again.acquire()  # it let go of the file lock again
    again.release()
    elsewhere.release()
