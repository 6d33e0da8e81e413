"""The job-shop instance's two text formats: readers and writers with typed errors.

* OR-Library ("standard"): a line ``n_jobs n_machines``, then one line per job of
  ``machine duration`` pairs in route order, machines numbered from 0.
* Taillard: an optional header line and a numbers line ``n m time_seed machine_seed ub lb``,
  then ``Times`` and one line of durations per job, then ``Machines`` and one line of machines
  per job, numbered from 1.

Readers raise :class:`~decisiongym.envs.core.errors.InstanceFormatError` naming the file and
line; writers replace their target atomically. A file may describe at most
:data:`MAX_FILE_OPERATIONS` operations (``n_jobs * n_machines``), checked on the size line
before anything is allocated; larger instances are built in Python from arrays
(:class:`~decisiongym.envs.jobshop.instance.JobShopInstance` has no such limit). Durations add
up to at most :data:`~decisiongym.envs.jobshop.instance.MAX_HORIZON`.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from decisiongym.envs.core.errors import (
    InputError,
    InstanceFormatError,
    MissingFileError,
    PathError,
)
from decisiongym.envs.core.files import write_text_atomic
from decisiongym.envs.jobshop.instance import (
    MAX_HORIZON,
    MAX_VALUE,
    JobShopInstance,
    total_work,
)

__all__ = [
    "MAX_FILE_OPERATIONS",
    "format_orlib",
    "format_taillard",
    "parse_orlib",
    "parse_taillard",
    "read_instance",
    "read_orlib",
    "read_taillard",
    "write_orlib",
    "write_taillard",
]


MAX_FILE_OPERATIONS = 1_000_000
"""Most operations (``n_jobs * n_machines``) an instance file may describe: 16 MB of arrays,
fifty times Taillard's largest instance."""

# --------------------------------------------------------------------------------------------
# Parsing helpers
# --------------------------------------------------------------------------------------------

_INT_RE = re.compile(r"[+-]?[0-9]+")


def _try_ints(line: str) -> list[int] | None:
    """Integers of a line, or ``None`` when a token is not an integer."""
    tokens = line.split()
    if not all(_INT_RE.fullmatch(t) for t in tokens):
        return None
    return [int(t) for t in tokens]


class _Lines:
    """The meaningful lines of a text (not blank, not ``#`` comments), with 1-based numbers."""

    def __init__(self, text: str, source: str) -> None:
        raw = text.splitlines()
        self.source = source
        self.items = [
            (number, line)
            for number, line in enumerate(raw, start=1)
            if line.strip() and not line.lstrip().startswith("#")
        ]
        self.last_line = max(len(raw), 1)
        self.pos = 0

    def peek(self) -> tuple[int, str] | None:
        return self.items[self.pos] if self.pos < len(self.items) else None

    def next(self) -> tuple[int, str] | None:
        item = self.peek()
        if item is not None:
            self.pos += 1
        return item

    def error(self, expected: str, line: int | None) -> InstanceFormatError:
        return InstanceFormatError(expected, file=self.source, line=line)

    def ints(self, number: int, line: str, count: int, noun: str, what: str) -> list[int]:
        """Exactly ``count`` integers of one line, or raise saying they are ``noun`` of ``what``."""
        tokens = line.split()
        for k, token in enumerate(tokens, start=1):
            if not _INT_RE.fullmatch(token):
                raise self.error(
                    f"expected integers for {what}, found {token!r} (token {k})", number
                )
        if len(tokens) != count:
            raise self.error(f"expected {count} {noun} for {what}, found {len(tokens)}", number)
        return [int(t) for t in tokens]


def _default_name(source: str, name: str | None) -> str:
    if name is not None:
        return name
    if source.startswith("<"):
        return "unnamed"
    return Path(source).stem or "unnamed"


def _check_size(lines: _Lines, number: int, n_jobs: int, n_machines: int) -> None:
    if n_jobs < 1 or n_machines < 1:
        raise lines.error(
            f"expected n_jobs >= 1 and n_machines >= 1, found {n_jobs} and {n_machines}", number
        )
    if n_jobs * n_machines > MAX_FILE_OPERATIONS:
        raise lines.error(
            f"{n_jobs} jobs x {n_machines} machines is above the limit of "
            f"{MAX_FILE_OPERATIONS:,} operations for an instance file; build larger instances "
            "in Python with JobShopInstance(machines, durations)",
            number,
        )


def _check_horizon(lines: _Lines, number: int, durations: np.ndarray) -> None:
    """Refuse durations whose sum (the horizon) would leave no room in int64 arithmetic."""
    horizon = total_work(durations)
    if horizon > MAX_HORIZON:
        raise lines.error(
            f"durations add up to {horizon}, above the limit of 2**53 on an instance's horizon "
            "(every operation in series); scale the durations down",
            number,
        )


