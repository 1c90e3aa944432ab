"""The task engine's rules on the in-memory store and a fake clock: claims, leases that run out,
heartbeats, the backoff between attempts and the terminal failure, with no database and no sleep."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

import pytest

from amlite.domain.tasks import NotYet, RetryLater, Task, TaskFailed, TaskState
from amlite.ports import UnitOfWork
from amlite.services.context import Deps, FakeClock
from amlite.services.tasks import TaskEngine, TaskKind
from tests.unit.memory_world import memory_deps

LEASE = timedelta(seconds=30)
BACKOFF = timedelta(seconds=2)


class World:
    def __init__(self) -> None:
        self.clock = FakeClock()
        self.deps: Deps = memory_deps(self.clock)
        self.engine = TaskEngine(self.deps)
        self.runs: list[str] = []
        self.failed: list[Task] = []
        self.handler: Callable[[Task], None] = lambda task: None

    def register(self, max_attempts: int = 3) -> None:
        def run(task: Task) -> None:
            self.runs.append(task.key)
            self.handler(task)

        def on_failed(uow: UnitOfWork, task: Task) -> None:
            self.failed.append(task)

        self.engine.register(TaskKind("test.kind", run, lease=LEASE, backoff=BACKOFF, max_attempts=max_attempts,
                                      on_failed=on_failed))

    def enqueue(self, dedupe_key: str = "work-1") -> Task:
        with self.deps.uow(write=True) as uow:
            task = self.engine.new("test.kind", dedupe_key=dedupe_key)
            assert self.engine.enqueue_many(uow, [task]) == 1
            uow.commit()
        return task

    def task(self, key: str) -> Task:
        with self.deps.uow() as uow:
            found = uow.tasks.get(key)
        assert found is not None
        return found


@pytest.fixture()
def world() -> World:
    w = World()
    w.register()
    return w


def test_a_due_task_is_claimed_run_once_and_succeeds(world: World) -> None:
    task = world.enqueue()
    assert world.engine.run_next("w1") is True
    assert world.engine.run_next("w1") is False  # nothing left
    done = world.task(task.key)
    assert done.state is TaskState.SUCCEEDED and done.attempts == 1 and done.lease_owner is None
    assert world.runs == [task.key]


def test_work_queued_twice_is_one_task(world: World) -> None:
    world.enqueue("same-work")
    with world.deps.uow(write=True) as uow:
        assert world.engine.enqueue_many(uow, [world.engine.new("test.kind", dedupe_key="same-work")]) == 0
        uow.commit()
    with world.deps.uow() as uow:
        assert uow.tasks.count_by_state("test.kind") == {"Pending": 1}


def test_a_task_queued_in_a_unit_of_work_that_does_not_commit_never_runs(world: World) -> None:
    with world.deps.uow(write=True) as uow:
        world.engine.enqueue_many(uow, [world.engine.new("test.kind")])
    assert world.engine.run_next("w1") is False and world.runs == []


def test_a_failed_attempt_waits_a_doubling_backoff(world: World) -> None:
    def flaky(task: Task) -> None:
        raise RetryLater("storage unreachable")

    world.handler = flaky
    task = world.enqueue()
    start = world.clock.now()
    assert world.engine.run_next("w1")
    waiting = world.task(task.key)
    assert waiting.state is TaskState.PENDING and waiting.last_error == "storage unreachable"
    assert waiting.next_run_at == start + BACKOFF
    assert world.engine.seconds_until_due(60) == pytest.approx(2.0)
    assert world.engine.run_next("w1") is False  # not due before its backoff ends
    world.clock.advance(2)
    assert world.engine.run_next("w1")
    assert world.task(task.key).next_run_at == world.clock.now() + 2 * BACKOFF  # the second wait doubles
    world.clock.advance(3.9)
    assert world.engine.run_next("w1") is False
    world.clock.advance(0.1)
    assert world.engine.run_next("w1")
    assert len(world.runs) == 3


def test_a_task_that_waits_is_queued_again_without_using_an_attempt(world: World) -> None:
    """``NotYet`` (a job waiting for a node): the claim ends, the task is due again after the wait
    it names, and its attempts stay as they were, however long it waits."""
    waits = {"left": 5}

    def waiting(task: Task) -> None:
        if waits["left"]:
            waits["left"] -= 1
            raise NotYet("no free node", timedelta(seconds=1))

    world.handler = waiting
    task = world.enqueue()
    for _ in range(5):  # more waits than the kind's 3 attempts
        assert world.engine.run_next("w1")
        waiting_task = world.task(task.key)
        assert waiting_task.state is TaskState.PENDING and waiting_task.attempts == 0
        assert waiting_task.lease_owner is None and waiting_task.next_run_at == world.clock.now() + timedelta(seconds=1)
        assert world.engine.run_next("w1") is False  # not due before its wait ends
        world.clock.advance(1)
    assert world.engine.run_next("w1")
    done = world.task(task.key)
    assert done.state is TaskState.SUCCEEDED and done.attempts == 1 and len(world.runs) == 6
    assert world.failed == []


def test_attempts_used_up_end_failed_with_the_error_and_the_kinds_hook(world: World) -> None:
    def broken(task: Task) -> None:
        raise ConnectionError("region down")

    world.handler = broken
    task = world.enqueue()
    for _ in range(3):
        assert world.engine.run_next("w1")
        world.clock.advance(600)
    ended = world.task(task.key)
    assert ended.state is TaskState.FAILED and ended.attempts == 3
    assert ended.last_error == "ConnectionError: region down"
    assert [t.key for t in world.failed] == [task.key]
    assert world.engine.run_next("w1") is False  # never claimed again
    assert world.engine.seconds_until_due(60) == 60


def test_a_final_failure_is_not_retried(world: World) -> None:
    def impossible(task: Task) -> None:
        raise TaskFailed("the target no longer exists")

    world.handler = impossible
    task = world.enqueue()
    assert world.engine.run_next("w1")
    ended = world.task(task.key)
    assert (ended.state, ended.attempts, ended.last_error) == (TaskState.FAILED, 1, "the target no longer exists")
    assert world.failed == [ended]


def test_a_lease_that_runs_out_hands_the_task_over_and_the_late_outcome_is_dropped(world: World) -> None:
    """Worker 1 stalls past its lease (no heartbeat renews it: the fake clock jumps); worker 2
    claims the task and succeeds; worker 1's late failure must not overwrite that."""
    task = world.enqueue()

    def stalls_then_fails(t: Task) -> None:
        if len(world.runs) == 1:
            world.clock.advance(LEASE.total_seconds() + 1)
            assert world.engine.seconds_until_due(60) == 0  # the lease ran out: due at once
            assert world.engine.run_next("w2")  # the takeover, which runs and succeeds
            raise RetryLater("worker 1 came back late")

    world.handler = stalls_then_fails
    assert world.engine.run_next("w1")
    ended = world.task(task.key)
    assert ended.state is TaskState.SUCCEEDED and ended.attempts == 2
    assert world.runs == [task.key, task.key]


