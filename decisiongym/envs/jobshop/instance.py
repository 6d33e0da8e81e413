"""The job-shop problem as immutable data, its two text formats, and Taillard's benchmark.

A job-shop instance has ``n_jobs`` jobs of ``n_ops`` operations each; operation ``o`` of job
``j`` runs on machine ``machines[j, o]`` for ``durations[j, o]`` time units, after operation
``o - 1`` of the same job. Machines are numbered from 0 in memory.

Two text formats are read and written:

* OR-Library ("standard"): a line ``n_jobs n_machines``, then one line per job of
  ``machine duration`` pairs in route order, machines numbered from 0.
* Taillard: an optional header line and a numbers line ``n m time_seed machine_seed ub lb``,
  then ``Times`` and one line of durations per job, then ``Machines`` and one line of machines
  per job, numbered from 1.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np

from decisiongym.envs.core.errors import InstanceFormatError
from decisiongym.envs.core.files import write_text_atomic

__all__ = [
    "BUILTIN_NAMES",
    "JobShopInstance",
    "RandomInstanceGenerator",
    "expand_instance_names",
    "format_orlib",
    "format_taillard",
    "load_instance",
    "parse_orlib",
    "parse_taillard",
    "read_instance",
    "read_orlib",
    "read_taillard",
    "taillard_generate",
    "taillard_instance",
    "write_orlib",
    "write_taillard",
]

TAILLARD_NAMES: tuple[str, ...] = tuple(f"ta{i:02d}" for i in range(1, 81))
BUILTIN_NAMES: tuple[str, ...] = (*TAILLARD_NAMES, "ft06")

# Values beyond this cannot come from a real instance and would overflow int64 sums.
_MAX_VALUE = 2**62


# --------------------------------------------------------------------------------------------
# The instance
# --------------------------------------------------------------------------------------------


def _as_int_matrix(value: Any, field: str) -> np.ndarray:
    """Return ``value`` as a fresh read-only C-contiguous int64 matrix, or raise.

    :param value: array-like of integers, jobs x operations.
    :param field: field name used in error messages.
    :return: the converted copy.
    """
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError) as exc:
        raise InstanceFormatError(
            f"{field} must be a rectangular 2-D array of integers ({exc})"
        ) from exc
    if arr.ndim != 2:
        raise InstanceFormatError(
            f"{field} must be a 2-D array (jobs x operations), found {arr.ndim} dimension(s)"
        )
    if arr.shape[0] < 1 or arr.shape[1] < 1:
        raise InstanceFormatError(
            f"{field} must have at least 1 job and 1 operation, found shape {arr.shape}"
        )
    if arr.dtype.kind == "f":
        with np.errstate(invalid="ignore"):
            whole = np.isfinite(arr) & (np.abs(arr) < _MAX_VALUE)
            whole &= np.where(whole, arr, 0) == np.round(np.where(whole, arr, 0))
        if not whole.all():
            j, o = (int(i) for i in np.argwhere(~whole)[0])
            raise InstanceFormatError(
                f"{field} must be integers, found {arr[j, o].item()!r} for job {j}, operation {o}"
            )
    elif arr.dtype.kind not in "iu":
        raise InstanceFormatError(f"{field} must be integers, found dtype {arr.dtype}")
    # A copy, so freezing it never freezes the caller's array.
    out = np.array(arr, dtype=np.int64, order="C", copy=True)
    out.flags.writeable = False
    return out


def _as_bound(value: Any, field: str) -> int | None:
    """Check an optional makespan bound.

    :param value: ``None`` or a non-negative integer.
    :param field: field name used in error messages.
    :return: the bound as a Python int, or ``None``.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InstanceFormatError(f"{field} must be an integer or None, found {value!r}")
    if value < 0:
        raise InstanceFormatError(f"{field} must be >= 0, found {value}")
    return int(value)


