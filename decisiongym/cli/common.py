"""What every family's commands share: argument types, ``KEY=VALUE`` options, the progress bar
of a time-limited solve, and the printing of records and reports.

Nothing here imports numba, torch or OR-Tools: building the parser must stay light.
"""

from __future__ import annotations

import argparse
import json
import shlex
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

Verbs = Mapping[str, "argparse._SubParsersAction[argparse.ArgumentParser]"]
"""The family subcommands of each verb (``solve``, ``simulate``, ``train``, ``bench``), to which
a family's ``add_parsers`` adds its own."""

Handler = Callable[[argparse.Namespace, Sequence[str]], int]
"""What a subcommand runs: the parsed arguments and the arguments as given in, exit status out."""

Result = TypeVar("Result")


def positive(value: str) -> float:
    """An argument type: a number > 0."""
    number = float(value)
    if number <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {value}")
    return number


def count(value: str) -> int:
    """An argument type: an integer >= 1."""
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return number


def parse_params(pairs: Sequence[str], flag: str) -> dict[str, object]:
    """``["alpha=0.5", "hidden=64"]`` -> ``{"alpha": 0.5, "hidden": 64}``.

    :param pairs: the repeated option's values.
    :param flag: the option, named in the error.
    :raises ValueError: for a value without ``=`` or without a key.
    """
    params: dict[str, object] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"{flag} expects KEY=VALUE, got {pair!r}")
        value: object = raw
        for cast in (int, float):
            try:
                value = cast(raw)
                break
            except ValueError:
                continue
        if raw in ("true", "false"):
            value = raw == "true"
        params[key] = value
    return params


def command_line(argv: Sequence[str]) -> str:
    """The command as a shell would re-run it, for the header of a report."""
    return "decisiongym " + " ".join(shlex.quote(a) for a in argv)


def with_time_bar(title: str, limit: float,
                  run: Callable[[Callable[[float, float, float], None]], Result]) -> Result:
    """Run ``run(report)`` under a progress bar that fills with elapsed time up to ``limit``;
    ``report(wall_s, objective, bound)`` shows the best solution so far beside it."""
    from decisiongym.bench.runner import progress_bar

    best = {"status": ""}

    def report(wall_s: float, objective: float, bound: float) -> None:
        best["status"] = f"best {objective:.0f}, bound {bound:.0f}"

    done = threading.Event()
    with progress_bar(transient=True) as bar:
        task = bar.add_task(title, total=round(limit), status="")
        start = time.perf_counter()

        def tick() -> None:
            while not done.wait(0.25):
                bar.update(task, completed=min(round(time.perf_counter() - start), round(limit)),
                           status=best["status"])

        ticker = threading.Thread(target=tick, daemon=True)
        ticker.start()
        try:
            return run(report)
        finally:
            done.set()
            ticker.join()


def print_json(record: dict[str, Any]) -> None:
    """One record as one JSON line on stdout."""
    print(json.dumps(record))


def print_report(path: Path, also: Path | None = None) -> None:
    """A written markdown report on stdout, then where it (and its records) went."""
    print(path.read_text())
    print(f"written: {path}" + (f" (+ {also})" if also is not None else ""))