def _read_text(path: Path) -> str:
    """A file's text, undecodable bytes replaced (the parser then names their line)."""
    if path.is_dir():
        raise PathError(path, "is a folder; expected an instance file")
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        raise MissingFileError(path, "no such instance file") from None
    except OSError as exc:
        raise PathError(path, f"cannot be read ({exc.strerror})") from None


def _check_no_repeat(lines: _Lines, number: int, route: Sequence[int], job: int) -> None:
    """Refuse a job that visits a machine twice (classic job shop: each machine once)."""
    seen: dict[int, int] = {}
    for op, machine in enumerate(route):
        if machine in seen:
            raise lines.error(
                f"machine {machine} appears twice in job {job} (operations {seen[machine]} "
                f"and {op}); each job must visit each machine once",
                number,
            )
        seen[machine] = op


def _instance(lines: _Lines, machines: np.ndarray, durations: np.ndarray,
              **fields: Any) -> JobShopInstance:
    """The instance of a parsed file; a fault only the whole instance shows (every duration
    0) is reported with the file's name."""
    try:
        return JobShopInstance(machines, durations, **fields)
    except InstanceFormatError as exc:
        if exc.file is not None:
            raise
        raise lines.error(exc.expected, None) from None


def _check_trailing(lines: _Lines, what: str, allow_separator: bool = False) -> None:
    while (item := lines.next()) is not None:
        number, line = item
        if allow_separator and set(line.strip()) == {"+"}:
            continue
        raise lines.error(f"expected end of file after {what}, found {line.strip()[:40]!r}", number)


# --------------------------------------------------------------------------------------------
# OR-Library format
# --------------------------------------------------------------------------------------------


def parse_orlib(text: str, source: str = "<string>", name: str | None = None) -> JobShopInstance:
    """Parse an instance in OR-Library ("standard") format.

    Free-text header lines before the size line (such as OR-Library's ``instance ft06`` block)
    are skipped: the size line is the first line made only of integers.

    :param text: file content.
    :param source: file name used in error messages (and for the default name).
    :param name: instance name; the file stem of ``source`` by default.
    :return: the instance.
    :raises InstanceFormatError: on malformed input, naming the file and line.
    """
    lines = _Lines(text, source)
    size: list[int] | None = None
    size_line = 0
    while (item := lines.next()) is not None:
        number, line = item
        values = _try_ints(line)
        if values is None:
            continue  # header text
        if len(values) != 2:
            raise lines.error(
                f"expected size line 'n_jobs n_machines' (2 integers), found {len(values)} "
                "integers",
                number,
            )
        size, size_line = values, number
        break
    if size is None:
        raise lines.error("missing size line 'n_jobs n_machines'", lines.last_line)
    n_jobs, n_machines = size
    _check_size(lines, size_line, n_jobs, n_machines)

    machines = np.empty((n_jobs, n_machines), dtype=np.int64)
    durations = np.empty((n_jobs, n_machines), dtype=np.int64)
    for job in range(n_jobs):
        item = lines.next()
        if item is None:
            raise lines.error(f"expected {n_jobs} job lines, found {job}", lines.last_line)
        number, line = item
        values = lines.ints(
            number,
            line,
            2 * n_machines,
            f"integers ({n_machines} machine/duration pairs)",
            f"job {job}",
        )
        route, times = values[0::2], values[1::2]
        for op, (machine, duration) in enumerate(zip(route, times, strict=True)):
            if not 0 <= machine < n_machines:
                raise lines.error(
                    f"machine {machine} out of range 0..{n_machines - 1} for job {job}, "
                    f"operation {op}",
                    number,
                )
            if duration < 0:
                raise lines.error(
                    f"duration must be >= 0, found {duration} for job {job}, operation {op}",
                    number,
                )
            if duration >= MAX_VALUE:
                raise lines.error(
                    f"duration must be < 2**62, found {duration} for job {job}, operation {op}",
                    number,
                )
        _check_no_repeat(lines, number, route, job)
        machines[job] = route
        durations[job] = times
    _check_trailing(lines, f"the {n_jobs} job lines", allow_separator=True)
    _check_horizon(lines, size_line, durations)
    return _instance(lines, machines, durations, name=_default_name(source, name),
                     n_machines=n_machines)


def _require_classic(instance: JobShopInstance, fmt: str) -> None:
    if instance.n_ops != instance.n_machines:
        raise ValueError(
            f"instance {instance.name!r} has {instance.n_ops} operations per job and "
            f"{instance.n_machines} machines; the {fmt} format needs one operation per machine"
        )
    for job in range(instance.n_jobs):
        route = instance.machines[job]
        if len(np.unique(route)) != len(route):
            raise ValueError(
                f"instance {instance.name!r}: job {job} visits a machine more than once, "
                f"which the {fmt} format cannot express"
            )