@dataclass(frozen=True, eq=False)
class JobShopInstance:
    """An immutable job-shop instance.

    :param machines: machine of each operation, shape (n_jobs, n_ops), ids from 0.
    :param durations: processing time of each operation, same shape, all >= 0 and not all 0
        (OR-Library's orb07 has an operation of length 0).
    :param name: instance name.
    :param n_machines: number of machines; 0 infers ``machines.max() + 1``.
    :param lower_bound: best known lower bound on the optimal makespan, if any.
    :param upper_bound: best known makespan, if any.
    """

    machines: np.ndarray
    durations: np.ndarray
    name: str = "unnamed"
    n_machines: int = 0
    lower_bound: int | None = None
    upper_bound: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str):
            raise InstanceFormatError(f"name must be a string, found {self.name!r}")
        machines = _as_int_matrix(self.machines, "machines")
        durations = _as_int_matrix(self.durations, "durations")
        if machines.shape != durations.shape:
            raise InstanceFormatError(
                f"machines and durations must have the same shape, found {machines.shape} "
                f"and {durations.shape}"
            )
        bad = np.argwhere((durations < 0) | (durations >= _MAX_VALUE))
        if bad.size:
            j, o = (int(i) for i in bad[0])
            raise InstanceFormatError(
                f"durations must be >= 0, found {durations[j, o]} for job {j}, operation {o}"
                if durations[j, o] < 0
                else f"durations must be < 2**62, found {durations[j, o]} for job {j}, "
                f"operation {o}"
            )
        if durations.size and not durations.any():
            raise InstanceFormatError("durations are all 0: the instance has no work to schedule")
        if isinstance(self.n_machines, bool) or not isinstance(self.n_machines, (int, np.integer)):
            raise InstanceFormatError(f"n_machines must be an integer, found {self.n_machines!r}")
        n_machines = int(self.n_machines)
        if n_machines < 0:
            raise InstanceFormatError(f"n_machines must be >= 0 (0 infers it), found {n_machines}")
        if n_machines == 0:
            n_machines = max(int(machines.max()) + 1, 1)
        bad = np.argwhere((machines < 0) | (machines >= n_machines))
        if bad.size:
            j, o = (int(i) for i in bad[0])
            raise InstanceFormatError(
                f"machines must be in 0..{n_machines - 1}, found {machines[j, o]} for job {j}, "
                f"operation {o}"
            )
        lower = _as_bound(self.lower_bound, "lower_bound")
        upper = _as_bound(self.upper_bound, "upper_bound")
        if lower is not None and upper is not None and lower > upper:
            raise InstanceFormatError(
                f"lower_bound must not exceed upper_bound, found {lower} > {upper}"
            )
        object.__setattr__(self, "machines", machines)
        object.__setattr__(self, "durations", durations)
        object.__setattr__(self, "n_machines", n_machines)
        object.__setattr__(self, "lower_bound", lower)
        object.__setattr__(self, "upper_bound", upper)

    @property
    def n_jobs(self) -> int:
        """Number of jobs."""
        return int(self.machines.shape[0])

    @property
    def n_ops(self) -> int:
        """Number of operations per job."""
        return int(self.machines.shape[1])

    @property
    def n_operations(self) -> int:
        """Total number of operations."""
        return int(self.machines.size)

    @property
    def optimal(self) -> bool:
        """Whether the known bounds meet, so the optimal makespan is known."""
        return self.lower_bound is not None and self.lower_bound == self.upper_bound

    @property
    def trivial_lower_bound(self) -> int:
        """Largest of the longest job's total work and the busiest machine's load."""
        loads = np.zeros(self.n_machines, dtype=np.int64)
        np.add.at(loads, self.machines.ravel(), self.durations.ravel())
        return int(max(self.durations.sum(axis=1).max(), loads.max()))

    @property
    def is_classic(self) -> bool:
        """Whether every job visits every machine exactly once (the classic JSSP)."""
        if self.n_ops != self.n_machines:
            return False
        ordered = np.sort(self.machines, axis=1)
        return bool((ordered == np.arange(self.n_machines)).all())

    def same_data(self, other: object) -> bool:
        """Whether ``other`` describes the same problem (name and bounds are ignored).

        :param other: object to compare with.
        :return: ``True`` when machines, durations and the machine count are equal.
        """
        return (
            isinstance(other, JobShopInstance)
            and self.n_machines == other.n_machines
            and np.array_equal(self.machines, other.machines)
            and np.array_equal(self.durations, other.durations)
        )

    def digest(self) -> str:
        """SHA-256 of the problem data (sizes, machines, durations), as hex.

        :return: a digest equal for instances whose :meth:`same_data` holds.
        """
        h = hashlib.sha256()
        h.update(f"{self.n_jobs} {self.n_ops} {self.n_machines}\n".encode())
        h.update(self.machines.astype("<i8").tobytes())
        h.update(self.durations.astype("<i8").tobytes())
        return h.hexdigest()

    def __repr__(self) -> str:
        size = f"{self.n_jobs}x{self.n_machines}"
        if self.n_ops != self.n_machines:
            size += f", {self.n_ops} ops per job"
        return f"JobShopInstance({self.name!r}, {size})"


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
            if duration >= _MAX_VALUE:
                raise lines.error(
                    f"duration must be < 2**62, found {duration} for job {job}, operation {op}",
                    number,
                )
        _check_no_repeat(lines, number, route, job)
        machines[job] = route
        durations[job] = times
    _check_trailing(lines, f"the {n_jobs} job lines", allow_separator=True)
    return JobShopInstance(
        machines, durations, name=_default_name(source, name), n_machines=n_machines
    )


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
    return parse_orlib(p.read_text(encoding="utf-8", errors="replace"), source=str(p))


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
            if duration < 0 or duration >= _MAX_VALUE:
                raise lines.error(
                    f"duration must be >= 0, found {duration} for job {job}, operation {op}"
                    if duration < 0
                    else f"duration must be < 2**62, found {duration} for job {job}, "
                    f"operation {op}",
                    duration_lines[job],
                )
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
    return JobShopInstance(
        machines - 1,
        durations,
        name=_default_name(source, name),
        n_machines=n_machines,
        lower_bound=lower,
        upper_bound=upper,
    )


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
    return parse_taillard(p.read_text(encoding="utf-8", errors="replace"), source=str(p))


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


