"""The memory benchmark grid: allocation on MiniMalloc's challenging workloads and on tight
generated strips, mapping on the shipped traced programs, and the speed table
(:mod:`decisiongym.bench.memory.speed`). The tables are rendered from the CSV records by
:mod:`decisiongym.bench.memory.report`.

Allocation, per instance: the greedy's least peak in each order, the exact search's
feasibility question at the capacity and at capacity - 1 (a packing or a proof that none
exists), CP-SAT's feasibility model and its least-peak model. Mapping, per shipped program,
chip and fast capacity (a fraction of the peak live bytes): every method of
:data:`~decisiongym.bench.memory.methods.MAPPING_METHODS`, so a method added there gets its
column. Every cell re-checks its answer with the family's validator
(:mod:`decisiongym.bench.memory.solve`).

MiniMalloc's files are read from ``--data`` (default ``../shared/data/memory`` when it
exists); nothing in the package needs them, and without them the table says so.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from decisiongym.bench.memory.methods import MAPPING_METHODS, ORDERS, SolveOptions
from decisiongym.bench.record import Record
from decisiongym.envs.core.errors import InputError
from decisiongym.envs.core.files import (
    check_output_folder,
    staged_folder,
    write_frame_atomic,
    write_text_atomic,
)

FAMILY = "memory"
DEFAULT_DATA = Path("..") / "shared" / "data" / "memory"
"""The public data folder beside the checkout, used when ``--data`` is not given and it exists
(relative to the working folder, as the Makefile runs from the repository root)."""

MINIMALLOC_FOLDER = "minimalloc_challenging"
"""The folder of MiniMalloc's 11 challenging CSVs inside the data folder."""

TIGHT_SEEDS = tuple(range(20))
TIGHT_SMALLEST, TIGHT_LARGEST = 100, 1000
QUICK_TIGHT = ((0, 40), (1, 60))
"""``--quick``'s tight instances: (seed, buffers)."""

FRACTIONS = (0.25, 0.5, 0.75)
"""Fast capacities of the mapping table, as fractions of each program's peak live bytes."""

CHIPS = ("tpu-like", "gpu-like")
QUICK_WORKLOADS = ("mlp-b32", "decode-b1-c512")
QUICK_EXACT_LIMIT = 5.0
QUICK_CPSAT_LIMIT = 1.0


def tight_size(seed: int) -> int:
    """Buffers of the tight instance of ``seed``: evenly spread from 100 (seed 0) to 1,000
    (seed 19)."""
    last = TIGHT_SEEDS[-1]
    return TIGHT_SMALLEST + round((TIGHT_LARGEST - TIGHT_SMALLEST) * seed / last)


@dataclass(frozen=True)
class AllocationCell:
    """One allocation question on one instance (picklable).

    :param source: ``"minimalloc"`` (``path`` is its CSV) or ``"tight"`` (drawn from ``seed``
        with ``n_buffers``).
    :param method: ``greedy``, ``exact`` or ``cpsat``.
    :param question: ``feasibility`` or ``peak``.
    :param capacity_delta: added to the instance's capacity (0, or -1 for the infeasibility
        question).
    """

    source: str
    path: str
    seed: int
    n_buffers: int
    method: str
    question: str
    order: str = "size"
    capacity_delta: int = 0
    time_limit: float = 10.0
    workers: int = 2


@dataclass(frozen=True)
class MappingCell:
    """One mapping method on one shipped program, chip and fast capacity (picklable)."""

    workload: str
    hardware: str
    fraction: float
    method: str
    time_limit: float = 10.0
    workers: int = 2


def _problem(cell: AllocationCell) -> Any:
    if cell.source == "tight":
        from decisiongym.envs.memory.generator import tight_problem

        return tight_problem(cell.n_buffers, cell.seed)
    from decisiongym.envs.memory.minimalloc_csv import read_minimalloc_csv

    return read_minimalloc_csv(cell.path)


def run_allocation_cell(cell: AllocationCell) -> Record:
    """The record of one allocation question (:func:`decisiongym.bench.memory.solve.
    solve_allocation`), with ``source`` and ``capacity_delta`` in ``extra``."""
    from decisiongym.bench.memory.solve import solve_allocation

    problem = _problem(cell)
    problem = problem.with_capacity(problem.capacity + cell.capacity_delta)
    options = SolveOptions(objective=cell.question, order=cell.order,
                           time_limit=cell.time_limit, workers=cell.workers, seed=cell.seed)
    record = solve_allocation(problem, cell.method, options)
    return replace(record, solution=None,
                   extra={"source": cell.source, "capacity_delta": cell.capacity_delta,
                          "order": cell.order if cell.method == "greedy" else None,
                          **{k: v for k, v in record.extra.items() if k != "order"}})


def run_mapping_cell(cell: MappingCell) -> Record:
    """The record of one mapping (:func:`decisiongym.bench.memory.solve.solve_mapping`), with
    the capacity's ``fraction`` in ``extra``."""
    from decisiongym.bench.memory.solve import mapping_chip, solve_mapping
    from decisiongym.envs.memory.program_file import read_program
    from decisiongym.envs.memory.workloads import workload_path

    program = read_program(workload_path(cell.workload))
    chip = mapping_chip(program, cell.hardware, cell.fraction)
    options = SolveOptions(time_limit=cell.time_limit, workers=cell.workers)
    record = solve_mapping(program, chip, cell.method, options)
    extra = {"fraction": cell.fraction, "fell_back": None, **record.extra}
    return replace(record, solution=None, extra=extra)


