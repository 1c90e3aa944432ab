"""The CLI prints what ``az ml`` prints: azure-ai-ml's entity dict, checked against azure-ai-ml itself.

For every YAML file of tests/corpus/*/valid, azure-ai-ml loads it (``load_model``, ...) and gives
its entity's ``_to_dict()``; amlite's ``ml <kind> create --file F -o json`` and ``show -o json``
must print every key of it with an equal value, unless docs/cli-output-differences.md lists the
key with its reason (a value the server generates: an uploaded path, a version the server picks).
The document also holds the agreement figure and the files amlite cannot create; a listed
difference that no longer occurs fails the test, so the document cannot go stale.
"""

from __future__ import annotations

import json
import logging
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.integration.clients import Workspace, cli_login, route_cli
from tests.integration.conftest import Api
from tests.unit.test_cli_commands import run

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "corpus"
DOC = ROOT / "docs" / "cli-output-differences.md"
KINDS = ("model", "environment", "component", "data", "datastore")
# Made first in each component's workspace: what the corpus's components refer to.
PREREQUISITES = (
    ("environment", "name: sklearn-env\nversion: '1'\nimage: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04\n"),
    ("environment", "name: sklearn-env\nversion: '2'\nimage: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04\n"),
    ("environment", "name: AzureML-acpt-pytorch-2.2-cuda12.1\nversion: '1'\nimage: mcr.microsoft.com/azureml/acpt\n"),
    ("component", (CORPUS / "component/valid/no_type.yml").read_text()),  # hello:1, which pipelines call
)


def documented() -> tuple[dict[tuple[str, str], str], dict[str, str], str]:
    """(kind, key) → reason; file → reason it is not created; and the stated agreement figure."""
    text = DOC.read_text()
    keys = {(kind, key): reason for kind, key, reason in
            re.findall(r"^\| (model|environment|component|data|datastore) \| `([^`]+)` \| (.+?) \|$", text, re.M)}
    files = dict(re.findall(r"^\| `([a-z]+/valid/[^`]+\.yml)` \| (.+?) \|$", text, re.M))
    figure = re.search(r"^Agreement: \*\*(.+?)\*\*", text, re.M)
    assert keys and figure, "docs/cli-output-differences.md lists no differences or no agreement figure"
    return keys, files, figure.group(1)


def theirs(kind: str, path: Path) -> dict[str, Any] | None:
    """azure-ai-ml's dict of the file, or None when azure-ai-ml refuses it."""
    import azure.ai.ml as ml

    logging.getLogger("azure").setLevel(logging.CRITICAL)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            entity = getattr(ml, f"load_{kind}")(path)
        except Exception:  # noqa: BLE001 - azure-ai-ml refuses with many types; test_yaml_differential compares those
            return None
    return json.loads(json.dumps(entity._to_dict(), default=str))


def ok(*args: str) -> Any:
    result = run(*args)
    assert result.exit_code == 0, f"{args}: {result.stderr}"
    return json.loads(result.stdout)


@dataclass
class Tally:
    keys: int = 0
    printed: int = 0
    equal: int = 0
    generated: int = 0
    differences: set[tuple[str, str]] = field(default_factory=set)
    undocumented: list[str] = field(default_factory=list)
    not_created: dict[str, str] = field(default_factory=dict)

    def figure(self) -> str:
        return (f"{self.printed}/{self.keys} keys printed, {self.equal}/{self.keys - self.generated} "
                f"values equal where not server-generated")


def compare(tally: Tally, kind: str, relative: str, expected: dict[str, Any], printed: dict[str, Any],
            allowed: dict[tuple[str, str], str]) -> None:
    for key, value in expected.items():
        tally.keys += 1
        if key not in printed:
            if (kind, key) in allowed:
                tally.generated += 1
                tally.differences.add((kind, key))
            else:
                tally.undocumented.append(f"{relative}: `{key}` is not printed")
            continue
        tally.printed += 1
        if printed[key] == value:
            tally.equal += 1
        elif (kind, key) in allowed:
            tally.generated += 1
            tally.differences.add((kind, key))
        else:
            tally.undocumented.append(f"{relative}: `{key}` is {printed[key]!r}, azure-ai-ml prints {value!r}")


#: What the CLI prints does not depend on the store: SQLite alone.
STORES = ("sqlite",)


def test_cli_prints_azure_ai_ml_entity_dicts(api: Api, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    allowed, not_created, stated = documented()
    tally = Tally()
    for kind in KINDS:
        for path in sorted((CORPUS / kind / "valid").glob("*.yml")):
            relative = str(path.relative_to(CORPUS))
            expected = theirs(kind, path)
            if expected is None:
                continue  # refused by azure-ai-ml: docs/yaml-differences.md lists it
            slug = re.sub(r"[^a-z0-9]", "", path.stem.lower())[:12]
            group = f"o{kind[:3]}{slug}"
            api.create_group(group)
            api.create_workspace(group, "ws" + group)
            workspace = Workspace(api, group, "ws" + group)
            home = tmp_path / group
            home.mkdir()
            with monkeypatch.context() as patch:
                route_cli(workspace.transport, patch, home)
                cli_login(api, home)
                ws = ["-w", workspace.name, "-g", group]
                if kind == "component":
                    for prerequisite_kind, text in PREREQUISITES:
                        (home / "pre.yml").write_text(text)
                        ok("ml", prerequisite_kind, "create", "--file", str(home / "pre.yml"), *ws)
                created = run("ml", kind, "create", "--file", str(path), *ws, "-o", "json")
                if created.exit_code != 0:
                    tally.not_created[relative] = created.stderr.strip()
                    continue
                made = json.loads(created.stdout)
                assert made["resourceGroup"] == group
                show = ["-n", made["name"]] + (["-v", made["version"]] if kind != "datastore" else [])
                shown = ok("ml", kind, "show", *show, *ws, "-o", "json")
                compare(tally, kind, relative, expected, made, allowed)
                compare(tally, kind, relative + " (show)", expected, shown, allowed)
    assert tally.undocumented == [], "\n".join(tally.undocumented)
    assert set(tally.not_created) == set(not_created), (
        f"files amlite does not create: {sorted(tally.not_created)}; documented: {sorted(not_created)}\n"
        + "\n".join(f"{k}: {v}" for k, v in tally.not_created.items()))
    stale = set(allowed) - tally.differences
    assert not stale, f"documented differences that no longer occur: {sorted(stale)}"
    assert tally.figure() == stated, f"the agreement figure is now '{tally.figure()}'; update the document"
