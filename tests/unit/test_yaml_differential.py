"""Differential test: the corpus through azure-ai-ml's ``load_*`` (offline) and through amlite's.

Both must accept and refuse the same files, except those docs/yaml-differences.md lists with a
reason; a listed file that no longer differs fails too, so the list stays true.
"""

from __future__ import annotations

import logging
import re
import warnings
from pathlib import Path
from typing import Any

import pytest

import amlite

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "corpus"
KINDS = ("model", "environment", "component", "data", "datastore", "workspace", "registry")


def documented_differences() -> dict[str, str]:
    """``{"component/invalid/x.yml": "rejects"}``: amlite's verdict for each listed file."""
    text = (ROOT / "docs" / "yaml-differences.md").read_text()
    rows = re.findall(r"^\| `([^`]+\.yml)` \| (accepts|rejects) \| (accepts|rejects) \|", text, re.M)
    assert rows, "docs/yaml-differences.md lists no files"
    for _file, ours, theirs in rows:
        assert ours != theirs
    return {file: ours for file, ours, _theirs in rows}


def corpus_files() -> list[str]:
    return [str(p.relative_to(CORPUS)) for kind in KINDS for p in sorted((CORPUS / kind).glob("*/*.yml"))]


@pytest.fixture(scope="module")
def azure_loaders() -> dict[str, Any]:
    try:
        import azure.ai.ml as ml
    except ImportError:  # fail loudly: a differential test that silently skips proves nothing
        pytest.fail("azure-ai-ml is missing; `make test` installs it (the 'test' optional dependencies)", pytrace=False)
    logging.getLogger("azure").setLevel(logging.CRITICAL)
    return {kind: getattr(ml, f"load_{kind}") for kind in KINDS}


def accepts(load: Any, path: Path) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            load(path)
        except Exception:  # noqa: BLE001 - any refusal counts, whatever azure-ai-ml raises
            return False
    return True


def test_listed_files_exist() -> None:
    missing = [f for f in documented_differences() if not (CORPUS / f).is_file()]
    assert missing == []


@pytest.mark.parametrize("relative", corpus_files())
def test_same_verdict_as_azure_ai_ml(relative: str, azure_loaders: dict[str, Any]) -> None:
    kind = relative.split("/")[0]
    path = CORPUS / relative
    ours = accepts(getattr(amlite, f"load_{kind}"), path)
    theirs = accepts(azure_loaders[kind], path)
    difference = documented_differences().get(relative)
    if difference is None:
        assert ours == theirs, (f"{relative}: amlite {'accepts' if ours else 'rejects'}, azure-ai-ml "
                                f"{'accepts' if theirs else 'rejects'}; fix one or list it in docs/yaml-differences.md")
    else:
        assert ours == (difference == "accepts") and theirs != ours, (
            f"{relative} is listed in docs/yaml-differences.md but amlite and azure-ai-ml now agree")
