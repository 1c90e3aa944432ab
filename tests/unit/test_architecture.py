"""The layers' arrows point one way (docs/architecture.md):

    api, cli, worker -> services -> domain <- store, blobs, runner;  sdk knows nothing of the server.

Checked by reading every module's imports, so a shortcut across layers fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "amlite"

# package -> amlite packages it must not import
FORBIDDEN = {
    "domain": {"api", "cli", "sdk", "services", "store", "blobs", "worker", "bootstrap", "config", "runner"},
    "services": {"api", "cli", "sdk", "store", "blobs", "worker", "bootstrap", "runner"},
    "store": {"api", "cli", "sdk", "services", "blobs", "worker", "bootstrap"},
    "blobs": {"api", "cli", "sdk", "services", "store", "worker", "bootstrap"},
    "api": {"cli", "sdk", "store", "blobs", "bootstrap"},
    "worker": {"api", "cli", "sdk", "store", "blobs", "bootstrap", "runner"},
    "runner": {"api", "cli", "sdk", "services", "store", "blobs", "worker", "bootstrap"},
    "sdk": {"api", "cli", "services", "store", "blobs", "worker", "bootstrap", "domain", "config", "runner"},
}


def amlite_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "amlite" and len(parts) > 1:
                found.add(parts[1])
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_layer_imports_point_one_way(package: str) -> None:
    offenders = {
        str(path.relative_to(SRC)): sorted(amlite_imports(path) & FORBIDDEN[package])
        for path in (SRC / package).rglob("*.py")
    }
    offenders = {k: v for k, v in offenders.items() if v}
    assert offenders == {}, f"{package} imports layers it must not: {offenders}"


def test_domain_uses_only_the_standard_library() -> None:
    allowed_third_party: set[str] = set()
    for path in (SRC / "domain").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                top = node.module.split(".")[0]
            elif isinstance(node, ast.Import):
                top = node.names[0].name.split(".")[0]
            else:
                continue
            assert top in {"amlite", "__future__"} or top in __import__("sys").stdlib_module_names or top in allowed_third_party, (path, top)


def _swallows(handler: ast.ExceptHandler) -> bool:
    """A handler of every error (bare, ``Exception`` or ``BaseException``) whose body does nothing."""
    caught = handler.type
    broad = caught is None or (isinstance(caught, ast.Name) and caught.id in {"Exception", "BaseException"})
    idle = all(isinstance(s, ast.Pass) or (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
               for s in handler.body)
    return broad and idle


def test_no_error_is_swallowed_whole() -> None:
    """``except Exception: pass`` hides the failures nobody foresaw; a broad handler must log,
    report or re-raise what it caught."""
    offenders = [
        f"{path.relative_to(SRC)}:{node.lineno}"
        for path in SRC.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ExceptHandler) and _swallows(node)
    ]
    assert offenders == [], f"errors swallowed without a trace: {offenders}"
