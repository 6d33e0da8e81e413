"""MiniMalloc's CSV format: one buffer per row, ``id,lower,upper,size`` and, in a solution,
``offset``.

As in MiniMalloc (google/minimalloc): the header names the columns; ``lower`` is the first live
time step, ``upper`` the step after the last (half-open), ``size`` the units needed; a solution
adds an ``offset`` column. MiniMalloc keeps the capacity out of the file and its benchmark files
carry it in their name (``A.1048576.csv``); :func:`read_minimalloc_csv` does the same unless a
capacity is given. Ours differs on purpose in one way: the columns may come in any order (the
header says which is which), and an unknown column is refused rather than ignored.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import numpy as np

from decisiongym.envs.core.errors import InstanceFormatError, MissingFileError, PathError
from decisiongym.envs.core.files import write_text_atomic
from decisiongym.envs.memory.problem import MAX_BUFFERS, MAX_VALUE, AllocationProblem

COLUMNS = ("id", "lower", "upper", "size")
"""The columns every MiniMalloc file has."""

MAX_FILE_BYTES = 256 * 1024 * 1024
"""The largest file read (a file of :data:`~decisiongym.envs.memory.problem.MAX_BUFFERS` rows
fits well below it)."""

_CAPACITY_IN_NAME = re.compile(r"\.(\d+)$")


def capacity_from_name(path: str | os.PathLike[str]) -> int | None:
    """The capacity a MiniMalloc benchmark file carries in its name (``A.1048576.csv`` gives
    1048576), or ``None`` when the name has none."""
    match = _CAPACITY_IN_NAME.search(Path(path).stem)
    return int(match.group(1)) if match else None


def _int_field(text: str, source: str, line: int, column: str) -> int:
    value = text.strip()
    if not re.fullmatch(r"[+-]?\d+", value):
        raise InstanceFormatError(f"column {column!r}: expected an integer, got {value!r}",
                                  source, line)
    number = int(value)
    if abs(number) > MAX_VALUE:
        raise InstanceFormatError(f"column {column!r}: {number} is beyond the limit of 2**62",
                                  source, line)
    return number


def parse_minimalloc_csv(text: str, capacity: int, source: str = "<string>",
                         name: str | None = None) -> tuple[AllocationProblem, np.ndarray | None]:
    """Parse a MiniMalloc CSV.

    :param text: the file's text.
    :param capacity: the memory's capacity.
    :param source: the file name, for error messages.
    :param name: the workload's name; the source's stem (without the capacity) when ``None``.
    :return: the problem and, when the file has an ``offset`` column, the offsets (else ``None``).
    :raises InstanceFormatError: naming the file, line and column at fault.
    """
    rows = text.splitlines()
    while rows and not rows[-1].strip():
        rows.pop()
    if not rows:
        raise InstanceFormatError("empty file; expected a header 'id,lower,upper,size'", source)
    header = [cell.strip().lower() for cell in rows[0].split(",")]
    for column in COLUMNS:
        if column not in header:
            raise InstanceFormatError(f"header {rows[0].strip()!r} lacks the column {column!r}; "
                                      "expected 'id,lower,upper,size' (and optionally 'offset')",
                                      source, 1)
    for column in header:
        if column not in (*COLUMNS, "offset"):
            raise InstanceFormatError(f"unknown column {column!r}; the columns are id, lower, "
                                      "upper, size and optionally offset", source, 1)
        if header.count(column) > 1:
            raise InstanceFormatError(f"column {column!r} appears twice", source, 1)
    if len(rows) - 1 > MAX_BUFFERS:
        raise InstanceFormatError(f"{len(rows) - 1} rows, above the limit of {MAX_BUFFERS} "
                                  "buffers", source)
    where = {column: header.index(column) for column in header}
    numeric = [column for column in header if column != "id"]
    values: dict[str, list[int]] = {column: [] for column in numeric}
    names: list[str] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows[1:], start=2):
        cells = row.split(",")
        if len(cells) != len(header):
            raise InstanceFormatError(f"{len(cells)} fields, expected {len(header)} "
                                      f"({','.join(header)})", source, number)
        label = cells[where["id"]].strip()
        if not label:
            raise InstanceFormatError("column 'id': empty buffer id", source, number)
        if label in seen:
            raise InstanceFormatError(f"column 'id': buffer {label!r} already given on line "
                                      f"{seen[label]}", source, number)
        seen[label] = number
        names.append(label)
        for column in numeric:
            values[column].append(_int_field(cells[where[column]], source, number, column))
        lower, upper, size = (values[c][-1] for c in ("lower", "upper", "size"))
        if lower < 0:
            raise InstanceFormatError(f"column 'lower': {lower} is negative", source, number)
        if upper <= lower:
            raise InstanceFormatError(f"column 'upper': {upper} is not above lower {lower} "
                                      "(a live range is the half-open [lower, upper))",
                                      source, number)
        if size <= 0:
            raise InstanceFormatError(f"column 'size': {size}; sizes are > 0", source, number)
        if "offset" in values and values["offset"][-1] < 0:
            raise InstanceFormatError(f"column 'offset': {values['offset'][-1]} is negative",
                                      source, number)
    if name is None:
        stem = Path(source).stem
        name = _CAPACITY_IN_NAME.sub("", stem) or stem
    problem = AllocationProblem(np.array(values["lower"], dtype=np.int64),
                                np.array(values["upper"], dtype=np.int64),
                                np.array(values["size"], dtype=np.int64),
                                capacity, tuple(names), name=name)
    offsets = np.array(values["offset"], dtype=np.int64) if "offset" in values else None
    return problem, offsets


def _read_text(path: Path) -> str:
    if path.is_dir():
        raise PathError(path, "is a folder; expected a MiniMalloc CSV file")
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise PathError(path, f"is larger than the limit of {MAX_FILE_BYTES} bytes")
        return path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        raise MissingFileError(path, "no such MiniMalloc CSV file") from None
    except OSError as exc:
        raise PathError(path, f"cannot be read ({exc.strerror})") from None


def _capacity(path: Path, capacity: int | None) -> int:
    if capacity is not None:
        return capacity
    from_name = capacity_from_name(path)
    if from_name is None:
        raise InstanceFormatError("no capacity given and none in the file name (MiniMalloc "
                                  "benchmarks are named NAME.CAPACITY.csv); pass capacity=",
                                  str(path))
    return from_name


def read_minimalloc_csv(path: str | os.PathLike[str],
                        capacity: int | None = None) -> AllocationProblem:
    """Read a MiniMalloc problem file (an ``offset`` column, if present, is ignored: read it
    with :func:`read_minimalloc_solution`).

    :param path: the CSV file.
    :param capacity: the memory's capacity; taken from the file name when ``None``.
    :raises InstanceFormatError: on a malformed file, naming the line and column.
    :raises PathError: when the file cannot be read.
    """
    p = Path(path)
    text = _read_text(p)
    return parse_minimalloc_csv(text, _capacity(p, capacity), source=str(p))[0]


def read_minimalloc_solution(path: str | os.PathLike[str], capacity: int | None = None
                             ) -> tuple[AllocationProblem, np.ndarray]:
    """Read a MiniMalloc solution file: the problem and its ``offset`` column.

    :raises InstanceFormatError: when the file has no ``offset`` column, or is malformed.
    """
    p = Path(path)
    problem, offsets = parse_minimalloc_csv(_read_text(p), _capacity(p, capacity), str(p))
    if offsets is None:
        raise InstanceFormatError("no 'offset' column: this is a problem, not a solution",
                                  str(p), 1)
    return problem, offsets


def format_minimalloc_csv(problem: AllocationProblem, offsets: np.ndarray | None = None) -> str:
    """The problem (and, when given, an allocation) as MiniMalloc CSV text."""
    out = io.StringIO()
    out.write("id,lower,upper,size" + (",offset\n" if offsets is not None else "\n"))
    for i, label in enumerate(problem.names):
        if "," in label or "\n" in label:
            raise InstanceFormatError(f"buffer name {label!r} holds a comma or a line break, "
                                      "which the CSV format cannot carry")
        row = f"{label},{problem.lower[i]},{problem.upper[i]},{problem.size[i]}"
        out.write(row + (f",{int(offsets[i])}\n" if offsets is not None else "\n"))
    return out.getvalue()


def write_minimalloc_csv(problem: AllocationProblem, path: str | os.PathLike[str],
                         offsets: np.ndarray | None = None) -> None:
    """Write the problem (and an allocation) as MiniMalloc CSV, atomically."""
    write_text_atomic(format_minimalloc_csv(problem, offsets), path)
