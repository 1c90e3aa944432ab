"""amlite: a self-hosted Azure Machine Learning control plane.

The SDK's public names (``amlite.sdk.__all__``) are also reachable from here, imported on first
use (module ``__getattr__``), so that the server, which imports this package too, does not load
the SDK when it does not use it. ``amlite.sdk`` is the one place that lists them.

    >>> from amlite import MLClient, DefaultAmliteCredential, Workspace
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"  # the one version: pyproject, the SDK's user agent and the CLI read it

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from amlite.sdk import *  # noqa: F403


def __getattr__(name: str) -> Any:
    sdk = importlib.import_module("amlite.sdk")
    if name == "__all__":
        return ["__version__", *(n for n in sdk.__all__ if n != "__version__")]
    if name != "__version__" and name in sdk.__all__:
        value = getattr(sdk, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'amlite' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(importlib.import_module("amlite.sdk").__all__))
