"""Progress bars for uploads and downloads, on stderr, only where a person is watching.

The SDK reports ``(bytes done, bytes total)`` for each tree it moves; :func:`transfer_progress`
turns that into a Rich bar when stderr is a terminal, ``--only-show-errors`` is off, and the
transfer is large enough to be worth watching (small files would only flicker). Scripts and tests
(stderr not a TTY) get nothing, so their stderr stays parseable.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["LARGE_TRANSFER_BYTES", "transfer_progress"]

#: Transfers smaller than this finish before a bar would say anything useful.
LARGE_TRANSFER_BYTES = 8 * 1024 * 1024


@contextlib.contextmanager
def transfer_progress(description: str, *, quiet: bool = False,
                      threshold: int = LARGE_TRANSFER_BYTES) -> Iterator[Callable[[int, int], None] | None]:
    """Yield an ``on_progress(done, total)`` hook driving a bar, or ``None`` when no bar is wanted."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    progress = Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                        TimeRemainingColumn(), console=Console(stderr=True), transient=False)
    state: dict[str, Any] = {"task": None, "started": False}

    def hook(done: int, total: int) -> None:
        if total < threshold:
            return
        if not state["started"]:
            progress.start()
            state["started"] = True
        if state["task"] is None or progress.tasks[state["task"]].total != total:
            state["task"] = progress.add_task(description, total=total)
        progress.update(state["task"], completed=done)

    try:
        yield hook
    finally:
        if state["started"]:
            progress.stop()
