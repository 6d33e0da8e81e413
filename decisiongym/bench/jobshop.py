"""Job-shop methods by name, and the benchmark grid: instances x methods x schemes.

Every method returns a :class:`Schedule`; every record says whether the independent
``validate`` accepted it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from decisiongym.baselines.dispatching import (
    DEFAULT_SCHEME,
    RULE_NAMES,
    SCHEME_NAMES,
    best_rule,
    solve_rule,
)
from decisiongym.envs.core.errors import ValidationError
from decisiongym.envs.jobshop.instance import JobShopInstance, load_instance
from decisiongym.envs.jobshop.solution import Schedule, validate

METHODS: tuple[str, ...] = RULE_NAMES + ("cpsat",)


@dataclass
class SolveRecord:
    """One method's answer on one instance, as printed by ``decisiongym solve --json``."""

    instance: str
    method: str
    scheme: str | None
    makespan: int | None
    bound: int | None
    wall_s: float
    cpu_s: float
    valid: bool
    status: str
    seed: int
    schedule: Schedule | None = field(default=None, repr=False)
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        record = {
            "instance": self.instance,
            "method": self.method,
            "scheme": self.scheme,
            "makespan": self.makespan,
            "bound": self.bound,
            "wall_s": round(self.wall_s, 6),
            "cpu_s": round(self.cpu_s, 6),
            "valid": self.valid,
            "status": self.status,
            "seed": self.seed,
            **self.extra,
            "schedule": self.schedule.to_records() if self.schedule is not None else None,
        }
        return record


def _check(instance: JobShopInstance, schedule: Schedule | None) -> bool:
    if schedule is None:
        return False
    try:
        validate(instance, schedule)
    except ValidationError:
        return False
    return True


def solve_jobshop(
    instance: JobShopInstance,
    method: str,
    scheme: str = DEFAULT_SCHEME,
    time_limit: float = 10.0,
    workers: int = 2,
    seed: int = 0,
    warm_start: Schedule | None = None,
    on_solution: Callable[[float, float, float], None] | None = None,
) -> SolveRecord:
    """Solve one instance with a method named as on the command line.

    :param method: a dispatching rule (``spt``, ``mwkr``...) or ``cpsat``.
    :param scheme: schedule-generation scheme of the rules (CP-SAT has none).
    :param time_limit: CP-SAT's time limit in seconds.
    :param workers: CP-SAT's workers.
    :param seed: seed of the ``random`` rule and of CP-SAT.
    :param warm_start: CP-SAT's warm start (see ``solve_cpsat``).
    """
    t0, c0 = time.perf_counter(), time.process_time()
    if method in RULE_NAMES:
        result = solve_rule(instance, method, scheme, seed)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        return SolveRecord(instance.name, method, scheme, result.makespan, None, wall, cpu,
                           _check(instance, result.schedule), "FEASIBLE", seed, result.schedule)
    if method == "cpsat":
        from decisiongym.baselines.cpsat import solve_cpsat

        cp = solve_cpsat(instance, time_limit=time_limit, workers=workers, seed=seed,
                         warm_start=warm_start, on_solution=on_solution)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        return SolveRecord(instance.name, method, None, cp.makespan, cp.bound, wall, cpu,
                           _check(instance, cp.schedule), cp.status, seed, cp.schedule,
                           {"time_limit": time_limit, "workers": workers})
    raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")


# -- the benchmark grid ---------------------------------------------------------------------------
@dataclass(frozen=True)
class JobShopCell:
    instance: str
    method: str
    scheme: str | None
    time_limit: float
    workers: int
    seed: int


def describe(cell: JobShopCell) -> str:
    return f"{cell.instance} {cell.method}" + (f" {cell.scheme}" if cell.scheme else "")


def grid(instances: Sequence[str], time_limit: float, workers: int, seed: int,
         warm: bool = True) -> list[JobShopCell]:
    """Every rule under every scheme, CP-SAT, and CP-SAT warm-started from the best rule."""
    cells = []
    for name in instances:
        for scheme in SCHEME_NAMES:
            for rule in RULE_NAMES:
                cells.append(JobShopCell(name, rule, scheme, time_limit, workers, seed))
        cells.append(JobShopCell(name, "cpsat", None, time_limit, workers, seed))
        if warm:
            cells.append(JobShopCell(name, "cpsat-warm", None, time_limit, workers, seed))
    return cells


def run_cell(cell: JobShopCell) -> dict[str, Any]:
    """One flat benchmark record (no schedule: it is validated here, then dropped)."""
    instance = load_instance(cell.instance)
    extra: dict[str, Any] = {}
    if cell.method == "cpsat-warm":
        start = best_rule(instance, cell.seed)
        record = solve_jobshop(instance, "cpsat", time_limit=cell.time_limit,
                               workers=cell.workers, seed=cell.seed, warm_start=start.schedule)
        record.method = "cpsat-warm"
        extra = {"warm_start": f"{start.rule}/{start.scheme}",
                 "warm_start_makespan": start.makespan}
    else:
        record = solve_jobshop(instance, cell.method, cell.scheme or DEFAULT_SCHEME,
                               time_limit=cell.time_limit, workers=cell.workers, seed=cell.seed)
    ub = instance.upper_bound
    gap = None if ub is None or record.makespan is None else 100.0 * (record.makespan - ub) / ub
    return {
        "instance": instance.name,
        "n_jobs": instance.n_jobs,
        "n_machines": instance.n_machines,
        "lb": instance.lower_bound,
        "ub": ub,
        "method": record.method,
        "scheme": record.scheme or "",
        "seed": cell.seed,
        "budget_s": cell.time_limit if record.method.startswith("cpsat") else None,
        "workers": cell.workers if record.method.startswith("cpsat") else 1,
        "makespan": record.makespan,
        "bound": record.bound,
        "gap_pct": gap,
        "wall_s": record.wall_s,
        "cpu_s": record.cpu_s,
        "valid": record.valid,
        "status": record.status,
        "warm_start": extra.get("warm_start", ""),
        "warm_start_makespan": extra.get("warm_start_makespan"),
    }


def run_benchmark(
    instances: Sequence[str],
    time_limit: float = 10.0,
    workers: int = 2,
    seed: int = 0,
    out_dir: str | Path = "benchmarks/results",
    command: str = "decisiongym bench jobshop",
    backend: str = "local",
    address: str | None = None,
    speed: bool = True,
    speed_seconds: float = 3.0,
    warm: bool = True,
) -> Path:
    """Run the grid and the simulator-speed table; write ``jobshop.csv``, ``jobshop_speed.csv``
    and ``jobshop.md`` into ``out_dir``; return the markdown path."""
    import pandas as pd

    from decisiongym.bench import jobshop_report
    from decisiongym.bench.runner import run_grid

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cells = grid(instances, time_limit, workers, seed, warm)
    records = run_grid(cells, run_cell, describe, backend=backend, address=address,
                       title="job shop")
    results = pd.DataFrame.from_records(records)
    results.to_csv(out / "jobshop.csv", index=False)
    speed_table = None
    if speed:
        from decisiongym.bench.env_speed import measure_all

        speed_table = pd.DataFrame.from_records(measure_all(seconds=speed_seconds, seed=seed))
        speed_table.to_csv(out / "jobshop_speed.csv", index=False)
    markdown = jobshop_report.render(results, speed_table, command)
    path = out / "jobshop.md"
    path.write_text(markdown)
    return path
