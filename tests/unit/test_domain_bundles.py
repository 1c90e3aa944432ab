"""The bundle manifest and its check (``domain.bundles``): every way a member can be wrong is
refused naming that member."""

from __future__ import annotations

import hashlib
import json

import pytest

from amlite.domain.bundles import (
    DOCUMENTS,
    MANIFEST,
    BundleCheck,
    BundleManifest,
    Member,
    blob_member,
    parse_manifest,
)
from amlite.domain.errors import InvalidInput

BLOB = b"some bytes"
SHA = hashlib.sha256(BLOB).hexdigest()


def manifest() -> BundleManifest:
    docs = [Member(d, 2, hashlib.sha256(b"[]").hexdigest()) for d in DOCUMENTS]
    return BundleManifest({"region": "eastus"}, "2026-01-01T00:00:00+00:00",
                          (*docs, Member(blob_member(SHA), len(BLOB), SHA)), {"blobs": 1})


def feed_all(check: BundleCheck, skip: str | None = None) -> None:
    check.observe(MANIFEST, 0, "")
    for doc in DOCUMENTS:
        if doc != skip:
            check.observe(doc, 2, hashlib.sha256(b"[]").hexdigest())
    if skip != blob_member(SHA):
        check.observe(blob_member(SHA), len(BLOB), SHA)


def refused(target: str) -> object:
    return pytest.raises(InvalidInput, match=target.replace(".", r"\."))


def test_a_whole_bundle_passes_and_the_manifest_round_trips() -> None:
    m = manifest()
    assert parse_manifest(m.to_bytes()) == m
    check = BundleCheck(m)
    feed_all(check)
    check.finish()


def test_a_wrong_digest_or_size_names_the_member() -> None:
    check = BundleCheck(manifest())
    with refused(blob_member(SHA)) as err:  # type: ignore[attr-defined]
        check.observe(blob_member(SHA), len(BLOB), "0" * 64)
    assert err.value.code == "BundleCorrupt" and err.value.target == blob_member(SHA)
    with refused("jobs.json"):  # type: ignore[attr-defined]
        BundleCheck(manifest()).observe("jobs.json", 3, hashlib.sha256(b"[]").hexdigest())


def test_unknown_repeated_and_missing_members_are_refused() -> None:
    with refused("extra.bin"):  # type: ignore[attr-defined]
        BundleCheck(manifest()).observe("extra.bin", 1, SHA)
    check = BundleCheck(manifest())
    check.observe("assets.json", 2, hashlib.sha256(b"[]").hexdigest())
    with refused("assets.json"):  # type: ignore[attr-defined]
        check.observe("assets.json", 2, hashlib.sha256(b"[]").hexdigest())
    truncated = BundleCheck(manifest())
    feed_all(truncated, skip=blob_member(SHA))
    with refused(blob_member(SHA)):  # type: ignore[attr-defined]
        truncated.finish()


@pytest.mark.parametrize("change, target", [
    (lambda b: b"not json", MANIFEST),
    (lambda b: json.dumps({**json.loads(b), "format": "zip"}).encode(), MANIFEST),
    (lambda b: json.dumps({**json.loads(b), "formatVersion": 99}).encode(), MANIFEST),
    (lambda b: json.dumps({**json.loads(b), "members": json.loads(b)["members"][1:]}).encode(), "assets.json"),
    (lambda b: json.dumps({**json.loads(b), "members": [*json.loads(b)["members"], {
        "name": blob_member("a" * 64), "size": 1, "sha256": "b" * 64}]}).encode(), blob_member("a" * 64)),
    (lambda b: json.dumps({**json.loads(b), "members": [*json.loads(b)["members"], {
        "name": "../../etc/passwd", "size": 1, "sha256": "b" * 64}]}).encode(), "../../etc/passwd"),
])
def test_a_bad_manifest_is_refused_naming_what_is_wrong(change: object, target: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_manifest(change(manifest().to_bytes()))  # type: ignore[operator]
    assert err.value.code == "BundleCorrupt" and err.value.target == target
