"""Named crash points, so tests can kill the server at an exact step of an operation.

``AMLITE_CRASH_AT=<name>`` (read once at start by ``bootstrap``) makes the process exit at once,
as ``kill -9`` would, when it reaches ``fault_point(<name>)``. Unset, a fault point costs one
comparison. Crash safety is a promise of the product; this is how the tests prove it.
"""

from __future__ import annotations

import os

_armed: str | None = None


def arm(name: str | None) -> None:
    global _armed
    _armed = name or None


def fault_point(name: str) -> None:
    if _armed is not None and _armed == name:
        os._exit(137)