def read_instance(path: str | os.PathLike[str], format: str = "auto") -> JobShopInstance:
    """Read an instance file in either format.

    :param path: file path; the instance is named after its stem.
    :param format: ``"orlib"`` (alias ``"standard"``), ``"taillard"`` or ``"auto"`` (Taillard
        when a ``Times`` line is present or job lines hold n_machines numbers, else OR-Library).
    :return: the instance.
    """
    kind = _FORMATS.get(format.lower()) if isinstance(format, str) else None
    if kind is None:
        raise ValueError(
            f"unknown instance format {format!r}; expected one of 'auto', 'orlib', 'standard', "
            "'taillard'"
        )
    p = Path(path)
    text = p.read_text(encoding="utf-8", errors="replace")
    if kind == "auto":
        kind = "taillard" if _looks_taillard(text) else "orlib"
    parse = parse_taillard if kind == "taillard" else parse_orlib
    return parse(text, source=str(p))


# --------------------------------------------------------------------------------------------
# Taillard's generator and benchmark
# --------------------------------------------------------------------------------------------

_LCG_MODULUS = 2**31 - 1
_LCG_MULTIPLIER = 16807


class _TaillardRandom:
    """Taillard's Park-Miller stream: ``unif`` advances the seed once per number drawn."""

    def __init__(self, seed: int, role: str) -> None:
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise TypeError(f"{role} must be an integer, found {seed!r}")
        if not 1 <= seed < _LCG_MODULUS:
            # 0 is a fixed point of the generator.
            raise ValueError(f"{role} must be in 1..{_LCG_MODULUS - 1}, found {seed}")
        self.seed = int(seed)

    def unif(self, low: int, high: int) -> int:
        self.seed = (_LCG_MULTIPLIER * self.seed) % _LCG_MODULUS
        # Taillard computes in double precision; Python's int / int rounds the same way.
        return low + math.floor(self.seed / _LCG_MODULUS * (high - low + 1))


