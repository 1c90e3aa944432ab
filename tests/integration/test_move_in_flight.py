"""A workspace move caught in flight on a real server's store: while the move's transaction waits,
ARM's Location poll answers 202 and every request that needs the workspace answers
409 WorkspaceMoving; once it commits, the poll answers 204 and the workspace serves at its new id.

The move is held by a row lock another connection takes on the workspace's associated records
(the rows the move's one transaction re-roots), not by changing any code path. PostgreSQL only:
SQLite locks the whole database, so the requests that hit the 409 could not be answered meanwhile.
"""

from __future__ import annotations

import time

import sqlalchemy as sa

from amlite.store import tables as t
from tests.integration.conftest import ML, Api
from tests.integration.test_moves import (  # noqa: F401 - dest_sub: the destination subscription fixture
    KINDS_BODIES, dest_sub, make_group, post, put_version, rg_id, ws_id)

STORES = ("postgresql",)  # row locks (see the module's docstring)



def test_a_move_in_flight_answers_202_to_its_poll_and_409_workspace_moving(api: Api, dest_sub: str, name: str) -> None:
    src, dst = f"{name}-src", f"{name}-dst"
    make_group(api, api.sub, src)
    make_group(api, dest_sub, dst)
    api.create_workspace(src, "wsmove")
    old, new = ws_id(api.sub, src, "wsmove"), ws_id(dest_sub, dst, "wsmove")
    put_version(api, old, "models", "m", "1")
    with api.container.deps.uow() as uow:
        ws = uow.workspaces.get(api.sub, src, "wsmove")
        assert ws is not None
        ws_key = ws.key
    with api.container.engine.connect() as holder:
        holder.execute(sa.select(t.resources.c.key).where(t.resources.c.workspace_key == ws_key).with_for_update()).all()
        accepted = post(api, "moveResources", api.sub, src, [old], rg_id(dest_sub, dst))
        assert accepted.status_code == 202, accepted.text
        location = accepted.headers["Location"]
        time.sleep(1.5)  # the move's task has started and waits on the lock
        assert api.client.get(location).status_code == 202
        for method, suffix, body in (("GET", "", None), ("GET", "/models/m/versions/1", None),
                                     ("PUT", "/models/m/versions/2", {"properties": KINDS_BODIES["models"]}),
                                     ("DELETE", "", None)):
            r = api.request(method, old + suffix, ML, json=body)
            assert r.status_code == 409 and r.json()["error"]["code"] == "WorkspaceMoving", (method, suffix, r.text)
        assert api.request("GET", new, ML).status_code == 404  # not there yet either
        holder.rollback()
    deadline = time.monotonic() + 20
    while (answer := api.client.get(location)).status_code == 202 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert answer.status_code == 204, answer.text
    assert api.request("GET", old, ML).status_code == 404
    moved = api.request("GET", new, ML)
    assert moved.status_code == 200 and moved.json()["properties"]["provisioningState"] == "Succeeded"
    versions = api.request("GET", f"{new}/models/m/versions", ML).json()["value"]
    assert [v["name"] for v in versions] == ["1"]  # the write refused during the move did not land


