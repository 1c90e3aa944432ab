"""A server process's heap, kept close to what it holds live (glibc only; elsewhere nothing).

Measured with ``bench/memory_phases.py`` (the model-registry workload of ``registry_bench.py``:
20,000 versions by 1 writer over 20 models, 20,000 more by 8 writers in one model, the reads,
one 256 MiB upload and download; one process on SQLite): the server's PSS went from 134 MB after
start-up to 165 MB, while the Python objects it held grew by under 1 MB (tracemalloc, over 3,000
versions and their reads). The rest was glibc's: freed memory kept by the allocator in one arena
per thread that ever allocated (glibc allows eight per core), and a heap top it stops giving
back once a large buffer has raised its thresholds (``malloc_trim`` through a debugger took
19 MB back). With the two measures below the same workload ends at 135 MB (docs/benchmarks.md,
"Idle memory"):

- ``limit_arenas``: two arenas for the process (``M_ARENA_MAX``), the setting that servers with
  many threads on glibc commonly use. Python allocates under its GIL anyway; what runs outside
  it (SQLite, hashing, file I/O) rarely needs more than two at once on a control plane.
- ``IdleTrimmer``: once the process has been quiet for a while after work, ``malloc_trim(0)``
  hands the free pages of every arena back to the system. A quiet process is one that used
  almost no CPU over the last interval, so the trim never runs in the middle of a burst of
  requests (it takes the arenas' locks while it walks them).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

M_ARENA_MAX = -8  # glibc's <malloc.h>


def _glibc() -> ctypes.CDLL | None:
    """The C library when it is glibc (the one with ``malloc_trim`` and ``M_ARENA_MAX``)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None)
        libc.malloc_trim.argtypes = [ctypes.c_size_t]
        libc.malloc_trim.restype = ctypes.c_int
        libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        libc.mallopt.restype = ctypes.c_int
    except (OSError, AttributeError):
        return None
    return libc


_LIBC = _glibc()


def limit_arenas(arenas: int = 2) -> bool:
    """Cap the allocator's arenas; call before the process starts its threads (arenas already
    made stay). True when the C library took the setting."""
    return _LIBC is not None and _LIBC.mallopt(M_ARENA_MAX, arenas) == 1


def trim() -> bool:
    """Give the allocator's free pages back to the system; True when some were."""
    return _LIBC is not None and _LIBC.malloc_trim(0) == 1


@dataclass
class QuietAfterWork:
    """When to trim: the first interval with (almost) no CPU after one that used some.

    ``busy_share``: the share of one core above which an interval counts as work. The process's
    own background workers poll the store now and then, far below it."""

    busy_share: float = 0.02
    _worked: bool = field(default=True, init=False)  # start-up is work: the first quiet interval trims

    def should_trim(self, cpu_seconds: float, interval: float) -> bool:
        if cpu_seconds > self.busy_share * interval:
            self._worked = True
            return False
        if self._worked:
            self._worked = False
            return True
        return False


class IdleTrimmer:
    """A daemon thread that trims the heap once each burst of work has ended."""

    def __init__(self, interval: float = 1.0, trimmer: Callable[[], bool] = trim,
                 cpu: Callable[[], float] = time.process_time) -> None:
        self._interval = interval
        self._trim = trimmer
        self._cpu = cpu
        self._policy = QuietAfterWork()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if _LIBC is None or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="heap-trimmer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        last = self._cpu()
        while not self._stop.wait(self._interval):
            now = self._cpu()
            if self._policy.should_trim(now - last, self._interval):
                self._trim()
            last = self._cpu()  # the trim's own CPU is not the next interval's work