def _width(values: np.ndarray) -> int:
    return len(str(int(values.max())))


def format_orlib(instance: JobShopInstance) -> str:
    """The instance in OR-Library format (columns right-aligned, machines from 0).

    :param instance: a classic instance (each job visits each machine once).
    :return: the file content, ending with a newline.
    :raises ValueError: when the instance is not a classic job shop.
    """
    _require_classic(instance, "OR-Library")
    wm, wd = _width(instance.machines), _width(instance.durations)
    out = io.StringIO()
    out.write(f"{instance.n_jobs} {instance.n_machines}\n")
    for route, times in zip(instance.machines.tolist(), instance.durations.tolist(), strict=True):
        out.write(
            " ".join(f"{m:>{wm}} {d:>{wd}}" for m, d in zip(route, times, strict=True)) + "\n"
        )
    return out.getvalue()


def read_orlib(path: str | os.PathLike[str]) -> JobShopInstance:
    """Read an OR-Library file; the instance is named after the file stem.

    :param path: file path.
    :return: the instance.
    """
    p = Path(path)
    return parse_orlib(_read_text(p), source=str(p))


def write_orlib(instance: JobShopInstance, path: str | os.PathLike[str]) -> None:
    """Write the instance in OR-Library format, atomically.

    :param instance: a classic instance.
    :param path: destination file.
    """
    write_text_atomic(format_orlib(instance), path)


# --------------------------------------------------------------------------------------------
# Taillard format
# --------------------------------------------------------------------------------------------

_TAILLARD_HEADER = "Nb of jobs, Nb of Machines, Time seed, Machine seed, Upper bound, Lower bound"


def _is_keyword(line: str, word: str) -> bool:
    return line.strip().lower() == word.lower()


def parse_taillard(text: str, source: str = "<string>", name: str | None = None) -> JobShopInstance:
    """Parse an instance in Taillard format.

    Accepts the keyword form (optional ``Nb of jobs, ...`` header, numbers line
    ``n m time_seed machine_seed ub lb``, ``Times``, durations, ``Machines``, machines from 1)
    and the bare form (``n m``, then the durations lines, then the machines lines). Bounds of
    0 mean unknown.

    :param text: file content.
    :param source: file name used in error messages (and for the default name).
    :param name: instance name; the file stem of ``source`` by default.
    :return: the instance, with the bounds of the numbers line.
    :raises InstanceFormatError: on malformed input, naming the file and line.
    """
    lines = _Lines(text, source)
    numbers: list[int] | None = None
    size_line = 0
    while (item := lines.next()) is not None:
        number, line = item
        if _is_keyword(line, "Times") or _is_keyword(line, "Machines"):
            raise lines.error(
                f"missing size line 'n_jobs n_machines' before {line.strip()!r}", number
            )
        values = _try_ints(line)
        if values is None:
            continue  # header text
        if not 2 <= len(values) <= 6:
            raise lines.error(
                "expected size line 'n_jobs n_machines [time_seed machine_seed upper_bound "
                f"lower_bound]' (2 to 6 integers), found {len(values)} integers",
                number,
            )
        numbers, size_line = values, number
        break
    if numbers is None:
        raise lines.error("missing size line 'n_jobs n_machines'", lines.last_line)
    n_jobs, n_machines = numbers[0], numbers[1]
    _check_size(lines, size_line, n_jobs, n_machines)
    upper = numbers[4] if len(numbers) >= 5 and numbers[4] > 0 else None
    lower = numbers[5] if len(numbers) >= 6 and numbers[5] > 0 else None
    if lower is not None and upper is not None and lower > upper:
        raise lines.error(
            f"lower bound {lower} exceeds upper bound {upper} (order: upper bound, lower bound)",
            size_line,
        )

    def section(word: str, kind: str) -> tuple[np.ndarray, list[int]]:
        item = lines.peek()
        if item is not None and _is_keyword(item[1], word):
            lines.next()
        rows = np.empty((n_jobs, n_machines), dtype=np.int64)
        numbers_of_rows: list[int] = []
        for job in range(n_jobs):
            item = lines.next()
            if item is None:
                raise lines.error(
                    f"expected {n_jobs} lines of {kind}, found {job}", lines.last_line
                )
            number, line = item
            if _is_keyword(line, "Machines"):
                raise lines.error(f"expected {n_jobs} lines of {kind}, found {job}", number)
            rows[job] = lines.ints(number, line, n_machines, kind, f"job {job}")
            numbers_of_rows.append(number)
        return rows, numbers_of_rows

    durations, duration_lines = section("Times", "durations")
    for job in range(n_jobs):
        for op in range(n_machines):
            duration = int(durations[job, op])
            if duration < 0 or duration >= MAX_VALUE:
                raise lines.error(
                    f"duration must be >= 0, found {duration} for job {job}, operation {op}"
                    if duration < 0
                    else f"duration must be < 2**62, found {duration} for job {job}, "
                    f"operation {op}",
                    duration_lines[job],
                )
    _check_horizon(lines, size_line, durations)
    machines, machine_lines = section("Machines", "machines")
    for job in range(n_jobs):
        for op in range(n_machines):
            machine = int(machines[job, op])
            if not 1 <= machine <= n_machines:
                raise lines.error(
                    f"machine {machine} out of range 1..{n_machines} for job {job}, operation {op}",
                    machine_lines[job],
                )
        _check_no_repeat(lines, machine_lines[job], machines[job].tolist(), job)
    _check_trailing(lines, f"the {n_jobs} lines of machines")
    return _instance(lines, machines - 1, durations, name=_default_name(source, name),
                     n_machines=n_machines, lower_bound=lower, upper_bound=upper)


