"""The memory family's workloads: the shipped traced programs, program files, and MiniMalloc
CSV files.

The shipped programs live in ``decisiongym/data/memory`` as ``NAME.json.gz``
(:mod:`~decisiongym.envs.memory.program_file`), traced from the models of
:mod:`decisiongym.envs.memory.zoo`; reading one needs neither torch nor tracing.
"""

from __future__ import annotations

import os
from pathlib import Path

from decisiongym.envs.core.errors import InputError
from decisiongym.envs.memory.minimalloc_csv import read_minimalloc_csv
from decisiongym.envs.memory.problem import AllocationProblem
from decisiongym.envs.memory.program import Program
from decisiongym.envs.memory.program_file import read_program

DATA_FOLDER = Path(__file__).resolve().parents[2] / "data" / "memory"
"""The folder of the shipped program files."""

PROGRAM_SUFFIX = ".json.gz"
"""The shipped files' suffix."""

WORKLOAD_NAMES: tuple[str, ...] = tuple(sorted(
    path.name[: -len(PROGRAM_SUFFIX)] for path in DATA_FOLDER.glob(f"*{PROGRAM_SUFFIX}")))
"""The shipped workloads, by name (one file each in :data:`DATA_FOLDER`)."""


def workload_path(name: str) -> Path:
    """The file of a shipped workload.

    :raises InputError: naming the shipped workloads when ``name`` is not one.
    """
    if name not in WORKLOAD_NAMES:
        raise InputError(f"no shipped workload {name!r}; the workloads are "
                         f"{', '.join(WORKLOAD_NAMES)}, or give a program file (.json, "
                         ".json.gz) or a MiniMalloc CSV", field="workload")
    return DATA_FOLDER / f"{name}{PROGRAM_SUFFIX}"


def load_workload(name_or_path: str | os.PathLike[str],
                  capacity: int | None = None) -> Program | AllocationProblem:
    """A shipped workload by name, a program file, or a MiniMalloc CSV.

    :param name_or_path: a name of :data:`WORKLOAD_NAMES`, a program file (``.json``,
        ``.json.gz``) or a MiniMalloc CSV (``.csv``).
    :param capacity: for a MiniMalloc CSV, the memory's capacity (taken from the file name,
        ``A.1048576.csv``, when ``None``); ignored otherwise (a program's capacity is chosen
        where it is solved).
    :return: a :class:`Program` for a name or program file, an :class:`AllocationProblem` for
        a CSV (the allocation problem alone: it has no operations to map).
    :raises InputError: for a name that is neither shipped nor a file.
    :raises PathError: for a file that cannot be read (``MissingFileError`` when absent).
    :raises InstanceFormatError: for a malformed file, naming the line or field.
    """
    text = os.fspath(name_or_path)
    if isinstance(name_or_path, str) and text in WORKLOAD_NAMES:
        return read_program(workload_path(text))
    path = Path(text)
    if path.suffix.lower() == ".csv":
        return read_minimalloc_csv(path, capacity)
    if path.exists() or path.suffix.lower() in (".json", ".gz") or os.sep in text:
        return read_program(path)
    return read_program(workload_path(text))
