"""The LRO poller against an httpx.MockTransport: status URL, Location, Retry-After, failures."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from amlite.sdk._pipeline import HttpPipeline
from amlite.sdk.credentials import AccessToken
from amlite.sdk.errors import ResourceExistsError, ResourceNotFoundError, ServiceRequestError
from amlite.sdk.polling import LROPoller

BASE = "http://127.0.0.1:9"
STATUS = f"{BASE}/subscriptions/s/providers/Microsoft.Resources/locations/eastus/operationStatuses/op1?api-version=2024-03-01"
RESULT = f"{BASE}/subscriptions/s/providers/Microsoft.Resources/locations/eastus/operationResults/op1?api-version=2024-03-01"


class FakeCredential:
    endpoint = BASE

    def get_token(self, *scopes: str, **kwargs: object) -> AccessToken:
        return AccessToken("tok", 2**31)


class FakeClock:
    """A clock that only moves when the poller sleeps, so tests never wait."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _pipeline(handler: Callable[[httpx.Request], httpx.Response]) -> HttpPipeline:
    return HttpPipeline(FakeCredential(), BASE, transport=httpx.MockTransport(handler))


def _accepted(retry_after: str = "1", status_url: bool = True) -> httpx.Response:
    headers = {"Location": RESULT, "Retry-After": retry_after}
    if status_url:
        headers["Azure-AsyncOperation"] = STATUS
    return httpx.Response(202, headers=headers, request=httpx.Request("DELETE", f"{BASE}/x"))


def _poller(handler: Callable[[httpx.Request], httpx.Response], initial: httpx.Response,
            clock: FakeClock, **kw: object) -> LROPoller[None]:
    return LROPoller(_pipeline(handler), initial, lambda _r: None, api_version="2024-03-01",
                     sleep=clock.sleep, clock=clock.time, **kw)  # type: ignore[arg-type]


def test_follows_status_url_until_succeeded_and_honours_retry_after() -> None:
    answers = iter(["InProgress", "InProgress", "Succeeded"])
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        assert "operationStatuses" in request.url.path
        return httpx.Response(200, json={"status": next(answers)}, headers={"Retry-After": "2"})

    clock = FakeClock()
    poller = _poller(handler, _accepted("3"), clock)
    assert poller.status() == "InProgress"
    assert not poller.done()  # 3 s have not passed: no request yet
    assert seen == []
    assert poller.result() is None
    assert poller.status() == "Succeeded"
    assert poller.done()
    assert len(seen) == 3
    assert clock.sleeps == [3.0, 2.0, 2.0]  # first the initial Retry-After, then the polls'
    # The status URL already carries api-version: it is followed as is, not duplicated.
    assert seen[0].url.params.get_list("api-version") == ["2024-03-01"]
    assert seen[0].headers["Authorization"] == "Bearer tok"


def test_retry_after_zero_means_default_interval() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"status": "Succeeded"})

    clock = FakeClock()
    poller = _poller(handler, _accepted("0"), clock, polling_interval=0.5)
    poller.result()
    assert clock.sleeps == [0.5]


def test_failed_operation_raises_typed_error_from_status_body() -> None:
    error = {"code": "ResourceGroupNotEmpty", "message": "rg1 holds ws1"}

    def handler(request: httpx.Request) -> httpx.Response:
        if "operationResults" in request.url.path:  # Location answers the error with its status
            return httpx.Response(409, json={"error": error})
        return httpx.Response(200, json={"status": "Failed", "error": error})

    clock = FakeClock()
    poller = _poller(handler, _accepted(), clock)
    with pytest.raises(ResourceExistsError) as info:
        poller.result()
    assert str(info.value) == "(ResourceGroupNotEmpty) rg1 holds ws1"
    assert info.value.status_code == 409
    assert poller.status() == "Failed"
    with pytest.raises(ResourceExistsError):  # the error is kept, not lost after the first call
        poller.wait()


def test_failed_operation_without_location_uses_status_body_code() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"status": "Failed", "error": {
            "code": "ResourceNotFound", "message": "gone"}})

    initial = httpx.Response(202, headers={"Azure-AsyncOperation": STATUS},
                             request=httpx.Request("DELETE", f"{BASE}/x"))
    poller = _poller(handler, initial, FakeClock())
    with pytest.raises(ResourceNotFoundError) as info:
        poller.result()
    assert info.value.error.message == "gone"


def test_canceled_operation_is_terminal_with_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if "operationResults" in request.url.path:
            return httpx.Response(202)
        return httpx.Response(200, json={"status": "Canceled"})

    poller = _poller(handler, _accepted(), FakeClock())
    with pytest.raises(Exception) as info:
        poller.result()
    assert "Canceled" in str(info.value)
    assert poller.status() == "Canceled"


def test_location_polling_202_then_204() -> None:
    answers = iter([202, 204])

    def handler(request: httpx.Request) -> httpx.Response:
        assert "operationResults" in request.url.path
        status = next(answers)
        headers = {"Location": RESULT, "Retry-After": "1"} if status == 202 else {}
        return httpx.Response(status, headers=headers)

    clock = FakeClock()
    poller = _poller(handler, _accepted(status_url=False), clock)
    assert poller.result() is None
    assert poller.status() == "Succeeded"
    assert clock.sleeps == [1.0, 1.0]


def test_location_polling_error_body() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"error": {"code": "ResourceNotFound", "message": "gone"}})

    poller = _poller(handler, _accepted(status_url=False), FakeClock())
    with pytest.raises(ResourceNotFoundError):
        poller.result()


def test_synchronous_answer_gives_done_poller() -> None:
    def handler(request: httpx.Request) -> httpx.Response:  # pragma: no cover - must not be called
        raise AssertionError("no polling expected")

    created = httpx.Response(201, json={"name": "ws1"}, request=httpx.Request("PUT", f"{BASE}/x"))
    poller = LROPoller(_pipeline(handler), created, lambda r: r.json()["name"] if r else None)
    assert poller.done()
    assert poller.status() == "Succeeded"
    assert poller.result() == "ws1"


def test_timeout_raises_without_waiting_forever() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"status": "InProgress"}, headers={"Retry-After": "1"})

    clock = FakeClock()
    poller = _poller(handler, _accepted(), clock)
    with pytest.raises(TimeoutError):
        poller.result(timeout=3.5)
    assert sum(clock.sleeps) == pytest.approx(3.5)
    assert poller.status() == "InProgress"
    poller.wait(timeout=0)  # returns at once, no exception


def test_final_url_is_fetched_after_success() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if "operationStatuses" in request.url.path:
            return httpx.Response(200, json={"status": "Succeeded"})
        return httpx.Response(200, json={"name": "final"})

    poller = LROPoller(_pipeline(handler), _accepted(), lambda r: r.json()["name"] if r else None,
                       final_url=f"{BASE}/thing", sleep=FakeClock().sleep)
    assert poller.result() == "final"


def test_connection_errors_while_polling_are_retried_then_raised() -> None:
    calls = {"n": 0}

    def flaky(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] <= 2:
            raise httpx.ConnectError("refused")
        return httpx.Response(200, json={"status": "Succeeded"})

    clock = FakeClock()
    assert _poller(flaky, _accepted(), clock).result() is None
    assert calls["n"] == 3

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    with pytest.raises(ServiceRequestError):
        _poller(down, _accepted(), FakeClock()).result()
