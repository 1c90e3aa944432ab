"""Searching a workspace's model versions by tag across all its models (MLflow's
``search_model_versions``), on both stores: what matches, paging with nextLink, the index kept in
sync when tags change and when a model is archived, bad filters refused, and the query planned on
the tag index (checked with each store's EXPLAIN, not with a clock)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from amlite.domain.assets import AssetKind, ListViewType
from amlite.store.asset_repos import AssetVersionRepository
from tests.integration.conftest import ML, Api
from tests.integration.transactions import counting_transactions


@pytest.fixture
def ws(api: Api, name: str) -> str:
    api.create_group(name)
    api.create_workspace(name, "ws1")
    return api.ws_path(name, "ws1")


def create(api: Api, ws: str, model: str, tags: dict[str, str], kind: str = "models") -> dict[str, Any]:
    body: dict[str, Any] = {"properties": {"modelType": "custom_model", "modelUri": "https://example.org/m.pkl",
                                           "tags": tags}}
    if kind == "data":
        body = {"properties": {"dataType": "uri_file", "dataUri": "https://example.org/d.csv", "tags": tags}}
    r = api.request("POST", f"{ws}/{kind}/{model}/versions", ML, json=body)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def search(api: Api, ws: str, query: str) -> list[str]:
    url: str | None = api.url(f"{ws}/modelVersions?{query}", ML)
    found: list[str] = []
    while url:
        r = api.client.get(url)
        assert r.status_code == 200, r.text
        found += [v["id"].split("/models/")[1] for v in r.json()["value"]]
        url = r.json().get("nextLink")
    return found


def test_search_finds_versions_of_every_model_by_tag_newest_first(api: Api, ws: str, name: str) -> None:
    create(api, ws, "a", {"stage": "prod", "team": "x"})
    create(api, ws, "b", {"stage": "dev"})
    create(api, ws, "b", {"stage": "prod"})
    create(api, ws, "c", {"team": "x"})
    create(api, ws, "d", {"stage": "prod"}, kind="data")  # another kind: not a model
    api.create_workspace(name, "ws2")
    create(api, api.ws_path(name, "ws2"), "e", {"stage": "prod"})  # another workspace
    assert search(api, ws, "tags=stage=prod") == ["b/versions/2", "a/versions/1"]
    assert search(api, ws, "tags=stage=prod,team=x") == ["a/versions/1"]
    assert search(api, ws, "tags=team") == ["c/versions/1", "a/versions/1"]
    assert search(api, ws, "tags=stage=none") == []
    # paged: one per page, following nextLink
    assert search(api, ws, "tags=stage&$top=1") == ["b/versions/2", "b/versions/1", "a/versions/1"]
    with counting_transactions(api.container.engine) as counted:
        assert api.request("GET", f"{ws}/modelVersions?tags=stage=prod", ML).status_code == 200
    assert counted.count == 1, counted.threads


def test_the_index_follows_tag_changes_and_archiving(api: Api, ws: str) -> None:
    create(api, ws, "a", {"stage": "dev"})
    r = api.request("PATCH", f"{ws}/models/a/versions/1", ML, json={"properties": {"tags": {"stage": "prod"}}})
    assert r.status_code == 200, r.text
    assert search(api, ws, "tags=stage=prod") == ["a/versions/1"]
    assert search(api, ws, "tags=stage=dev") == []
    assert api.request("POST", f"{ws}/models/a/versions/1/archive", ML).status_code == 200
    assert search(api, ws, "tags=stage=prod") == []
    assert search(api, ws, "tags=stage=prod&listViewType=All") == ["a/versions/1"]
    assert search(api, ws, "tags=stage=prod&listViewType=ArchivedOnly") == ["a/versions/1"]
    assert api.request("POST", f"{ws}/models/a/versions/1/restore", ML).status_code == 200
    assert api.request("POST", f"{ws}/models/a/archive", ML).status_code == 200  # the whole model
    assert search(api, ws, "tags=stage=prod") == []


@pytest.mark.parametrize("query, code", [("", "InvalidParameter"), ("tags==x", "InvalidParameter"),
                                         ("tags=a&listViewType=Some", "InvalidParameter")])
def test_bad_searches_are_400(api: Api, ws: str, query: str, code: str) -> None:
    r = api.request("GET", f"{ws}/modelVersions?{query}", ML)
    assert r.status_code == 400, r.text
    assert r.json()["error"]["code"] == code


def test_search_of_a_missing_workspace_is_404(api: Api, name: str) -> None:
    api.create_group(name)
    r = api.request("GET", f"{api.ws_path(name, 'nope')}/modelVersions?tags=a", ML)
    assert r.status_code == 404 and r.json()["error"]["code"] == "ResourceNotFound"


def test_the_search_reads_the_tag_index(api: Api, ws: str) -> None:
    create(api, ws, "a", {"stage": "prod"})
    engine = api.container.engine
    with engine.connect() as conn:
        ws_key = conn.execute(sa.text("SELECT key FROM workspaces WHERE name = 'ws1'")).scalars().first()
        query = _search_query(conn, ws_key)
        sql = str(query.compile(conn, compile_kwargs={"literal_binds": True}))
        if engine.dialect.name == "postgresql":
            # A handful of rows: the planner would scan; what matters is that the index serves the query.
            conn.execute(sa.text("SET LOCAL enable_seqscan = off"))
            plan = "\n".join(conn.execute(sa.text("EXPLAIN " + sql)).scalars())
        else:
            plan = "\n".join(str(row[-1]) for row in conn.execute(sa.text("EXPLAIN QUERY PLAN " + sql)))
    assert "ix_asset_version_tags_lookup" in plan, plan


def _search_query(conn: sa.Connection, ws_key: str) -> sa.Select:  # type: ignore[type-arg]
    """The statement ``search_by_tags`` runs, captured as it is executed."""
    captured: list[Any] = []

    class Capture:
        dialect = conn.dialect

        def execute(self, query: Any, *args: Any) -> list[Any]:
            captured.append(query)
            return []

    AssetVersionRepository(Capture()).search_by_tags(  # type: ignore[arg-type]
        ws_key, AssetKind.MODELS, {"stage": "prod"}, ListViewType.ACTIVE_ONLY, 0, 10)
    return captured[0]  # type: ignore[no-any-return]


def test_the_sdk_searches_model_versions_by_tag(api: Api, ws: str, name: str) -> None:
    from amlite import MLClient
    from amlite.sdk.errors import ValidationException
    from tests.integration.test_artifacts import _Token

    create(api, ws, "a", {"stage": "prod", "team": "x"})
    create(api, ws, "b", {"stage": "prod"})
    client = MLClient(_Token(api.token), api.sub, name, "ws1", endpoint="http://127.0.0.1:8600",
                      transport=api.client._transport)
    assert [(m.name, m.version) for m in client.models.search({"stage": "prod"})] == [("b", "1"), ("a", "1")]
    assert [m.name for m in client.models.search({"stage": "prod", "team": None})] == ["a"]
    assert [m.name for m in client.models.list(tags={"team": "x"})] == ["a"]  # list without a name searches
    with pytest.raises(ValidationException):
        client.models.search({})