def test_a_heartbeat_keeps_the_claim_while_the_handler_runs() -> None:
    """A handler slower than its lease keeps its claim: the engine renews it every third of the
    lease (real seconds), stamped with the clock's time, so no second worker takes the task."""
    world = World()
    lease = timedelta(seconds=0.15)
    seen: list[Task] = []

    def slow(task: Task) -> None:
        world.clock.advance(3600)  # far past the lease granted at the claim
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            current = world.task(task.key)
            if current.heartbeat_at == world.clock.now():
                seen.append(current)
                break
            time.sleep(0.02)
        assert world.engine.run_next("w2") is False  # the renewed claim is not due

    world.engine.register(TaskKind("test.kind", slow, lease=lease))
    task = world.enqueue()
    assert world.engine.run_next("w1")
    assert len(seen) == 1 and seen[0].lease_owner == "w1"
    assert seen[0].lease_expires_at == world.clock.now() + lease
    assert world.task(task.key).state is TaskState.SUCCEEDED


def test_a_task_whose_worker_dies_every_time_ends_failed(world: World) -> None:
    """Each claim counts an attempt even if its worker never reports; past the kind's attempts the
    next claim fails the task instead of running it again."""
    task = world.enqueue()
    for worker in ("w1", "w2", "w3"):
        with world.deps.uow(write=True) as uow:
            due = uow.tasks.next_due(world.clock.now(), ["test.kind"])
            assert due is not None
            uow.tasks.save(due.claimed(worker, world.clock.now(), LEASE))  # then the process dies
            uow.commit()
        world.clock.advance(LEASE.total_seconds() + 1)
    assert world.engine.run_next("w4")
    ended = world.task(task.key)
    assert ended.state is TaskState.FAILED and ended.last_error == "The task failed after 3 attempts."
    assert world.runs == [] and world.failed == [ended]


def test_released_leases_are_claimable_at_once(world: World) -> None:
    task = world.enqueue()
    with world.deps.uow(write=True) as uow:
        uow.tasks.save(task.claimed("dead-process", world.clock.now(), LEASE))
        uow.commit()
    assert world.engine.run_next("w1") is False  # its lease still runs
    assert world.engine.release_leases() == 1
    assert world.engine.run_next("w1")
    assert world.task(task.key).state is TaskState.SUCCEEDED


def test_only_succeeded_work_is_forgotten_so_it_can_be_queued_again(world: World) -> None:
    done, failed, waiting = world.enqueue("done"), world.enqueue("failed"), world.enqueue("waiting")
    with world.deps.uow(write=True) as uow:
        uow.tasks.save(done.succeeded(world.clock.now()))
        uow.tasks.save(failed.failed(world.clock.now(), "gave up"))
        assert uow.tasks.forget_succeeded(["done", "failed", "waiting", "unknown"]) == 1
        again = [world.engine.new("test.kind", dedupe_key=k) for k in ("done", "failed", "waiting")]
        assert world.engine.enqueue_many(uow, again) == 1  # the succeeded one only: queued afresh
        uow.commit()
    assert world.task(failed.key).state is TaskState.FAILED and world.task(waiting.key).state is TaskState.PENDING