def format_taillard(instance: JobShopInstance) -> str:
    """The instance in Taillard's keyword format (machines from 1).

    Seeds are not part of an instance and are written as 0; so is an unknown bound.

    :param instance: a classic instance (each job visits each machine once).
    :return: the file content, ending with a newline.
    :raises ValueError: when the instance is not a classic job shop.
    """
    _require_classic(instance, "Taillard")
    head = [
        instance.n_jobs,
        instance.n_machines,
        0,
        0,
        instance.upper_bound or 0,
        instance.lower_bound or 0,
    ]
    wd, wm = _width(instance.durations), len(str(instance.n_machines))
    out = io.StringIO()
    out.write(_TAILLARD_HEADER + "\n")
    out.write(" ".join(f"{v:>12}" for v in head) + "\n")
    out.write("Times\n")
    for times in instance.durations.tolist():
        out.write(" ".join(f"{d:>{wd}}" for d in times) + "\n")
    out.write("Machines\n")
    for route in instance.machines.tolist():
        out.write(" ".join(f"{m + 1:>{wm}}" for m in route) + "\n")
    return out.getvalue()


def read_taillard(path: str | os.PathLike[str]) -> JobShopInstance:
    """Read a Taillard-format file; the instance is named after the file stem.

    :param path: file path.
    :return: the instance.
    """
    p = Path(path)
    return parse_taillard(_read_text(p), source=str(p))


def write_taillard(instance: JobShopInstance, path: str | os.PathLike[str]) -> None:
    """Write the instance in Taillard format, atomically.

    :param instance: a classic instance.
    :param path: destination file.
    """
    write_text_atomic(format_taillard(instance), path)


def _looks_taillard(text: str) -> bool:
    """Taillard when a ``Times`` line is present or the first job line has m numbers, not 2m."""
    numeric: list[list[int]] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.lower() == "times":
            return True
        values = _try_ints(stripped)
        if values is not None:
            numeric.append(values)
            if len(numeric) == 2:
                break
    if not numeric:
        return False
    if len(numeric[0]) != 2:
        return 3 <= len(numeric[0]) <= 6  # Taillard's numbers line with seeds and bounds
    return len(numeric) == 2 and len(numeric[1]) == numeric[0][1]


_FORMATS = {"auto": "auto", "orlib": "orlib", "standard": "orlib", "taillard": "taillard"}


def read_instance(path: str | os.PathLike[str], format: str = "auto",
                  name: str | None = None) -> JobShopInstance:
    """Read an instance file in either format.

    :param path: file path.
    :param format: ``"orlib"`` (alias ``"standard"``), ``"taillard"`` or ``"auto"`` (Taillard
        when a ``Times`` line is present or job lines hold n_machines numbers, else OR-Library).
    :param name: the instance's name; the file's stem by default.
    :return: the instance.
    :raises InputError: for an unknown format.
    :raises MissingFileError: when there is no such file.
    :raises InstanceFormatError: on malformed content, naming the file and line.
    """
    kind = _FORMATS.get(format.lower()) if isinstance(format, str) else None
    if kind is None:
        raise InputError(
            f"unknown instance format {format!r}; expected one of 'auto', 'orlib', 'standard', "
            "'taillard'", "format"
        )
    p = Path(path)
    text = _read_text(p)
    if kind == "auto":
        kind = "taillard" if _looks_taillard(text) else "orlib"
    parse = parse_taillard if kind == "taillard" else parse_orlib
    return parse(text, source=str(p), name=name)
