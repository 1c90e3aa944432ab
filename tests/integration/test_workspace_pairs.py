"""Paired workspaces through the API (issue 15, behaviour 2): validation, the continuous copy of
a hot kind's versions and bytes into the secondary, lag per kind, hot-cold copying nothing, and a
copy interrupted mid-way retried without a half version in the secondary."""

from __future__ import annotations

import hashlib
import time
from typing import Any

import pytest

from amlite.domain.pairs import PAIR_COPY
from tests.integration.conftest import ML, Api
from tests.integration.rbac_helpers import assign, bearer, create_user, user_token
from tests.integration.test_registry_assets import model_body, upload

PAIRS = "/providers/Microsoft.MachineLearningServices/workspacePairs"


def make_pair(api: Api, name: str, primary: str, secondary: str, mode: str = "hot-hot", **kw: Any) -> Any:
    props: dict[str, Any] = {"primaryWorkspaceId": primary, "secondaryWorkspaceId": secondary, "mode": mode}
    if "per_kind" in kw:
        props["perKind"] = kw.pop("per_kind")
    return api.request("PUT", f"{PAIRS}/{name}", ML, json={"properties": props}, **kw)


def lag(api: Api, name: str) -> dict[str, dict[str, Any]]:
    body = api.request("GET", f"{PAIRS}/{name}", ML).json()
    return {x["kind"]: x for x in body["properties"]["lag"]}


