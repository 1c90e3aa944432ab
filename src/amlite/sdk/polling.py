"""Long-running operation pollers, shaped like azure-core's ``LROPoller``.

ARM answers a long operation (resource group delete, workspace delete) with ``202 Accepted`` and
headers that say where to look: ``Azure-AsyncOperation`` (a status body whose ``status`` goes
``InProgress`` → ``Succeeded``/``Failed``/``Canceled``) and ``Location`` (202 while running, 200/204
when done, the error when failed), plus ``Retry-After`` seconds. A synchronous ``200``/``201``
answer means the work is done already, and the poller starts out done.

Unlike azure-core this poller does not start a background thread: it polls in the caller's thread
inside ``wait()``/``result()`` (and once per ``done()`` when the server's ``Retry-After`` has
elapsed). That keeps the CLI's ``--no-wait`` free of stray threads and makes tests deterministic.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import httpx

from amlite.sdk._pipeline import HttpPipeline
from amlite.sdk.errors import (
    HttpResponseError,
    ServiceRequestError,
    error_from_body,
    error_from_response,
)

__all__ = ["LROPoller", "TERMINAL_STATES"]

T = TypeVar("T")

SUCCEEDED = "Succeeded"
IN_PROGRESS = "InProgress"
TERMINAL_STATES = frozenset({"succeeded", "failed", "canceled", "cancelled"})

Deserializer = Callable[["httpx.Response | None"], T]


def _retry_after(response: httpx.Response, default: float) -> float:
    """Seconds to wait before the next poll: the server's ``Retry-After`` if positive.

    ``Retry-After: 0`` is treated as absent, as azure-core does.
    """
    value = response.headers.get("retry-after")
    if value:
        try:
            seconds = float(value)
        except ValueError:
            return default
        if seconds > 0:
            return seconds
    return default


class LROPoller(Generic[T]):
    """Tracks one long-running operation until it reaches a terminal state.

    ``result(timeout=None)`` waits and returns the final resource (``None`` for deletes), raising
    the operation's typed error if it failed and :class:`TimeoutError` if ``timeout`` passed first.
    """

    #: Consecutive connection failures tolerated while polling before giving up.
    MAX_TRANSPORT_RETRIES = 5

    def __init__(
        self,
        pipeline: HttpPipeline,
        initial: httpx.Response | None,
        deserialize: Callable[[httpx.Response | None], T],
        *,
        api_version: str | None = None,
        final_url: str | None = None,
        polling_interval: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._pipeline = pipeline
        self._deserialize = deserialize
        self._api_version = api_version
        self._final_url = final_url
        self._interval = polling_interval
        self._sleep = sleep
        self._clock = clock
        self._status = IN_PROGRESS
        self._result: T | None = None
        self._exception: HttpResponseError | None = None
        self._status_url: str | None = None
        self._location_url: str | None = None
        self._delay = polling_interval
        self._next_poll_at = clock()
        self._transport_failures = 0
        if initial is not None:
            self._start(initial)

    # -- public API (azure-core's names) --------------------------------------------------------
    def status(self) -> str:
        """The last known status: ``InProgress``, ``Succeeded``, ``Failed`` or ``Canceled``."""
        return self._status

    def done(self) -> bool:
        """True once terminal; polls once (without sleeping) if the server's delay has elapsed."""
        if not self._terminal and self._clock() >= self._next_poll_at:
            self._poll_safely()
        return self._terminal

    def wait(self, timeout: float | None = None) -> None:
        """Poll until terminal or until ``timeout`` seconds pass; re-raises a failed operation's error."""
        deadline = None if timeout is None else self._clock() + timeout
        while not self._terminal:
            now = self._clock()
            wait_for = max(0.0, self._next_poll_at - now)
            if deadline is not None:
                remaining = deadline - now
                if remaining <= 0:
                    break
                if wait_for > remaining:
                    self._sleep(remaining)  # the next poll would come after the deadline
                    break
            if wait_for > 0:
                self._sleep(wait_for)
            self._poll_safely()
        if self._exception is not None:
            raise self._exception

    def result(self, timeout: float | None = None) -> T:
        """Wait for the operation and return its result (``None`` for deletes)."""
        self.wait(timeout)
        if not self._terminal:
            raise TimeoutError(f"The operation did not finish within {timeout} seconds.")
        return self._result  # type: ignore[return-value]

    def polling_url(self) -> str | None:
        """The URL being polled (``Azure-AsyncOperation`` if given, else ``Location``)."""
        return self._status_url or self._location_url

    def continuation_token(self) -> str | None:
        """An opaque token to resume polling elsewhere; here simply the polling URL."""
        return self.polling_url()

    # -- internals ------------------------------------------------------------------------------
    @property
    def _terminal(self) -> bool:
        return self._status.lower() in TERMINAL_STATES

    def _start(self, initial: httpx.Response) -> None:
        self._status_url = initial.headers.get("azure-asyncoperation")
        self._location_url = initial.headers.get("location")
        if initial.status_code == 202 or (self._status_url and initial.status_code == 201):
            if not (self._status_url or self._location_url):
                # Accepted without a way to follow it: nothing to poll, treat as done.
                self._finish(None)
                return
            self._delay = _retry_after(initial, self._interval)
            self._next_poll_at = self._clock() + self._delay
            return
        self._finish(initial if initial.status_code != 204 else None)

    def _finish(self, response: httpx.Response | None) -> None:
        self._result = self._deserialize(response)
        self._status = SUCCEEDED

    def _fail(self, error: HttpResponseError, status: str = "Failed") -> None:
        self._exception = error
        self._status = status

    def _poll_safely(self) -> None:
        try:
            self._poll()
            self._transport_failures = 0
        except ServiceRequestError:
            # The server may be restarting; operations survive restarts, so try again a few times.
            self._transport_failures += 1
            if self._transport_failures > self.MAX_TRANSPORT_RETRIES:
                raise
            self._next_poll_at = self._clock() + max(self._delay, 1.0)
        except HttpResponseError as exc:
            # Polling itself failed (e.g. the status URL vanished): surface it as the outcome.
            self._fail(exc)

    def _poll(self) -> None:
        assert self._pipeline is not None
        if self._status_url:
            response = self._pipeline.send("GET", self._status_url, api_version=self._api_version)
            body: Any = response.json() if response.content else {}
            status = str(body.get("status") or IN_PROGRESS) if isinstance(body, dict) else IN_PROGRESS
            if status.lower() == "succeeded":
                self._finish(self._final_response())
            elif status.lower() in TERMINAL_STATES:
                self._fail(self._failure(body, status), status)
            else:
                self._status = status
                self._schedule(response)
            return
        response = self._pipeline.send_raw("GET", self._location_url or "", api_version=self._api_version)
        if response.status_code == 202:
            self._status = IN_PROGRESS
            self._location_url = response.headers.get("location") or self._location_url
            self._schedule(response)
        elif response.status_code >= 400:
            self._fail(error_from_response(response))
        else:
            self._finish(self._final_response(response))

    def _failure(self, body: dict[str, Any], status: str) -> HttpResponseError:
        """The typed error of a failed operation.

        The status body has the error's code but no HTTP status; the Location URL answers the
        operation's error with its status, so ask it when there is one (it costs a request only
        on failure) and fall back to the status body's error.
        """
        error = body.get("error") or {"code": "OperationFailed",
                                      "message": f"The operation ended as {status}."}
        if self._location_url and self._pipeline is not None:
            try:
                answer = self._pipeline.send_raw("GET", self._location_url, api_version=self._api_version)
            except ServiceRequestError:
                answer = None
            if answer is not None and answer.status_code >= 400:
                typed = error_from_response(answer)
                if typed.error.code == str(error.get("code")):
                    return typed
        return error_from_body(error)

    def _schedule(self, response: httpx.Response) -> None:
        self._delay = _retry_after(response, self._interval)
        self._next_poll_at = self._clock() + self._delay

    def _final_response(self, location_answer: httpx.Response | None = None) -> httpx.Response | None:
        """For PUT/PATCH, GET the resource itself; otherwise what the Location URL answered."""
        if self._final_url:
            assert self._pipeline is not None
            return self._pipeline.send("GET", self._final_url, api_version=self._api_version)
        if location_answer is not None and location_answer.status_code != 204 and location_answer.content:
            return location_answer
        return None
