"""Failed sign-ins, counted per client address and per principal name, to refuse password
guessing before it costs a password hash.

A sliding window: a key (``ip:<address>`` or ``principal:<name>``) with ``limit`` failures in the
last ``window`` seconds is refused until its oldest failure leaves the window; the refusal says
when (``retry_after``, for ``Retry-After``). Checks that are still running count as failures
while they run, so a burst of concurrent guesses from one client cannot all pass the gate before
the first one fails. Names are counted whether or not such a principal exists, so the answers do
not tell which names do.

The counts live in this process: servers sharing a database each count their own (a client
spread over N replicas gets N times the budget, which still bounds it). Memory is bounded:
expired keys are dropped, and past ``max_keys`` the oldest keys go first.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from amlite.ports import Clock
from amlite.services.context import SystemClock


class SignInThrottled(Exception):
    """Too many failed sign-ins for a client or a principal; try again in ``retry_after`` seconds."""

    def __init__(self, retry_after: int, subject: str) -> None:
        super().__init__(f"too many failed sign-ins for {subject}; retry after {retry_after}s")
        self.retry_after = retry_after
        self.subject = subject


class SignInThrottle:
    def __init__(self, *, window_seconds: float, per_ip: int, per_principal: int,
                 clock: Clock | None = None, max_keys: int = 100_000) -> None:
        self._window = window_seconds
        self._limits = {"ip": per_ip, "principal": per_principal}
        self._clock: Clock = clock or SystemClock()
        self._max_keys = max_keys
        self._failures: dict[str, deque[float]] = {}
        self._running: dict[str, int] = {}
        self._lock = threading.Lock()

    @contextmanager
    def attempt(self, client_ip: str, principal: str) -> Iterator[Callable[[], None]]:
        """Guard one credential check: raises ``SignInThrottled`` before it when the client or the
        principal is over its limit; yields ``failed``, to be called when the credentials are wrong."""
        keys = [("ip", f"ip:{client_ip}"), ("principal", f"principal:{principal.strip().lower()}")]
        failed = False

        def mark_failed() -> None:
            nonlocal failed
            failed = True

        with self._lock:
            now = self._now()
            for kind, key in keys:
                history = self._recent(key, now)
                running = self._running.get(key, 0)
                if len(history) + running >= self._limits[kind]:
                    wait = history[0] + self._window - now if len(history) >= self._limits[kind] else 1.0
                    raise SignInThrottled(max(1, math.ceil(wait)), "this client" if kind == "ip" else "this account")
            for _, key in keys:
                self._running[key] = self._running.get(key, 0) + 1
        try:
            yield mark_failed
        finally:
            with self._lock:
                now = self._now()
                for _, key in keys:
                    left = self._running.pop(key, 1) - 1
                    if left:
                        self._running[key] = left
                    if failed:
                        self._failures.setdefault(key, deque()).append(now)
                if failed and len(self._failures) > self._max_keys:
                    self._prune(now)

    def _now(self) -> float:
        return self._clock.now().timestamp()

    def _recent(self, key: str, now: float) -> deque[float]:
        history = self._failures.get(key)
        if history is None:
            return deque()
        while history and history[0] <= now - self._window:
            history.popleft()
        if not history:
            del self._failures[key]
        return history

    def _prune(self, now: float) -> None:
        for key in list(self._failures):
            self._recent(key, now)
        while len(self._failures) > self._max_keys:
            del self._failures[next(iter(self._failures))]