def minimalloc_files(data: str | Path | None) -> tuple[list[Path], str | None]:
    """MiniMalloc's CSVs in the data folder, and why there are none when so.

    :param data: the data folder; :data:`DEFAULT_DATA` when ``None`` (and it exists).
    :raises InputError: when a folder given holds no ``minimalloc_challenging`` CSV.
    """
    if data is None:
        if not (DEFAULT_DATA / MINIMALLOC_FOLDER).is_dir():
            return [], (f"the data was not given (no --data, and no {DEFAULT_DATA} beside the "
                        "working folder)")
        data = DEFAULT_DATA
    files = sorted((Path(data) / MINIMALLOC_FOLDER).glob("*.csv"))
    if not files:
        raise InputError(f"{data} holds no {MINIMALLOC_FOLDER}/*.csv; give the folder holding "
                         "MiniMalloc's challenging workloads", field="--data")
    return files, None


def allocation_cells(files: list[Path], tight: list[tuple[int, int]], time_limit: float,
                     exact_time_limit: float, workers: int) -> list[AllocationCell]:
    """Every allocation question on every instance (module docstring)."""
    instances = ([AllocationCell("minimalloc", str(path), 0, 0, "greedy", "peak")
                  for path in files]
                 + [AllocationCell("tight", "", seed, n, "greedy", "peak") for seed, n in tight])
    cells = []
    for base in instances:
        cells += [replace(base, order=order) for order in ORDERS]
        cells += [replace(base, method="exact", question="feasibility", capacity_delta=delta,
                          time_limit=exact_time_limit) for delta in (0, -1)]
        cells += [replace(base, method="cpsat", question=question, time_limit=time_limit,
                          workers=workers) for question in ("feasibility", "peak")]
    return cells


def mapping_cells(workloads: tuple[str, ...], chips: tuple[str, ...], time_limit: float,
                  workers: int) -> list[MappingCell]:
    """Every mapping method on every workload, chip and fraction."""
    return [MappingCell(name, chip, fraction, method, time_limit, workers)
            for name in workloads for chip in chips for fraction in FRACTIONS
            for method in MAPPING_METHODS]


def _describe_allocation(cell: AllocationCell) -> str:
    label = Path(cell.path).stem.split(".")[0] if cell.source == "minimalloc" \
        else f"tight-{cell.n_buffers}"
    what = cell.order if cell.method == "greedy" else cell.question
    return f"{label} {cell.method} {what}{' cap-1' if cell.capacity_delta else ''}"


def run_benchmark(data: str | Path | None = None, quick: bool = False, time_limit: float = 10.0,
                  exact_time_limit: float = 60.0, workers: int = 2,
                  out_dir: str | Path = "benchmarks/results",
                  command: str = "decisiongym bench memory", speed: bool = True) -> Path:
    """Run the grid, write ``memory_allocation.csv``, ``memory_mapping.csv``,
    ``memory_speed.csv`` (with ``speed``) and ``memory.md`` (rendered from them) into
    ``out_dir``; return the markdown path.

    :param data: the public data folder holding ``minimalloc_challenging/``.
    :param quick: a smoke run: two small tight instances, the first MiniMalloc file only, two
        programs on the tpu-like chip, limits cut to 5 s (exact) and 1 s (CP-SAT).
    :param time_limit: CP-SAT's seconds per question.
    :param exact_time_limit: the exact search's seconds per question.
    :param workers: CP-SAT's workers.
    :param out_dir: folder of the results files.
    :param command: the command line written in the markdown header.
    :param speed: measure the speed table.
    """
    import pandas as pd

    from decisiongym.bench.memory.report import render
    from decisiongym.bench.memory.speed import measure_speed
    from decisiongym.bench.record import read_frame, write_records
    from decisiongym.bench.runner import run_grid
    from decisiongym.envs.memory.workloads import WORKLOAD_NAMES

    out = check_output_folder(out_dir)
    files, missing = minimalloc_files(data)
    if quick:
        files = files[:1]
        time_limit = min(time_limit, QUICK_CPSAT_LIMIT)
        exact_time_limit = min(exact_time_limit, QUICK_EXACT_LIMIT)
    tight = list(QUICK_TIGHT) if quick else [(s, tight_size(s)) for s in TIGHT_SEEDS]
    workloads = QUICK_WORKLOADS if quick else WORKLOAD_NAMES
    chips = CHIPS[:1] if quick else CHIPS
    # one cell at a time in this process: CP-SAT uses the cores itself, and times stay honest
    allocation = run_grid(allocation_cells(files, tight, time_limit, exact_time_limit, workers),
                          run_allocation_cell, _describe_allocation, title=f"{FAMILY} allocation")
    mapping = run_grid(mapping_cells(workloads, chips, time_limit, workers), run_mapping_cell,
                       lambda c: f"{c.workload} {c.hardware} {c.fraction:g} {c.method}",
                       title=f"{FAMILY} mapping")
    setup = {"minimalloc_missing": missing, "quick": quick, "time_limit": time_limit,
             "exact_time_limit": exact_time_limit, "workers": workers,
             "tight": [n for _, n in tight], "chips": chips}
    with staged_folder(out) as staging:
        write_records(allocation, staging / "memory_allocation.csv")
        write_records(mapping, staging / "memory_mapping.csv")
        speed_rows = measure_speed(quick=quick) if speed else []
        if speed_rows:
            write_frame_atomic(pd.DataFrame.from_records(speed_rows),
                               staging / "memory_speed.csv", index=False)
        markdown = render(read_frame(staging / "memory_allocation.csv"),
                          read_frame(staging / "memory_mapping.csv"), speed_rows, command,
                          setup)
        write_text_atomic(markdown, staging / "memory.md")
    return out / "memory.md"
