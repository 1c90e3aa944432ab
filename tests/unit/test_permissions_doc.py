"""docs/permissions.md is generated from the routes: it must match what the code declares."""

from __future__ import annotations

from amlite.api import permissions


def test_permissions_doc_is_up_to_date() -> None:
    assert permissions.DOC.read_text() == permissions.render(), (
        "docs/permissions.md is out of date: run 'python -m amlite.api.permissions'")


def test_every_checked_route_is_in_the_doc_with_its_action() -> None:
    text = permissions.render()
    rows = permissions.route_rows()
    assert len(rows) >= 60
    for path, method, action, _ in rows:
        assert f"| {method} | `{path}` | `{action}` |" in text
