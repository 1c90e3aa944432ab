"""The heap trimmer: when it trims (once each burst of work has ended), and that glibc's calls
are found where the server runs."""

from __future__ import annotations

import platform
import threading

from amlite import memory


def test_the_first_quiet_interval_after_work_trims_and_the_next_ones_do_not() -> None:
    policy = memory.QuietAfterWork(busy_share=0.02)
    # start-up counts as work: the first quiet second trims what it left
    assert [policy.should_trim(cpu, 1.0) for cpu in (0.001, 0.0, 0.01)] == [True, False, False]
    # a burst (CPU above 2% of the interval) trims nothing while it lasts, then once when it ends
    assert [policy.should_trim(cpu, 1.0) for cpu in (0.5, 0.9, 0.03, 0.015, 0.0, 0.4, 0.0)] == \
        [False, False, False, True, False, False, True]


def test_the_trimmer_thread_trims_after_a_burst_and_stops_when_asked() -> None:
    readings = [0.0, 0.0, 0.0, 1.0, 2.0]  # the process's CPU seconds, read twice an interval
    trims: list[int] = []
    quiet_again = threading.Event()

    def cpu() -> float:
        return readings.pop(0) if len(readings) > 1 else readings[0]  # then quiet for good

    def trim() -> bool:
        trims.append(1)
        if len(trims) == 2:
            quiet_again.set()
        return True

    trimmer = memory.IdleTrimmer(interval=0.01, trimmer=trim, cpu=cpu)
    if memory._LIBC is None:  # nothing to trim with: the thread is not started at all
        trimmer.start()
        assert trimmer._thread is None
        return
    trimmer.start()
    assert quiet_again.wait(5), trims
    trimmer.stop()
    # start-up's quiet interval, then the one after the two busy readings; nothing after them
    assert len(trims) == 2
    assert trimmer._thread is None


def test_glibc_takes_the_arena_cap_and_the_trim() -> None:
    if platform.libc_ver()[0] != "glibc":
        assert memory.limit_arenas() is False and memory.trim() is False
        return
    assert memory.limit_arenas(2) is True
    garbage = [bytearray(64 * 1024) for _ in range(200)]
    del garbage
    assert isinstance(memory.trim(), bool)
