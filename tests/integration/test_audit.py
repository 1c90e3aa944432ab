"""The audit log: every write and every denial, in the same transaction as the change."""

from __future__ import annotations

import sqlalchemy as sa

from amlite.domain.resources import Principal, PrincipalKind
from amlite.services.tokens import hash_secret
from amlite.store.tables import audit_log
from tests.integration.conftest import ML, Api


def entries(api: Api, **where: str) -> list[sa.Row]:
    query = sa.select(audit_log).order_by(audit_log.c.at)
    for column, value in where.items():
        query = query.where(getattr(audit_log.c, column) == value)
    with api.container.engine.connect() as conn:
        return list(conn.execute(query))


def test_writes_are_audited_with_the_request_ids(api: Api, name: str) -> None:
    r = api.request("PUT", api.rg_path(name), json={"location": "eastus"},
                    headers={"x-ms-correlation-request-id": f"corr-{name}"})
    assert r.headers["x-ms-correlation-request-id"] == f"corr-{name}"
    rows = entries(api, correlation_id=f"corr-{name}")
    assert len(rows) == 1
    row = rows[0]
    assert (row.action, row.result, row.principal_name) == (
        "Microsoft.Resources/subscriptions/resourceGroups/write", "Succeeded", "admin@amlite.local")
    assert row.scope == f"/subscriptions/{api.sub}/resourceGroups/{name}"
    assert row.request_id == r.headers["x-ms-request-id"]


def test_a_delete_is_audited_when_accepted_and_when_it_ends(api: Api, name: str) -> None:
    api.create_group(name)
    api.create_workspace(name, "gone")
    r = api.request("DELETE", api.ws_path(name, "gone"), ML, headers={"x-ms-correlation-request-id": f"del-{name}"})
    assert api.wait(r)["status"] == "Succeeded"
    rows = entries(api, correlation_id=f"del-{name}")
    assert [(x.action, x.result) for x in rows] == [
        ("Microsoft.MachineLearningServices/workspaces/delete", "Succeeded"),
        ("Microsoft.MachineLearningServices/workspaces/delete", "Succeeded"),
    ]
    assert rows[1].message == "The operation succeeded."


def test_failed_writes_and_reads_differ(api: Api, name: str) -> None:
    api.request("PUT", api.rg_path(name), json={"location": "atlantis"}, headers={"x-ms-correlation-request-id": f"bad-{name}"})
    api.request("GET", api.rg_path(name), headers={"x-ms-correlation-request-id": f"read-{name}"})
    failed = entries(api, correlation_id=f"bad-{name}")
    assert [(x.result, x.status_code) for x in failed] == [("Failed", 400)]
    assert "InvalidLocation" in failed[0].message
    assert entries(api, correlation_id=f"read-{name}") == []


def test_denials_are_audited(api: Api, name: str) -> None:
    d = api.container.deps
    with d.uow(write=True) as uow:
        uow.principals.add(Principal(id=d.ids.new_id(), tenant_id=api.tenant, kind=PrincipalKind.USER,
                                     display_name=name, user_principal_name=f"{name}@amlite.local",
                                     secret_hash=hash_secret("pw"), created_at=d.clock.now()))
        uow.commit()
    token = api.client.post(f"/{api.tenant}/oauth2/v2.0/token", data={
        "grant_type": "password", "username": f"{name}@amlite.local", "password": "pw"}).json()["access_token"]
    r = api.request("PUT", api.rg_path(name), json={"location": "eastus"},
                    headers={"Authorization": f"Bearer {token}", "x-ms-correlation-request-id": f"deny-{name}"})
    assert r.status_code == 403
    denied = entries(api, correlation_id=f"deny-{name}")
    assert [(x.result, x.status_code, x.principal_name) for x in denied] == [("Denied", 403, f"{name}@amlite.local")]
    assert denied[0].action == "Microsoft.Resources/subscriptions/resourceGroups/write"
