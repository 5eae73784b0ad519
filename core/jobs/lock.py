"""The lock that lets only one scheduler act at a time, however many are started.

The database's own lock is the authority: a PostgreSQL advisory lock (held by a connection;
the server frees it the moment the holder's process dies) or, on SQLite, an OS lock on a file
beside the database (the kernel frees it with the process). When REDIS_URL is set, a Redis lock
with an expiry is taken as well, so operators see the holder there; if Redis is unreachable the
scheduler logs it and goes on under the database lock. A dead holder never blocks for ever:
the database locks die with their process, and the Redis key expires (or is taken over at once
when its holder is a process of this machine that no longer exists).
"""

import fcntl
import hashlib
import logging
import os
import socket
import threading
import uuid
from pathlib import Path
from typing import Protocol

import redis
from sqlalchemy import Connection, text

from core.config import ConfigurationError, Settings
from db import Database

logger = logging.getLogger(__name__)

LOCK_NAME = "scheduler"


class Lock(Protocol):
    description: str

    def acquire(self) -> bool: ...

    def still_held(self) -> bool: ...

    def release(self) -> None: ...


class PostgresAdvisoryLock:
    """A session-level advisory lock on a connection of its own, kept in autocommit."""

    def __init__(self, database: Database, name: str = LOCK_NAME) -> None:
        self.database = database
        self.key = int.from_bytes(hashlib.sha256(f"adflow:{name}".encode()).digest()[:8]) >> 2
        self.description = "PostgreSQL advisory lock"
        self._connection: Connection | None = None

    def acquire(self) -> bool:
        connection = self.database.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        if connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}):
            self._connection = connection
            return True
        connection.close()
        return False

    def still_held(self) -> bool:
        if self._connection is None:
            return False
        try:
            return bool(
                self._connection.scalar(
                    text(
                        "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted "
                        "AND pid = pg_backend_pid() AND ((classid::bigint << 32) | objid::bigint) = :key)"
                    ),
                    {"key": self.key},
                )
            )
        except Exception as exc:  # a broken connection took the lock with it
            logger.error("the PostgreSQL lock's connection failed: %s", exc)
            return False

    def release(self) -> None:
        if self._connection is None:
            return
        try:
            self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
        except Exception as exc:  # the connection is gone, and the lock with it
            logger.warning("releasing the PostgreSQL lock: %s", exc)
        finally:
            self._connection.close()
            self._connection = None


class FileLock:
    """flock() on a file: exclusive between the processes of this machine, freed when one dies."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.description = f"lock file {path}"
        self._fd: int | None = None

    def acquire(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{socket.gethostname()} {os.getpid()}\n".encode())
        self._fd = fd
        return True

    def still_held(self) -> bool:
        if self._fd is None:
            return False
        try:
            return os.fstat(self._fd).st_ino == os.stat(self.path).st_ino
        except FileNotFoundError:
            return False

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"
_REFRESH = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then "
    "return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0"
)


class RedisLock:
    """SET NX with an expiry, refreshed while held; the value names the holder (host:pid:token)."""

    def __init__(self, url: str, key: str, ttl_seconds: int) -> None:
        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.key = key
        self.ttl_ms = ttl_seconds * 1000
        self.token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex}"
        self.description = f"Redis lock {key}"

    def acquire(self) -> bool:
        if self.client.set(self.key, self.token, nx=True, px=self.ttl_ms):
            return True
        holder = self.client.get(self.key)
        if holder is not None and _is_dead_local_process(holder.decode()):
            logger.warning(
                "taking over the Redis lock from %s, a process that no longer exists", holder.decode()
            )
            self.client.eval(_RELEASE, 1, self.key, holder)
            return bool(self.client.set(self.key, self.token, nx=True, px=self.ttl_ms))
        return False

    def still_held(self) -> bool:
        return bool(self.client.eval(_REFRESH, 1, self.key, self.token, self.ttl_ms))

    def release(self) -> None:
        self.client.eval(_RELEASE, 1, self.key, self.token)


def _is_dead_local_process(holder: str) -> bool:
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class SchedulerLock:
    """The database lock, plus the Redis lock when Redis is configured and reachable."""

    def __init__(self, database_lock: Lock, redis_lock: RedisLock | None = None) -> None:
        self.database_lock = database_lock
        self.redis_lock = redis_lock
        self._redis_held = False
        self._guard = threading.Lock()

    @property
    def description(self) -> str:
        if self._redis_held:
            return f"{self.database_lock.description} and {self.redis_lock.description}"
        return self.database_lock.description

    def acquire(self) -> bool:
        with self._guard:
            if not self.database_lock.acquire():
                return False
            self._redis_held = False
            if self.redis_lock is None:
                return True
            try:
                if not self.redis_lock.acquire():
                    logger.warning("the Redis lock is held by another scheduler; standing by")
                    self.database_lock.release()
                    return False
                self._redis_held = True
            except redis.RedisError as exc:
                logger.warning(
                    "Redis is unreachable (%s); relying on the %s alone", exc, self.database_lock.description
                )
            return True

    def still_held(self) -> bool:
        with self._guard:
            if not self.database_lock.still_held():
                return False
            if self._redis_held:
                try:
                    if not self.redis_lock.still_held():
                        logger.warning("the Redis lock expired and was taken; the database lock still holds")
                        self._redis_held = False
                except redis.RedisError as exc:
                    logger.warning("Redis is unreachable (%s); the database lock still holds", exc)
            return True

    def release(self) -> None:
        with self._guard:
            if self._redis_held:
                try:
                    self.redis_lock.release()
                except redis.RedisError as exc:
                    logger.warning("could not release the Redis lock (it will expire): %s", exc)
                self._redis_held = False
            self.database_lock.release()


def scheduler_lock(settings: Settings, database: Database) -> SchedulerLock:
    if database.dialect == "postgresql":
        database_lock: Lock = PostgresAdvisoryLock(database)
    else:
        path = database.url.database
        on_disk = path and path != ":memory:"
        database_lock = FileLock(
            Path(f"{path}.scheduler.lock") if on_disk else settings.data_dir / "scheduler.lock"
        )
    redis_lock = None
    if settings.redis_url:
        try:
            redis.connection.parse_url(settings.redis_url)
        except ValueError as exc:
            raise ConfigurationError(f"REDIS_URL is not a Redis URL: {exc}") from None
        redis_lock = RedisLock(
            settings.redis_url,
            f"{settings.redis_key_prefix}{LOCK_NAME}:lock",
            settings.scheduler_lock_ttl_seconds,
        )
    return SchedulerLock(database_lock, redis_lock)
