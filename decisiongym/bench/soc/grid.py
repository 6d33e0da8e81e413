"""The SoC benchmark grid: online schedulers on DS3's default platform and mix over an
injection-rate sweep, noise levels and seeds; single-DAG list schedulers against CP-SAT; and the
speed table (:mod:`decisiongym.bench.soc.speed`). The tables and the plot are rendered from the
CSV records by :mod:`decisiongym.bench.soc.report`.

Every streaming cell draws ``ds3_workload(rate, n_jobs, default_rng(seed))`` (Gaussian
execution-time noise when ``sigma > 0``), so every scheduler of a (rate, sigma, seed) sees the
same jobs and the comparisons between schedulers are paired by seed. Every cell re-checks its
answer with :func:`decisiongym.envs.soc.solution.validate`: a stream's trace against its jobs'
arrivals and actual (noisy) durations, a DAG's schedule against its graph.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from decisiongym.bench.record import Record
from decisiongym.bench.soc.speed import measure_speed
from decisiongym.envs.core.files import (
    check_output_folder,
    staged_folder,
    write_frame_atomic,
    write_text_atomic,
)
from decisiongym.envs.soc.ids import AGENT_NAMES, ONLINE_SCHEDULERS, STATIC_METHODS

if TYPE_CHECKING:
    from decisiongym.envs.soc.graph import TaskGraph
    from decisiongym.envs.soc.metrics import SimulationResult
    from decisiongym.envs.soc.platform import Platform
    from decisiongym.envs.soc.workload import Workload

FAMILY = "soc"
HEURISTICS = ONLINE_SCHEDULERS
LEARNED = AGENT_NAMES[0]
SIGMAS = (0.0, 0.1, 0.3)
# Dense between 15 and 32 jobs/ms, where ETF and HEFT_RT saturate on the DS3 mix, so that 80 %
# of a saturation rate lands near a swept rate (18 is 80 % of 23, ETF's saturation under the
# heaviest noise); 36 and 40 are well past ETF's saturation.
DEFAULT_RATES = (2.0, 5.0, 10.0, 15.0, 18.0, 20.0, 23.0, 26.0, 29.0, 32.0, 36.0, 40.0)
QUICK_RATES = (5.0, 15.0, 25.0, 35.0)
DEFAULT_JOBS = 500
QUICK_JOBS = 150
# HEFT_RT re-plans every uncommitted task in the system at each arrival, so past its saturation
# (about 23-26 jobs/ms) each run costs seconds and grows with the backlog; two swept rates past
# it are enough to show the blow-up.
HEFT_RT_MAX_RATE = 32.0
WARMUP_SHARE = 0.1
# HEFT, PEFT and CPOP are the list schedulers; CP-SAT starts from HEFT's schedule
DAG_METHODS = STATIC_METHODS


@dataclass(frozen=True)
class SocCell:
    """One streaming run of the grid (picklable, for local processes or Ray)."""

    scheduler: str
    rate: float
    sigma: float
    seed: int
    n_jobs: int


@dataclass(frozen=True)
class DagCell:
    """One method on one single-DAG instance: a random DAG on a random platform.

    :param method: one of :data:`DAG_METHODS`.
    """

    index: int
    n_pes: int
    n_types: int
    n_tasks: tuple[int, int]
    time_limit: float
    method: str = "heft"


def learned_unavailable() -> str | None:
    """Why no learned scheduler can run, or ``None`` when one can: ``"learned"`` in
    ``ONLINE_SCHEDULERS``, or ``decisiongym.agents.soc.policy.learned_scheduler()`` that builds
    (it loads the shipped weights, which may be missing while the agent is being trained)."""
    from decisiongym.baselines.soc.online import ONLINE_SCHEDULERS

    if LEARNED in ONLINE_SCHEDULERS:
        return None
    factory = _learned_factory()
    if factory is None:
        return ("neither `\"learned\"` in `decisiongym.baselines.soc.online.ONLINE_SCHEDULERS` nor "
                "`decisiongym.agents.soc.policy.learned_scheduler` exists")
    try:
        factory()
    except Exception as exc:  # any failure to build it means there is no agent to compare
        return f"`decisiongym.agents.soc.policy.learned_scheduler()` failed: {exc}"
    return None


def _learned_factory() -> Callable[[], Any] | None:
    try:
        module = importlib.import_module("decisiongym.agents.soc.policy")
    except ImportError:
        return None
    factory = getattr(module, "learned_scheduler", None)
    return factory if callable(factory) else None



def stream_name(cell: SocCell) -> str:
    """The records' name of a cell's stream (its seed is the record's own column)."""
    return f"ds3/rate={cell.rate:g}/sigma={cell.sigma:g}/jobs={cell.n_jobs}"


def _stream(cell: SocCell) -> tuple[Platform, Workload]:
    from decisiongym.envs.soc.builtin import default_platform
    from decisiongym.envs.soc.workload import ds3_workload

    noise = "gaussian" if cell.sigma > 0 else "none"
    workload = ds3_workload(cell.rate, cell.n_jobs, np.random.default_rng(cell.seed),
                            noise=noise, sigma=cell.sigma)
    return default_platform(), workload


def _simulate(cell: SocCell, platform: Platform, workload: Workload) -> SimulationResult:
    from decisiongym.baselines.soc.online import ONLINE_SCHEDULERS, simulate
    from decisiongym.envs.soc.simulator import SoCSimulator

    warmup = int(WARMUP_SHARE * cell.n_jobs)
    if cell.scheduler == LEARNED and LEARNED not in ONLINE_SCHEDULERS:
        factory = _learned_factory()
        if factory is None:
            raise ValueError("no learned scheduler: decisiongym.agents.soc.policy is missing")
        # learned_scheduler() returns what an ONLINE_SCHEDULERS entry holds: a function that
        # drives a simulator over its whole workload and returns the SimulationResult
        run = factory()
        return run(SoCSimulator(platform, workload, warmup_jobs=warmup))
    return simulate(platform, workload, cell.scheduler, seed=cell.seed, warmup_jobs=warmup)


def _accepted(check: Callable[[], Any]) -> bool:
    """Whether ``validate`` (wrapped in ``check``) accepts an answer."""
    from decisiongym.envs.core.errors import ValidationError

    try:
        check()
    except ValidationError:
        return False
    return True


def warm_cell(cell: SocCell) -> None:
    """Pay the first call's cost of the cell's scheduler on a tiny stream of the same kind,
    once per process."""
    from decisiongym.bench.warmup import warm_once

    tiny = replace(cell, seed=0, n_jobs=4)
    warm_once(("soc", "grid stream", cell.scheduler, cell.sigma > 0),
              lambda: _simulate(tiny, *_stream(tiny)))


def run_cell(cell: SocCell) -> Record:
    """The record of a streaming run: the mean latency as its objective, the other metrics in
    ``extra``; its trace validated against the stream's arrivals and noisy durations."""
    from decisiongym.envs.soc.solution import validate

    t0, c0 = time.perf_counter(), time.process_time()
    platform, workload = _stream(cell)
    result = _simulate(cell, platform, workload)
    wall_s, cpu_s = time.perf_counter() - t0, time.process_time() - c0
    valid = _accepted(lambda: validate(platform, workload.applications, result.trace,
                                       result.job_app, result.arrival,
                                       durations=result.durations))
    arrivals = np.sort(result.arrival[result.measured])
    span_ms = (arrivals[-1] - arrivals[0]) / 1000.0 if arrivals.size > 1 else 0.0
    return Record(
        family=FAMILY, method=cell.scheduler, instance=stream_name(cell), seed=cell.seed,
        objective=float(result.latency_mean_us), objective_name="latency_mean_us", sense="min",
        status="FEASIBLE", valid=valid, wall_s=wall_s, cpu_s=cpu_s,
        extra={
            "rate": cell.rate,
            "sigma": cell.sigma,
            "n_jobs": cell.n_jobs,
            "latency_p95_us": float(result.latency_p95_us),
            "throughput": float(result.throughput_jobs_per_ms),
            # the realised arrival rate of the measured jobs: a short Poisson stream's differs
            # from the nominal rate by several percent, too much for a 95 % throughput test
            "offered": (arrivals.size - 1) / span_ms if span_ms > 0 else float(cell.rate),
            "energy_j": float(result.energy_j),
            "edp": float(result.edp_j_s),
            "completed": int(result.completed_jobs),
        },
    )


def stream_cells(schedulers: Sequence[str], rates: Sequence[float], sigmas: Sequence[float],
                 seeds: int, n_jobs: int) -> list[SocCell]:
    """The streaming grid; HEFT_RT stops at :data:`HEFT_RT_MAX_RATE` (see there)."""
    return [SocCell(s, float(r), float(sigma), seed, n_jobs)
            for s in schedulers for sigma in sigmas for r in rates for seed in range(seeds)
            if not (s == "heft-rt" and r > HEFT_RT_MAX_RATE)]


def dag_cells(count: int = 10, time_limit: float = 5.0) -> list[DagCell]:
    """Every method of :data:`DAG_METHODS` on small random DAGs (10-12 tasks) on 3 or 4 PEs of
    3 types, where CP-SAT can often prove optimality within the time limit."""
    return [DagCell(i, 3 + i % 2, 3, (10, 12), time_limit, method)
            for i in range(count) for method in DAG_METHODS]



def _dag(cell: DagCell) -> tuple[Platform, TaskGraph]:
    from decisiongym.envs.soc.generator import RandomDAGGenerator, random_platform

    platform = random_platform(cell.n_pes, cell.n_types, cell.index)
    generator = RandomDAGGenerator(n_tasks=cell.n_tasks, type_names=platform.type_names,
                                   name=f"dag{cell.index}")
    return platform, generator.sample(cell.index)


def warm_dag_cell(cell: DagCell) -> None:
    """Pay the first call's cost of the cell's method on Topcuoglu's DAG, once per process."""
    from decisiongym.bench.soc.warmup import warm_static

    warm_static(cell.method)


def run_dag_cell(cell: DagCell) -> Record:
    """The record of one method on one DAG (:func:`decisiongym.bench.soc.solve.solve_dag`,
    which validates the schedule against the graph): CP-SAT gets one worker and seed 0, so it
    is deterministic, and its bound and its gap to it are kept."""
    from decisiongym.bench.soc.solve import solve_dag
    from decisiongym.envs.soc.solution import DagProblem

    platform, graph = _dag(cell)
    record = solve_dag(DagProblem(platform, graph), cell.method, time_limit=cell.time_limit,
                       workers=1, seed=0)
    return replace(record, solution=None,
                   extra={"dag": cell.index, "n_tasks": graph.n_tasks, "n_edges": graph.n_edges,
                          "n_pes": cell.n_pes})


def run_benchmark(
    seeds: int = 10,
    rates: Sequence[float] | None = None,
    n_jobs: int | None = None,
    quick: bool = False,
    processes: int = 2,
    out_dir: str | Path = "benchmarks/results",
    command: str = "decisiongym bench soc",
    backend: str = "local",
    address: str | None = None,
    speed: bool = True,
) -> Path:
    """Run the grid, write ``soc.csv``, ``soc_dags.csv``, ``soc_speed.csv`` (with ``speed``),
    ``soc_ds3.csv`` (the DS3-mode sweep, :mod:`decisiongym.bench.soc.ds3_mode`),
    ``soc_latency.png`` and ``soc.md`` (rendered from the CSV files) into ``out_dir``; return
    the markdown path.

    :param seeds: seeds per (scheduler, rate, sigma); at most 2 with ``quick``.
    :param rates: injection rates in jobs/ms (:data:`DEFAULT_RATES`, or
        :data:`QUICK_RATES` with ``quick``).
    :param n_jobs: jobs per stream (:data:`DEFAULT_JOBS`, or :data:`QUICK_JOBS` with ``quick``).
    :param quick: a smoke run: few seeds, rates and jobs, 3 DAGs with a 2 s limit.
    :param processes: local worker processes.
    :param out_dir: folder of the results files.
    :param command: the command line written in the markdown header.
    :param backend: ``"local"`` or ``"ray"``.
    :param address: Ray cluster address.
    :param speed: measure the speed table.
    """
    import pandas as pd

    from decisiongym.bench.record import read_frame, write_records
    from decisiongym.bench.runner import run_grid
    from decisiongym.bench.soc.ds3_mode import run_ds3_sweep
    from decisiongym.bench.soc.report import plot_latency, render

    if quick:
        seeds = min(seeds, 2)
    chosen_rates = tuple(rates or (QUICK_RATES if quick else DEFAULT_RATES))
    jobs = n_jobs or (QUICK_JOBS if quick else DEFAULT_JOBS)
    out = check_output_folder(out_dir)
    missing = learned_unavailable()
    schedulers = HEURISTICS + (() if missing else (LEARNED,))
    cells = stream_cells(schedulers, chosen_rates, SIGMAS, seeds, jobs)
    records = run_grid(cells, run_cell,
                       lambda c: f"{c.scheduler} {c.rate:g}/ms sigma {c.sigma:g}",
                       backend=backend, processes=processes, address=address, title=FAMILY,
                       warm_up=warm_cell)
    dags = dag_cells(3, 2.0) if quick else dag_cells()
    dag_records = run_grid(dags, run_dag_cell, lambda c: f"dag {c.index} {c.method}",
                           backend=backend, processes=processes, address=address,
                           title=f"{FAMILY} dags", warm_up=warm_dag_cell)
    # DS3's schedulers in the ds3 mode: a few seconds in this process, no grid needed
    ds3 = run_ds3_sweep(quick=quick)
    # the folder is made only now, with something to write, and the files land together
    with staged_folder(out) as staging:
        write_records(records, staging / "soc.csv")
        write_records(dag_records, staging / "soc_dags.csv")
        results = read_frame(staging / "soc.csv")
        dag_results = read_frame(staging / "soc_dags.csv")
        speed_records = measure_speed() if speed else []
        if speed_records:
            write_frame_atomic(pd.DataFrame.from_records(speed_records),
                               staging / "soc_speed.csv", index=False)
        write_frame_atomic(ds3, staging / "soc_ds3.csv", index=False)
        plot = plot_latency(results, staging / "soc_latency.png")
        markdown = render(results, dag_results, speed_records, command, plot.name,
                          {"seeds": seeds, "n_jobs": jobs, "rates": chosen_rates,
                           "learned_missing": missing}, ds3=ds3)
        write_text_atomic(markdown, staging / "soc.md")
    return out / "soc.md"


def remeasure_speed(out_dir: str | Path = "benchmarks/results",
                    command: str = "decisiongym bench soc --speed-only") -> Path:
    """Measure the speed table again and re-render ``soc.md`` from the stream and DAG records
    already in ``out_dir`` (``soc.csv``, ``soc_dags.csv``), which are not rerun: the speed
    table is the only part that changes when the code gets faster. The header names both
    runs.

    :raises FileNotFoundError: when the records of a full run are not in ``out_dir``.
    :raises ValueError: when they were written by an older version (see
        :func:`~decisiongym.bench.record.read_frame`).
    """
    import pandas as pd

    from decisiongym.bench.record import read_frame
    from decisiongym.bench.soc.report import plot_latency, render

    out = Path(out_dir)
    missing = [name for name in ("soc.csv", "soc_dags.csv", "soc.md")
               if not (out / name).is_file()]
    if missing:
        raise FileNotFoundError(f"{out}: no {', '.join(missing)}; run `decisiongym bench soc` "
                                "first (--speed-only re-renders a full run's records)")
    first_line = next((line for line in (out / "soc.md").read_text().splitlines()
                       if line.startswith("Written by `")), "")
    original = first_line.split("`")[1] if first_line.count("`") >= 2 else "decisiongym bench soc"
    results, dag_results = read_frame(out / "soc.csv"), read_frame(out / "soc_dags.csv")
    # a run from before the DS3-mode table has no soc_ds3.csv: its section is left out
    ds3 = pd.read_csv(out / "soc_ds3.csv") if (out / "soc_ds3.csv").is_file() else None
    speed_records = measure_speed()
    with staged_folder(out) as staging:
        write_frame_atomic(pd.DataFrame.from_records(speed_records), staging / "soc_speed.csv",
                           index=False)
        plot = plot_latency(results, staging / "soc_latency.png")
        rates = tuple(sorted(float(r) for r in results["rate"].unique()))
        setup = {"seeds": int(results["seed"].nunique()),
                 "n_jobs": int(results["n_jobs"].iloc[0]), "rates": rates,
                 "learned_missing": None if LEARNED in set(results["method"])
                 else "no learned scheduler in the records"}
        markdown = render(results, dag_results, speed_records, command, plot.name, setup,
                          ds3=ds3)
        note = (f"Streams and single DAGs: the records of `{original}` (soc.csv, "
                "soc_dags.csv, soc_ds3.csv); the speed table below was measured again by this "
                "command.")
        lines = markdown.splitlines()
        at = next(i for i, line in enumerate(lines) if line.startswith("Streams:"))
        lines[at:at] = [note, ""]
        write_text_atomic("\n".join(lines) + ("\n" if markdown.endswith("\n") else ""),
                          staging / "soc.md")
    return out / "soc.md"

