"""Two decisions on the same recommendation or action arriving together, on PostgreSQL.

Each side runs in its own thread and transaction, as two API workers would. The first one is held
inside its platform call (the edge, faked) until the second is seen waiting for a row lock; then it
goes on. Whatever the order, a change reaches the platform once and the later caller is told
what became of it.
"""

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from core.actions import service as actions
from core.actor import Actor
from core.database import upgrade_schema
from core.errors import Conflict
from core.optimizer import service as optimizer
from core.platforms.registry import Connectors
from core.platforms.simulator import SimulatedWorld, SimulatorConnector
from core.recommendations import service as recommendations
from db import Database
from db.enums import Platform, RecommendationStatus
from db.models import OptimizationLog, Recommendation
from tests.conftest import TODAY, PostgresServer, make_tenant
from tests.integration.optimizer_setup import weak_and_strong, without_twitter

pytestmark = pytest.mark.postgres
WAIT_SECONDS = 30


@dataclass
class GatedPlatforms:
    """The simulator, except that the first change any caller sends waits at the gate."""

    entered: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    changes: list[tuple[str, str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, session: Session, platform: Platform) -> "_GatedConnector":
        return _GatedConnector(self, SimulatorConnector(session, platform, SimulatedWorld(7), today=TODAY))

    def record(self, change: str, external_id: str) -> None:
        with self._lock:
            first = not self.changes
            self.changes.append((change, external_id))
        if first:
            self.entered.set()
            assert self.release.wait(WAIT_SECONDS), "the test never opened the gate"


class _GatedConnector:
    def __init__(self, gate: GatedPlatforms, inner: SimulatorConnector) -> None:
        self.gate, self.inner, self.platform = gate, inner, inner.platform

    def set_daily_budget(self, external_id: str, amount: Decimal) -> None:
        self.gate.record("budget", external_id)
        self.inner.set_daily_budget(external_id, amount)

    def pause(self, external_id: str) -> None:
        self.gate.record("pause", external_id)
        self.inner.pause(external_id)

    def resume(self, external_id: str) -> None:
        self.gate.record("resume", external_id)
        self.inner.resume(external_id)


@dataclass(frozen=True)
class World:
    database: Database
    marketer: Actor
    recommendation_ids: list[int]


@pytest.fixture
def world(postgres_server: PostgresServer) -> Iterator[World]:
    """A committed database with two campaigns, one pending recommendation each."""
    url = postgres_server.create_database()
    database = Database(url)
    upgrade_schema(database)
    with database.session_scope() as session:
        tenant = make_tenant(session, "Acme")
        connectors = Connectors(session, today=TODAY)
        weak_and_strong(session, tenant, connectors)
        without_twitter(session, tenant, connectors, "No Twitter")
        optimizer.run_for_company(session, tenant.marketer, today=TODAY, connectors=connectors)
        ids = session.scalars(
            select(Recommendation.id)
            .where(Recommendation.status == RecommendationStatus.PENDING.value)
            .order_by(Recommendation.campaign_id)
        ).all()
    assert len(ids) == 2
    yield World(database, tenant.marketer, list(ids))
    database.dispose()
    postgres_server.drop_database(url)


def race(
    database: Database,
    gate: GatedPlatforms,
    first: Callable[[Session], Any],
    second: Callable[[Session], Any],
) -> tuple[Any, Any]:
    """Run `first` until it is inside its platform call, then `second` until it waits for a lock;
    then let both finish. Returns what each returned (or raised)."""
    results: dict[str, Any] = {}

    def run(name: str, work: Callable[[Session], Any]) -> None:
        try:
            with database.session_scope() as session:
                results[name] = work(session)
        except Exception as exc:  # the outcome under test, compared by the caller
            results[name] = exc

    threads = [threading.Thread(target=run, args=args) for args in (("first", first), ("second", second))]
    threads[0].start()
    assert gate.entered.wait(WAIT_SECONDS), "the first decision never reached the platform"
    threads[1].start()
    _wait_for_a_lock_wait(database)
    gate.release.set()
    for thread in threads:
        thread.join(WAIT_SECONDS)
        assert not thread.is_alive()
    return results["first"], results["second"]


def _wait_for_a_lock_wait(database: Database) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    with database.engine.connect() as connection:
        while time.monotonic() < deadline:
            waiting = connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            ).scalar_one()
            if waiting:
                return
            connection.rollback()
            time.sleep(0.02)
    pytest.fail("the second decision never waited for the first one's lock")


