"""Paying the first call's cost before the timed one, so that the times a command prints and a
benchmark records are the work's.

The first call of a numba kernel compiles it (or loads it from numba's cache), and the first
CP-SAT or torch call imports and initialises its library: seconds that a 10-task DAG or the
first cell of a grid would otherwise carry. Each family runs its methods once on a tiny
instance through :func:`warm_once` (``bench/<family>/warmup.py``); the seconds it took are
reported apart, as ``compile_s``.
"""

from __future__ import annotations

import multiprocessing
import sys
import threading
import time
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager

NOTICE = "compiling kernels (first run only)..."
NOTICE_AFTER_S = 0.5
"""The notice shows once the warm-up has taken this long: a cache hit stays silent."""

_warmed: dict[Hashable, float] = {}
_noticed = threading.Event()


def warm_once(key: Hashable, work: Callable[[], object]) -> float:
    """Run ``work`` unless ``key`` was already warmed in this process; return the seconds it
    took now (0.0 when already warm).

    On a terminal, a slow warm-up shows :data:`NOTICE` once per process on stderr. Only on a
    terminal: someone there is waiting for output, while a pipe or a log has ``compile_s`` in
    the record, and a line on stderr would be noise in front of the command's own messages.

    :param key: what ``work`` warms (a method, a scheduler...), the same key for the same
        kernels.
    :param work: a call on a tiny instance through the same code as the timed one.
    """
    if key in _warmed:
        return 0.0
    start = time.perf_counter()
    with _notice_when_slow():
        work()
    _warmed[key] = time.perf_counter() - start
    return _warmed[key]


def _shows_notice() -> bool:
    # benchmark workers share the terminal with the progress bar, which already says a run is on
    isatty = getattr(sys.stderr, "isatty", None)
    return (not _noticed.is_set() and multiprocessing.parent_process() is None
            and callable(isatty) and bool(isatty()))


@contextmanager
def _notice_when_slow() -> Iterator[None]:
    if not _shows_notice():
        yield
        return

    def show() -> None:
        _noticed.set()
        print(NOTICE, file=sys.stderr, flush=True)

    timer = threading.Timer(NOTICE_AFTER_S, show)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