def _taillard_arrays(
    n_jobs: int, n_machines: int, time_seed: int, machine_seed: int
) -> tuple[np.ndarray, np.ndarray]:
    for label, value in (("n_jobs", n_jobs), ("n_machines", n_machines)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{label} must be an integer >= 1, found {value!r}")
    times = _TaillardRandom(time_seed, "time_seed")
    routes = _TaillardRandom(machine_seed, "machine_seed")
    n, m = int(n_jobs), int(n_machines)
    durations = [[times.unif(1, 99) for _ in range(m)] for _ in range(n)]
    machines = []
    for _ in range(n):
        route = list(range(m))
        for j in range(m):
            k = routes.unif(j, m - 1)
            route[j], route[k] = route[k], route[j]
        machines.append(route)
    return np.array(machines, dtype=np.int64), np.array(durations, dtype=np.int64)


def taillard_generate(
    n_jobs: int,
    n_machines: int,
    time_seed: int,
    machine_seed: int,
    name: str | None = None,
) -> JobShopInstance:
    """Generate a job-shop instance with Taillard's (1993) procedure, bit for bit.

    Durations are drawn first, job by job, from ``unif(time_seed, 1, 99)``; then each job's
    route starts from the identity and swaps positions ``j`` and ``unif(machine_seed, j, m-1)``
    for ``j = 0..m-1``, the machine stream carrying over from job to job.

    :param n_jobs: number of jobs (>= 1).
    :param n_machines: number of machines (>= 1).
    :param time_seed: seed of the duration stream, in 1..2**31-2.
    :param machine_seed: seed of the route stream, in 1..2**31-2.
    :param name: instance name; ``taillard-<n>x<m>-<time_seed>-<machine_seed>`` by default.
    :return: the instance, without bounds.
    """
    machines, durations = _taillard_arrays(n_jobs, n_machines, time_seed, machine_seed)
    if name is None:
        name = f"taillard-{n_jobs}x{n_machines}-{time_seed}-{machine_seed}"
    return JobShopInstance(machines, durations, name=name, n_machines=int(n_machines))


@dataclass(frozen=True)
class _TaillardRow:
    name: str
    n_jobs: int
    n_machines: int
    time_seed: int
    machine_seed: int
    lower_bound: int
    upper_bound: int


@functools.lru_cache(maxsize=1)
def _taillard_table() -> dict[str, _TaillardRow]:
    """Seeds and bounds of ta01-ta80, read once from the package data."""
    text = (files("decisiongym") / "data" / "taillard.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    table = {}
    for row in rows:
        table[row["name"]] = _TaillardRow(
            name=row["name"],
            n_jobs=int(row["n_jobs"]),
            n_machines=int(row["n_machines"]),
            time_seed=int(row["time_seed"]),
            machine_seed=int(row["machine_seed"]),
            lower_bound=int(row["lower_bound"]),
            upper_bound=int(row["upper_bound"]),
        )
    return table


_TA_RE = re.compile(r"ta0*([1-9][0-9]*)", re.IGNORECASE)


def _canonical_taillard(name: str) -> str | None:
    match = _TA_RE.fullmatch(name.strip())
    if match is None or not 1 <= int(match.group(1)) <= 80:
        return None
    return f"ta{int(match.group(1)):02d}"


def taillard_instance(name: str) -> JobShopInstance:
    """One of Taillard's 80 job-shop instances, generated from its published seeds.

    :param name: ``"ta01"`` to ``"ta80"`` (``"ta1"`` and ``"TA01"`` are accepted).
    :return: the instance with its best-known bounds.
    :raises ValueError: for any other name.
    """
    canonical = _canonical_taillard(name) if isinstance(name, str) else None
    if canonical is None:
        raise ValueError(f"unknown Taillard instance {name!r}; expected ta01..ta80")
    return _taillard_cached(canonical)


@functools.cache
def _taillard_cached(name: str) -> JobShopInstance:
    row = _taillard_table()[name]
    machines, durations = _taillard_arrays(
        row.n_jobs, row.n_machines, row.time_seed, row.machine_seed
    )
    return JobShopInstance(
        machines,
        durations,
        name=name,
        n_machines=row.n_machines,
        lower_bound=row.lower_bound,
        upper_bound=row.upper_bound,
    )


# Fisher and Thompson's 6x6 instance (Muth and Thompson, "Industrial Scheduling",
# Prentice-Hall, 1963), as distributed in OR-Library's jobshop1.txt (Beasley 1990); its
# optimal makespan 55 is proven.
_FT06 = """\
6 6
2  1 0  3 1  6 3  7 5  3 4  6
1  8 2  5 4 10 5 10 0 10 3  4
2  5 3  4 5  8 0  9 1  1 4  7
1  5 0  5 2  5 3  3 4  8 5  9
2  9 1  3 4  5 5  4 0  3 3  1
1  3 3  3 5  9 0 10 4  4 2  1
"""


@functools.lru_cache(maxsize=1)
def _ft06() -> JobShopInstance:
    base = parse_orlib(_FT06, source="<ft06>", name="ft06")
    return JobShopInstance(
        base.machines, base.durations, name="ft06", n_machines=6, lower_bound=55, upper_bound=55
    )


def load_instance(name_or_path: str | os.PathLike[str]) -> JobShopInstance:
    """A built-in instance by name, or an instance file by path.

    Built-in names (:data:`BUILTIN_NAMES`, case-insensitive, ``ta1`` accepted) take precedence
    over a file of the same name.

    :param name_or_path: ``"ta01"``..``"ta80"``, ``"ft06"``, or the path of an existing file.
    :return: the instance.
    :raises ValueError: for a string that is neither.
    """
    if isinstance(name_or_path, str):
        key = name_or_path.strip()
        canonical = _canonical_taillard(key)
        if canonical is not None:
            return taillard_instance(canonical)
        if key.lower() == "ft06":
            return _ft06()
        if not Path(name_or_path).is_file():
            raise ValueError(
                f"unknown instance {name_or_path!r}: expected a built-in name (ta01..ta80, "
                "ft06) or the path of an existing file"
            )
    return read_instance(name_or_path)


_NAME_RE = re.compile(r"[A-Za-z0-9_.]+")
_NUMBERED_RE = re.compile(r"([A-Za-z_]+)([0-9]+)")
_MAX_RANGE = 10_000


def _check_taillard_number(token: str, prefix: str, number: int) -> None:
    if prefix == "ta" and not 1 <= number <= 80:
        raise ValueError(f"bad instance name {token!r}: Taillard instances are ta01..ta80")


def _list_items(spec: str) -> list[str]:
    """The stripped items of a comma list; an empty list or item is an error."""
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError(f"expected a comma-separated list of instance names, found {spec!r}")
    items = [raw.strip() for raw in spec.split(",")]
    if not all(items):
        raise ValueError(f"empty instance name in {spec!r}")
    return items


def expand_instance_sources(spec: str) -> list[str]:
    """Expand a comma list whose items are instance files, folders of instance files (every
    file in the folder, by name) or names and ranges as :func:`expand_instance_names` reads
    them; repeated items are kept once, in first-seen order.

    :raises ValueError: on an empty folder, or what :func:`expand_instance_names` refuses.
    """
    sources: list[str] = []
    for token in _list_items(spec):
        path = Path(token)
        if path.is_dir():
            files = sorted(str(f) for f in path.iterdir()
                           if f.is_file() and not f.name.startswith("."))
            if not files:
                raise ValueError(f"instance folder {token!r} holds no file")
        elif path.is_file():
            files = [token]
        else:
            files = expand_instance_names(token)
        sources += [f for f in files if f not in sources]
    return sources


def expand_instance_names(spec: str) -> list[str]:
    """Expand a comma list of names and ranges, e.g. ``"ta01-ta10,ta41,ft06"``.

    A range ``pfxA-pfxB`` lists ``pfxA`` to ``pfxB`` (same prefix, A <= B), numbers padded to
    the wider of the two ends; Taillard names are written ``taNN``. Whitespace around tokens
    is ignored, and repeated names are kept once, in first-seen order.

    :param spec: the list.
    :return: the names.
    :raises ValueError: on an empty list, a malformed token, or a bad range.
    """
    names: list[str] = []
    for token in _list_items(spec):
        if "-" in token:
            ends = [end.strip() for end in token.split("-")]
            matches = [_NUMBERED_RE.fullmatch(end) for end in ends]
            if len(ends) != 2 or matches[0] is None or matches[1] is None:
                raise ValueError(
                    f"bad instance range {token!r}: expected 'NAME1-NAME2' such as 'ta01-ta10'"
                )
            (p1, d1), (p2, d2) = matches[0].groups(), matches[1].groups()
            if p1.lower() != p2.lower():
                raise ValueError(
                    f"bad instance range {token!r}: the ends have different prefixes "
                    f"({p1!r} and {p2!r})"
                )
            prefix, lo, hi = p1.lower(), int(d1), int(d2)
            if lo > hi:
                raise ValueError(f"bad instance range {token!r}: {ends[0]} comes after {ends[1]}")
            if hi - lo >= _MAX_RANGE:
                raise ValueError(f"bad instance range {token!r}: more than {_MAX_RANGE} names")
            _check_taillard_number(ends[0], prefix, lo)
            _check_taillard_number(ends[1], prefix, hi)
            width = 2 if prefix == "ta" else max(len(d1), len(d2))
            expanded = [f"{prefix}{k:0{width}d}" for k in range(lo, hi + 1)]
        else:
            if not _NAME_RE.fullmatch(token):
                raise ValueError(
                    f"bad instance name {token!r}: expected letters, digits, '_' or '.'"
                )
            numbered = _NUMBERED_RE.fullmatch(token)
            if numbered is not None and numbered.group(1).lower() == "ta":
                _check_taillard_number(token, "ta", int(numbered.group(2)))
                token = f"ta{int(numbered.group(2)):02d}"
            expanded = [token]
        for item in expanded:
            if item not in names:
                names.append(item)
    return names


# --------------------------------------------------------------------------------------------
# Random instances
# --------------------------------------------------------------------------------------------


def _as_range(value: int | tuple[int, int] | Sequence[int], label: str) -> tuple[int, int]:
    """An int or an inclusive ``(low, high)`` pair, checked to be >= 1 and ordered."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        low = high = int(value)
    elif (
        isinstance(value, Sequence)
        and not isinstance(value, str)
        and len(value) == 2
        and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value)
    ):
        low, high = int(value[0]), int(value[1])
    else:
        raise ValueError(
            f"{label} must be an int or an inclusive (low, high) pair, found {value!r}"
        )
    if low < 1:
        raise ValueError(f"{label} must be >= 1, found {value!r}")
    if low > high:
        raise ValueError(f"{label} range must have low <= high, found {value!r}")
    return low, high


class RandomInstanceGenerator:
    """Taillard-style random instances: uniform integer durations, random permutation routes.

    Every generated job visits every machine once (``n_ops == n_machines``). The intended sizes
    run from 6x6 to 100x20, but any size >= 1 is allowed.

    :param n_jobs: number of jobs, an int or an inclusive ``(low, high)`` range.
    :param n_machines: number of machines, an int or an inclusive ``(low, high)`` range.
    :param duration: inclusive ``(low, high)`` range of durations (or one int), low >= 1.
    :param name_prefix: first part of the generated names.
    """

    def __init__(
        self,
        n_jobs: int | tuple[int, int] = (6, 20),
        n_machines: int | tuple[int, int] = (6, 15),
        duration: int | tuple[int, int] = (1, 99),
        name_prefix: str = "random",
    ) -> None:
        self.n_jobs_range = _as_range(n_jobs, "n_jobs")
        self.n_machines_range = _as_range(n_machines, "n_machines")
        self.duration_range = _as_range(duration, "duration")
        if not isinstance(name_prefix, str):
            raise ValueError(f"name_prefix must be a string, found {name_prefix!r}")
        self.name_prefix = name_prefix
        self.max_jobs = self.n_jobs_range[1]
        self.max_machines = self.n_machines_range[1]

    def __call__(self, rng: np.random.Generator) -> JobShopInstance:
        """Draw one instance, using ``rng`` only.

        :param rng: the random source (for an environment, its ``np_random``).
        :return: the instance, named ``<prefix>-<n>x<m>-<8 hex digits of its data digest>``.
        """
        if not isinstance(rng, np.random.Generator):
            raise TypeError(
                f"expected a numpy.random.Generator, found {type(rng).__name__}; "
                "use sample(seed) for an integer seed"
            )
        n = int(rng.integers(self.n_jobs_range[0], self.n_jobs_range[1], endpoint=True))
        m = int(rng.integers(self.n_machines_range[0], self.n_machines_range[1], endpoint=True))
        low, high = self.duration_range
        durations = rng.integers(low, high, size=(n, m), endpoint=True, dtype=np.int64)
        machines = rng.permuted(np.tile(np.arange(m, dtype=np.int64), (n, 1)), axis=1)
        instance = JobShopInstance(machines, durations, n_machines=m)
        name = f"{self.name_prefix}-{n}x{m}-{instance.digest()[:8]}"
        return JobShopInstance(instance.machines, instance.durations, name=name, n_machines=m)

    def sample(self, seed: int) -> JobShopInstance:
        """Draw one instance from a fresh generator seeded with ``seed``.

        :param seed: the seed.
        :return: the instance.
        """
        return self(np.random.default_rng(seed))

    def __repr__(self) -> str:
        return (
            f"RandomInstanceGenerator(n_jobs={self.n_jobs_range}, "
            f"n_machines={self.n_machines_range}, duration={self.duration_range}, "
            f"name_prefix={self.name_prefix!r})"
        )
