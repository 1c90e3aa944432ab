"""The task state machine and its backoff (domain/tasks.py), without any store."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from amlite.domain.tasks import MAX_BACKOFF, IllegalTransition, TaskState, backoff, new_task

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)
BASE = timedelta(seconds=2)
LEASE = timedelta(seconds=30)


def test_backoff_doubles_from_the_base_and_is_capped() -> None:
    assert [backoff(n, BASE).total_seconds() for n in (1, 2, 3, 4)] == [2, 4, 8, 16]
    assert backoff(40, BASE) == MAX_BACKOFF
    assert backoff(10_000, BASE) == MAX_BACKOFF  # no overflow however many attempts
    assert backoff(3, BASE, cap=timedelta(seconds=5)) == timedelta(seconds=5)
    assert backoff(0, BASE) == BASE


def test_a_task_is_claimed_heartbeats_is_retried_after_the_backoff_and_succeeds() -> None:
    task = new_task("k", "kind", NOW, payload={"a": 1})
    assert task.state is TaskState.PENDING and task.dedupe_key == "k" and task.is_due(NOW)
    assert not task.is_due(NOW - timedelta(seconds=1))
    claimed = task.claimed("w1", NOW, LEASE)
    assert (claimed.state, claimed.attempts, claimed.lease_owner) == (TaskState.RUNNING, 1, "w1")
    assert claimed.lease_expires_at == NOW + LEASE and claimed.last_run_at == NOW and not claimed.is_due(NOW)
    later = NOW + timedelta(seconds=20)
    beating = claimed.heartbeat(later, LEASE)
    assert beating.lease_expires_at == later + LEASE and beating.heartbeat_at == later
    assert not beating.is_due(NOW + LEASE + timedelta(seconds=1))  # the heartbeat kept the claim
    retry = beating.retried(later, "storage down", BASE, max_attempts=5)
    assert retry.state is TaskState.PENDING and retry.last_error == "storage down" and retry.lease_owner is None
    assert retry.next_run_at == later + BASE and not retry.is_due(later) and retry.is_due(later + BASE)
    second = retry.claimed("w2", later + BASE, LEASE).retried(later + BASE, "still down", BASE, max_attempts=5)
    assert second.attempts == 2 and second.next_run_at == later + BASE + 2 * BASE
    done = second.claimed("w3", later, LEASE).succeeded(later)
    assert done.state is TaskState.SUCCEEDED and done.last_error is None and done.next_run_at is None
    assert done.state.is_terminal and not done.is_due(later + MAX_BACKOFF)


def test_a_claim_whose_lease_ran_out_is_due_again() -> None:
    claimed = new_task("k", "kind", NOW).claimed("dead", NOW, LEASE)
    assert not claimed.is_due(NOW + LEASE) and claimed.is_due(NOW + LEASE + timedelta(microseconds=1))
    assert claimed.released().is_due(NOW)  # SQLite at start: the dead process's claim is let go at once


def test_a_task_that_used_its_attempts_fails_for_good_with_its_error() -> None:
    task = new_task("k", "kind", NOW)
    for _ in range(3):
        task = task.claimed("w", NOW, LEASE).retried(NOW, "down", BASE, max_attempts=3)
    assert task.state is TaskState.FAILED and task.last_error == "down" and task.next_run_at is None
    assert task.attempts == 3 and not task.is_due(NOW + MAX_BACKOFF)


def test_a_finished_task_never_moves_again() -> None:
    failed = new_task("k", "kind", NOW).claimed("w", NOW, LEASE).failed(NOW, "x" * 5000)
    assert failed.state is TaskState.FAILED and len(failed.last_error or "") == 2000
    for move in (lambda: failed.claimed("w", NOW, LEASE), lambda: failed.succeeded(NOW),
                 lambda: failed.retried(NOW, "e", BASE, 5), lambda: failed.heartbeat(NOW, LEASE)):
        with pytest.raises(IllegalTransition):
            move()