def approving(actor: Actor, ids: list[int], gate: GatedPlatforms) -> Callable[[Session], Any]:
    return lambda session: recommendations.approve(
        session, actor, ids, connectors=Connectors(session, factory=gate, today=TODAY)
    )


def test_two_approvals_of_one_recommendation_apply_it_once(world: World) -> None:
    gate = GatedPlatforms()
    [rid, _] = world.recommendation_ids

    first, second = race(
        world.database, gate, approving(world.marketer, [rid], gate), approving(world.marketer, [rid], gate)
    )

    assert [(d.outcome, d.status) for d in first] == [("applied", RecommendationStatus.APPLIED)]
    assert [(d.outcome, d.message) for d in second] == [("unchanged", "already applied")]
    with world.database.session_scope() as session:
        logs = session.scalars(select(OptimizationLog).where(OptimizationLog.recommendation_id == rid)).all()
        placements = len(logs[0].after_state["placements"])
    assert len(logs) == 1 and logs[0].success
    # Each placement of the campaign heard of the change once, not twice.
    assert len(gate.changes) == 2 * placements and len(set(gate.changes)) == len(gate.changes)


def test_two_bulk_approvals_in_opposite_orders_apply_each_once_without_deadlock(world: World) -> None:
    gate = GatedPlatforms()
    ids = world.recommendation_ids

    first, second = race(
        world.database,
        gate,
        approving(world.marketer, ids, gate),
        approving(world.marketer, list(reversed(ids)), gate),
    )

    assert [d.outcome for d in first] == ["applied", "applied"]
    assert [d.outcome for d in second] == ["unchanged", "unchanged"]
    with world.database.session_scope() as session:
        applied = session.scalars(
            select(OptimizationLog.recommendation_id).where(OptimizationLog.success.is_(True))
        ).all()
    assert sorted(applied) == sorted(ids)
    assert len(set(gate.changes)) == len(gate.changes)


def test_a_rejection_arriving_during_an_approval_is_told_it_was_applied(world: World) -> None:
    gate = GatedPlatforms()
    [rid, _] = world.recommendation_ids

    first, second = race(
        world.database,
        gate,
        approving(world.marketer, [rid], gate),
        lambda session: recommendations.reject(session, world.marketer, [rid]),
    )

    assert [d.outcome for d in first] == ["applied"]
    assert [(d.outcome, d.status) for d in second] == [("unchanged", RecommendationStatus.APPLIED)]


def test_two_undos_of_one_action_put_it_back_once(world: World) -> None:
    [rid, _] = world.recommendation_ids
    with world.database.session_scope() as session:
        recommendations.approve(session, world.marketer, [rid], connectors=Connectors(session, today=TODAY))
        log_id = session.scalar(select(OptimizationLog.id).where(OptimizationLog.recommendation_id == rid))
    gate = GatedPlatforms()

    def undoing(session: Session) -> OptimizationLog:
        return actions.undo(
            session, world.marketer, log_id, connectors=Connectors(session, factory=gate, today=TODAY)
        )

    first, second = race(world.database, gate, undoing, undoing)

    assert isinstance(first, OptimizationLog) and first.success
    assert isinstance(second, Conflict) and "already undone" in str(second)
    with world.database.session_scope() as session:
        undos = session.scalars(select(OptimizationLog).where(OptimizationLog.undo_of_id == log_id)).all()
    assert len(undos) == 1
    assert len(set(gate.changes)) == len(gate.changes)
