"""The server's key files in the data directory (the token signing key, the secrets key): made
once, readable by the owner only, and the same for every server process that shares the
directory, even when several make their first start at the same moment."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path


def load_or_create(path: Path, make: Callable[[], bytes]) -> bytes:
    """The file's bytes, writing ``make()`` there first if it does not exist yet.

    The new key is written whole to a temporary file and published with link(2), which fails if
    the name exists: of two processes starting at once, one key wins and both read it back, so no
    process ever keeps a key the others do not have (tokens it signs, secrets it seals, would be
    unreadable to them)."""
    if path.exists():
        return path.read_bytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(make())
        handle.flush()
        os.fsync(handle.fileno())
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass  # another process made it first: theirs is the key
    finally:
        tmp.unlink(missing_ok=True)
    return path.read_bytes()
