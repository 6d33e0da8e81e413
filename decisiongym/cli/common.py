"""What every family's commands share: argument types, ``KEY=VALUE`` options, the progress bar
of a time-limited solve, and the printing of records and reports.

Nothing here imports numba, torch or OR-Tools: building the parser must stay light.
"""

from __future__ import annotations

import argparse
import json
import math
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


MAX_SEED = 2**31 - 1
"""Largest ``--seed``: CP-SAT's seed is a signed 32-bit integer, and every other consumer
(NumPy, numba, torch) takes at least that."""

MAX_SECONDS = 1e6
"""Largest time limit a flag takes, in seconds (about 11 days)."""

MAX_WORKERS = 1024
"""Largest ``--workers`` / ``--processes``."""

MAX_PARAM_DIGITS = 30
"""Longest integer a ``KEY=VALUE`` option takes, in digits; longer ones are refused rather than
overflowing whatever receives them."""


def _flag_type(name: str, parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """Name an argument type for argparse's messages (``invalid NAME value``)."""
    parse.__name__ = name
    return parse


def _number(value: str, integer: bool) -> float | int:
    text = value.strip()
    try:
        number: float | int = int(text) if integer else float(text)
    except ValueError:
        kind = "an integer" if integer else "a number"
        raise argparse.ArgumentTypeError(f"expected {kind}, got {value!r}") from None
    if not integer and not math.isfinite(number):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {value!r}")
    return number


def bounded_float(low: float, high: float, *, above: bool = False,
                  beyond: str = "") -> Callable[[str], float]:
    """An argument type: a finite number in ``[low, high]`` (``(low, high]`` when ``above``).

    :param beyond: appended to the error when the value is above ``high``: how to go further.
    """
    interval = f"{'(' if above else '['}{low:g}, {high:g}]"

    def parse(value: str) -> float:
        number = float(_number(value, integer=False))
        if number < low or (above and number == low) or number > high:
            hint = f"; {beyond}" if beyond and number > high else ""
            raise argparse.ArgumentTypeError(f"must be in {interval}, got {value}{hint}")
        return number

    return _flag_type("number", parse)


def bounded_int(low: int, high: int, *, beyond: str = "") -> Callable[[str], int]:
    """An argument type: an integer in ``[low, high]``.

    :param beyond: appended to the error when the value is above ``high``: how to go further.
    """

    def parse(value: str) -> int:
        number = int(_number(value, integer=True))
        if not low <= number <= high:
            hint = f"; {beyond}" if beyond and number > high else ""
            raise argparse.ArgumentTypeError(f"must be an integer in [{low}, {high:,}], got "
                                             f"{value}{hint}")
        return number

    return _flag_type("integer", parse)


positive = bounded_float(0.0, MAX_SECONDS, above=True)
"""An argument type: a number of seconds in (0, :data:`MAX_SECONDS`]."""

seed = bounded_int(0, MAX_SEED)
"""An argument type: a seed in [0, :data:`MAX_SEED`]."""

workers = bounded_int(1, MAX_WORKERS)
"""An argument type: a count of threads or processes in [1, :data:`MAX_WORKERS`]."""


def count(value: str) -> int:
    """An argument type: an integer >= 1 (with no upper limit; prefer :func:`bounded_int`)."""
    number = int(_number(value, integer=True))
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return number


def input_file(value: str) -> str:
    """An argument type: the path of an existing file."""
    path = Path(value)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{value} is a folder; expected a file")
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"no file {value}")
    return value


def input_folder(value: str) -> str:
    """An argument type: the path of an existing folder."""
    if not Path(value).is_dir():
        raise argparse.ArgumentTypeError(f"no folder {value}")
    return value


def output_file(value: str) -> str:
    """An argument type: a file to write, not a folder, whose missing folders can be created
    (no file stands where one of them should be)."""
    path = Path(value)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{value} is a folder; give the name of a file "
                                         "inside it")
    _check_folders(path.parent, value)
    return value


def output_folder(value: str) -> str:
    """An argument type: a folder to write into (created when absent), not a file."""
    path = Path(value)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{value} is a file; expected a folder")
    _check_folders(path.parent, value)
    return value


def _check_folders(folder: Path, value: str) -> None:
    """Refuse a path one of whose would-be folders is a file."""
    for ancestor in (folder, *folder.parents):
        if ancestor.exists():
            if not ancestor.is_dir():
                raise argparse.ArgumentTypeError(f"{ancestor} is a file, so {value} cannot be "
                                                 "written")
            return


IMAGE_SUFFIXES = (".png", ".svg", ".pdf")
"""The image formats a chart is written in, by the file's suffix."""


def image_file(value: str) -> str:
    """An argument type: an image file to write (:func:`output_file`); a name without a suffix
    gets ``.png``, so the path returned is the file that will be written."""
    path = Path(value)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{value} is a folder; give the name of an image file "
                                         f"inside it, such as {path / 'chart.png'}")
    if path.suffix == "":
        value = f"{value}.png"
    value = output_file(value)
    if Path(value).suffix.lower() not in IMAGE_SUFFIXES:
        raise argparse.ArgumentTypeError(f"{value}: expected a file ending in "
                                         f"{', '.join(IMAGE_SUFFIXES)}")
    return value


def parse_params(pairs: Sequence[str], flag: str) -> dict[str, object]:
    """``["alpha=0.5", "hidden=64"]`` -> ``{"alpha": 0.5, "hidden": 64}``.

    :param pairs: the repeated option's values.
    :param flag: the option, named in the error.
    :raises InputError: for a value without ``=`` or without a key, a key given twice, a number
        that is not finite or an integer of more than :data:`MAX_PARAM_DIGITS` digits.
    """
    from decisiongym.envs.core.errors import InputError

    params: dict[str, object] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise InputError(f"expects KEY=VALUE, got {pair!r}", flag)
        if key in params:
            raise InputError(f"{key} is given twice", flag)
        value: object = raw
        for cast in (int, float):
            try:
                value = cast(raw)
                break
            except ValueError:
                continue
        if isinstance(value, float) and not math.isfinite(value):
            raise InputError(f"{key}={raw}: expected a finite number", flag)
        if isinstance(value, int) and len(raw.strip().lstrip("+-")) > MAX_PARAM_DIGITS:
            raise InputError(f"{key}={raw[:20]}...: integer of more than {MAX_PARAM_DIGITS} "
                             "digits", flag)
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


def finite_or_null(value: Any) -> Any:
    """``value`` with every NaN or infinity, at any depth of lists and dicts, replaced by
    ``None``: JSON has no such numbers."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: finite_or_null(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [finite_or_null(item) for item in value]
    return value


def print_json(record: dict[str, Any]) -> None:
    """One record as one JSON line on stdout; a number that is not finite becomes ``null``."""
    print(json.dumps(finite_or_null(record), allow_nan=False))


def print_report(path: Path, also: Path | None = None) -> None:
    """A written markdown report on stdout, then where it (and its records) went."""
    print(path.read_text())
    print(f"written: {path}" + (f" (+ {also})" if also is not None else ""))