def wait_copied(api: Api, name: str, kind: str, timeout: float = 30.0) -> dict[str, dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        now = lag(api, name)
        if now[kind]["versionsPending"] == 0 or time.monotonic() > deadline:
            return now
        time.sleep(0.05)


@pytest.fixture
def two(api: Api, name: str) -> tuple[str, str]:
    api.create_group(name)
    api.create_workspace(name, f"p{name}", location="eastus")
    api.create_workspace(name, f"s{name}", location="westus")
    return api.ws_path(name, f"p{name}"), api.ws_path(name, f"s{name}")


def test_hot_models_are_copied_with_their_bytes_and_cold_kinds_are_not(api: Api, name: str, two: Any) -> None:
    primary, secondary = two
    data = b"weights " * 5000
    digest = upload(api, primary, data)
    assert api.request("PUT", f"{primary}/models/m/versions/1", ML,
                       json=model_body(digest, len(data))).status_code == 201  # before the pair: back-filled
    env = {"properties": {"image": "python:3.11", "osType": "Linux"}}
    assert api.request("PUT", f"{primary}/environments/e/versions/1", ML, json=env).status_code == 201
    r = make_pair(api, f"pair-{name}", primary, secondary, "hot-hot", per_kind={"environments": "hot-cold"})
    assert r.status_code == 201, r.text
    assert r.json()["properties"]["perKind"] == {"environments": "hot-cold"}
    assert api.request("PUT", f"{primary}/models/m/versions/2", ML,
                       json=model_body(digest, len(data))).status_code == 201  # after: the hook
    now = wait_copied(api, f"pair-{name}", "models")
    assert now["models"]["versionsPending"] == 0 and now["models"]["copied"], now
    assert now["environments"] == {**now["environments"], "copied": False, "versionsPending": 1}  # hot-cold: RPO
    for version in ("1", "2"):
        got = api.request("GET", f"{secondary}/models/m/versions/{version}", ML)
        assert got.status_code == 200, got.text
    assert api.request("GET", f"{secondary}/environments/e/versions/1", ML).status_code == 404
    # the bytes are in the secondary's own storage, verified
    body = api.client.get(api.url(f"{secondary}/artifacts/blobs/{digest}", ML))
    assert body.status_code == 200 and hashlib.sha256(body.content).hexdigest() == digest
    listed = api.request("GET", PAIRS, ML).json()["value"]
    assert f"pair-{name}" in {p["name"] for p in listed}
    assert api.request("DELETE", f"{PAIRS}/pair-{name}", ML).status_code == 200
    assert api.request("GET", f"{PAIRS}/pair-{name}", ML).status_code == 404
    assert api.request("GET", f"{secondary}/models/m/versions/1", ML).status_code == 200  # copies stay


@pytest.mark.parametrize("case", ["same", "same-region", "bad-mode", "bad-kind", "bad-id", "missing"])
def test_bad_pairs_are_refused_and_change_nothing(api: Api, name: str, two: Any, case: str) -> None:
    primary, secondary = two
    api.create_workspace(name, f"q{name}", location="eastus")
    same_region = api.ws_path(name, f"q{name}")
    before = api.snapshot()
    args = {
        "same": (primary, primary, "hot-hot", {}), "same-region": (primary, same_region, "hot-hot", {}),
        "bad-mode": (primary, secondary, "lukewarm", {}),
        "bad-kind": (primary, secondary, "hot-hot", {"per_kind": {"notebooks": "hot-hot"}}),
        "bad-id": (primary, "/not/a/workspace", "hot-hot", {}),
        "missing": (primary, api.ws_path(name, "nope"), "hot-hot", {}),
    }[case]
    r = make_pair(api, f"pair-{name}", args[0], args[1], args[2], **args[3])
    assert r.status_code == {"same": 409, "same-region": 409, "missing": 404}.get(case, 400), r.text
    assert api.snapshot() == before


def test_the_caller_needs_write_on_both_workspaces(api: Api, name: str, two: Any) -> None:
    primary, secondary = two
    create_user(api, name)
    token = user_token(api, name)
    user_id = api.client.get(f"/v1.0/users/{name}@amlite.local").json()["id"]
    assert assign(api, user_id, "Contributor", primary).status_code == 201
    assert assign(api, user_id, "Reader", secondary).status_code == 201
    before = api.snapshot()
    r = make_pair(api, f"pair-{name}", primary, secondary, headers=bearer(token))
    assert r.status_code == 403 and secondary in r.json()["error"]["message"], r.text
    assert api.snapshot() == before


def test_an_interrupted_copy_is_retried_and_no_half_version_shows(api: Api, name: str, two: Any,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The copy dies after the bytes and before the version (as a kill -9 there would): the
    secondary shows no version, the task is retried, and the version arrives whole."""
    primary, secondary = two
    data = b"interrupted " * 1000
    digest = upload(api, primary, data)
    api.container.worker.stop()
    try:
        assert make_pair(api, f"pair-{name}", primary, secondary).status_code == 201
        assert api.request("PUT", f"{primary}/models/k/versions/1", ML,
                           json=model_body(digest, len(data))).status_code == 201
        from amlite.services import pairs as pairs_module

        def die(name: str) -> None:
            if name == "pair.before_version":
                raise SystemExit("killed")  # stands in for the process dying there
        monkeypatch.setattr(pairs_module, "fault_point", die)
        with pytest.raises(SystemExit):
            api.container.tasks.run_next("w1")
        assert api.request("GET", f"{secondary}/models/k/versions/1", ML).status_code == 404  # no half version
        [task] = _pair_tasks(api)
        assert task.state.value == "Running" and task.attempts == 1
        monkeypatch.undo()
        api.container.tasks.release_leases()  # what a restart does (SQLite) or a lease running out does
    finally:
        api.container.worker.start()
    now = wait_copied(api, f"pair-{name}", "models")
    assert now["models"]["versionsPending"] == 0, now
    assert api.request("GET", f"{secondary}/models/k/versions/1", ML).status_code == 200
    [task] = _pair_tasks(api)
    assert task.state.value == "Succeeded" and task.attempts == 2


def _pair_tasks(api: Api) -> list[Any]:
    with api.container.deps.uow() as uow:
        return [t for t in _all(uow) if t.kind == PAIR_COPY]


def _all(uow: Any) -> list[Any]:
    from amlite.store import tables as t
    import sqlalchemy as sa
    from amlite.store.task_repos import _task

    return [_task(row) for row in uow._conn.execute(sa.select(t.tasks).where(t.tasks.c.kind == PAIR_COPY))]


def test_the_cli_creates_shows_lists_and_deletes_a_pair(api: Api, name: str, two: Any, tmp_path: Any,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from tests.integration.clients import app_transport, cli_login, route_cli
    from tests.unit.test_cli_commands import run

    primary, secondary = two
    route_cli(app_transport(api), monkeypatch, tmp_path)
    cli_login(api, tmp_path)
    made = run("ml", "workspace", "pair", "create", "-n", f"c{name}", "--primary", primary, "--secondary", secondary,
               "--mode", "hot-warm", "--per-kind", "models=hot-hot,jobs=hot-cold")
    assert made.exit_code == 0, made.stderr
    props = json.loads(made.stdout)["properties"]
    assert props["mode"] == "hot-warm" and props["perKind"] == {"jobs": "hot-cold", "models": "hot-hot"}
    shown = json.loads(run("ml", "workspace", "pair", "show", "-n", f"c{name}").stdout)
    assert {x["kind"] for x in shown["properties"]["lag"]} == {"models", "environments", "components", "data", "jobs",
                                                          "endpoints"}
    assert f"c{name}" in {p["name"] for p in json.loads(run("ml", "workspace", "pair", "list").stdout)}
    bad = run("ml", "workspace", "pair", "create", "-n", f"d{name}", "--primary", primary, "--secondary", secondary,
              "--mode", "tepid")
    assert bad.exit_code != 0 and "InvalidPairMode" in bad.stderr
    assert run("ml", "workspace", "pair", "delete", "-n", f"c{name}").exit_code == 0
    assert run("ml", "workspace", "pair", "show", "-n", f"c{name}").exit_code == 3


def test_a_copy_into_a_failed_region_that_gave_up_lands_after_restore(api: Api, name: str, two: Any) -> None:
    """The secondary's region fails; a version made in the primary meanwhile has its copy fail
    (and use up its attempts, as a long outage does); the restore queues it again and it lands."""
    from dataclasses import replace

    from amlite.services.pairs import MAX_ATTEMPTS

    primary, secondary = two
    loc = "/providers/Microsoft.MachineLearningServices/locations"
    data = b"made during the outage " * 200
    digest = upload(api, primary, data)
    assert make_pair(api, f"pair-{name}", primary, secondary).status_code == 201
    api.container.worker.stop()
    try:
        assert api.request("POST", f"{loc}/westus/fail", ML).status_code == 200
        assert api.request("PUT", f"{primary}/models/o/versions/1", ML,
                           json=model_body(digest, len(data))).status_code == 201
        task = _run_copy_once(api, "o")  # the copy meets the failed region's storage
        assert task.state.value == "Pending" and "unavailable" in (task.last_error or ""), task
        with api.container.deps.uow(write=True) as uow:  # the outage outlasts every remaining attempt
            uow.tasks.save(replace(task, attempts=MAX_ATTEMPTS, next_run_at=api.container.deps.clock.now()))
            uow.commit()
        assert api.container.tasks.run_next("w1")
        [task] = [t for t in _pair_tasks(api) if t.payload["name"] == "o"]
        assert task.state.value == "Failed", task
        assert api.container.pairs.reconcile() == 0  # given up on: the version pass does not requeue it
        assert api.request("POST", f"{loc}/westus/restore", ML).status_code == 200
        [task] = [t for t in _pair_tasks(api) if t.payload["name"] == "o"]
        assert task.state.value == "Pending" and task.attempts == 0, task
        assert api.container.pairs.catch_up() == 0  # the hook did it: idempotent
    finally:
        api.request("POST", f"{loc}/westus/restore", ML)
        api.container.worker.start()
    now = wait_copied(api, f"pair-{name}", "models")
    assert now["models"]["versionsPending"] == 0, now
    assert api.request("GET", f"{secondary}/models/o/versions/1", ML).status_code == 200


def test_the_reconciler_requeues_a_copy_whose_restore_hook_was_lost(api: Api, name: str, two: Any) -> None:
    primary, secondary = two
    loc = "/providers/Microsoft.MachineLearningServices/locations"
    data = b"hook lost " * 300
    digest = upload(api, primary, data)
    assert make_pair(api, f"pair-{name}", primary, secondary).status_code == 201
    api.container.worker.stop()
    hooks = list(api.container.outages.on_restored)
    try:
        assert api.request("POST", f"{loc}/westus/fail", ML).status_code == 200
        assert api.request("PUT", f"{primary}/models/h/versions/1", ML,
                           json=model_body(digest, len(data))).status_code == 201
        task = _run_copy_once(api, "h")
        with api.container.deps.uow(write=True) as uow:
            uow.tasks.save(task.failed(api.container.deps.clock.now(), task.last_error or "gave up"))
            uow.commit()
        api.container.outages.on_restored.clear()  # the process died before the hook ran
        assert api.request("POST", f"{loc}/westus/restore", ML).status_code == 200
        [task] = [t for t in _pair_tasks(api) if t.payload["name"] == "h"]
        assert task.state.value == "Failed"
        assert api.container.pairs.catch_up() >= 1  # the reconciler's pass
        [task] = [t for t in _pair_tasks(api) if t.payload["name"] == "h"]
        assert task.state.value == "Pending" and task.attempts == 0
    finally:
        api.container.outages.on_restored[:] = hooks
        api.request("POST", f"{loc}/westus/restore", ML)
        api.container.worker.start()
    assert wait_copied(api, f"pair-{name}", "models")["models"]["versionsPending"] == 0
    assert api.request("GET", f"{secondary}/models/h/versions/1", ML).status_code == 200


def _run_copy_once(api: Api, model: str) -> Any:
    """Run due tasks (the worker is stopped) until the copy of ``model`` has made one attempt."""
    for _ in range(100):
        [task] = [t for t in _pair_tasks(api) if t.payload["name"] == model]
        if task.attempts >= 1:
            return task
        assert api.container.tasks.run_next("w1"), "the copy never fell due"
    raise AssertionError("the copy was not attempted")
