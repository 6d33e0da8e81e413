"""Job-shop methods by name, and the benchmark grid: instances x methods x schemes.

Every method returns a :class:`Schedule`; every record says whether the independent
``validate`` accepted it.

The learned dispatching rule (``decisiongym.agents.jobshop``) runs greedy on every instance and
best-of-N on the large ones, where CP-SAT is then given exactly the wall time best-of-N took
(``cpsat-matched``): the comparison at equal time and equal cores that says whether the
network is worth running instead of a solver.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from decisiongym.baselines.dispatching import best_rule, solve_rule
from decisiongym.baselines.names import DEFAULT_SCHEME, METHODS, RULE_NAMES, SCHEME_NAMES
from decisiongym.envs.core.errors import ValidationError
from decisiongym.envs.jobshop.instance import JobShopInstance, load_instance
from decisiongym.envs.jobshop.solution import Schedule, validate

# Instances with at least this many jobs (ta51-ta80) also get best-of-N and time-matched
# CP-SAT: there CP-SAT's search is far from optimal in seconds, so sampling has a chance.
LARGE_JOBS = 50
DEFAULT_SAMPLES = 32


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
    samples: int = 1,
    checkpoint: str | os.PathLike[str] | None = None,
) -> SolveRecord:
    """Solve one instance with a method named as on the command line.

    :param method: a dispatching rule (``spt``, ``mwkr``...), ``cpsat`` or ``learned``.
    :param scheme: schedule-generation scheme of the rules (CP-SAT has none; the learned rule
        uses the one its network was trained for).
    :param time_limit: CP-SAT's time limit in seconds.
    :param workers: CP-SAT's workers (the learned rule runs on one core).
    :param seed: seed of the ``random`` rule, of CP-SAT and of the learned rule's sampling.
    :param warm_start: CP-SAT's warm start (see ``solve_cpsat``).
    :param samples: the learned rule's rollouts: 1 is greedy, N the best of N (greedy one of
        them).
    :param checkpoint: the learned rule's network file; the shipped one when None.
    """
    if method == "learned":
        return _solve_learned(instance, samples, checkpoint, seed)
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


def _solve_learned(instance: JobShopInstance, samples: int,
                   checkpoint: str | os.PathLike[str] | None, seed: int) -> SolveRecord:
    from decisiongym.agents.jobshop.inference import rollout
    from decisiongym.agents.jobshop.network import DispatchNetwork, default_checkpoint

    if samples < 1:
        raise ValueError(f"samples must be >= 1, got {samples}")
    path = Path(checkpoint) if checkpoint is not None else default_checkpoint()
    network = DispatchNetwork.load(path)
    # The clock starts after loading: reading the file is paid once, not per instance.
    t0, c0 = time.perf_counter(), time.process_time()
    result = rollout(network, instance, samples=samples, seed=seed)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return SolveRecord(instance.name, "learned", network.config.scheme, result.makespan, None,
                       wall, cpu, _check(instance, result.schedule), "FEASIBLE", seed,
                       result.schedule, {"samples": result.samples,
                                         "temperature": result.temperature,
                                         "checkpoint": str(path)})


# -- the benchmark grid ---------------------------------------------------------------------------
@dataclass(frozen=True)
class JobShopCell:
    """One benchmark run.

    :param method: a rule, ``cpsat``, ``cpsat-warm`` (from the best rule), ``cpsat-matched``
        (``time_limit`` is then the wall time of the learned run it is matched with) or
        ``learned``.
    :param samples: the learned rule's rollouts (1: greedy).
    :param checkpoint: the learned rule's network file.
    """

    instance: str
    method: str
    scheme: str | None
    time_limit: float
    workers: int
    seed: int
    samples: int = 1
    checkpoint: str | None = None


def learned_method(samples: int) -> str:
    """The records' name of the learned rule run with ``samples`` rollouts."""
    return "learned" if samples == 1 else f"learned-{samples}"


def describe(cell: JobShopCell) -> str:
    if cell.method == "learned":
        return f"{cell.instance} {learned_method(cell.samples)}"
    return f"{cell.instance} {cell.method}" + (f" {cell.scheme}" if cell.scheme else "")


def grid(instances: Sequence[str], time_limit: float, workers: int, seed: int,
         warm: bool = True, cpsat_instances: Sequence[str] | None = None,
         checkpoint: str | None = None, samples: int = DEFAULT_SAMPLES) -> list[JobShopCell]:
    """Every rule under every scheme; CP-SAT and CP-SAT warm-started from the best rule on
    ``cpsat_instances`` (default: all); with a ``checkpoint``, the learned rule greedy on every
    instance and best of ``samples`` on those with :data:`LARGE_JOBS` jobs or more.

    The time-matched CP-SAT cells need the best-of-N wall times: :func:`matched_cells` makes
    them from the records of these.
    """
    loaded = {name: load_instance(name) for name in instances}
    names = {instance.name for instance in loaded.values()}
    cpsat_names = names if cpsat_instances is None else {
        load_instance(name).name for name in cpsat_instances}
    if cpsat_names - names:
        raise ValueError("the CP-SAT instances must be among the benchmark's instances; "
                         f"{', '.join(sorted(cpsat_names - names))} are not")
    cells = []
    for name, instance in loaded.items():
        for scheme in SCHEME_NAMES:
            for rule in RULE_NAMES:
                cells.append(JobShopCell(name, rule, scheme, time_limit, workers, seed))
        if checkpoint is not None:
            cells.append(JobShopCell(name, "learned", None, time_limit, workers, seed, 1,
                                     checkpoint))
            if samples > 1 and instance.n_jobs >= LARGE_JOBS:
                cells.append(JobShopCell(name, "learned", None, time_limit, workers, seed,
                                         samples, checkpoint))
        if instance.name in cpsat_names:
            cells.append(JobShopCell(name, "cpsat", None, time_limit, workers, seed))
            if warm:
                cells.append(JobShopCell(name, "cpsat-warm", None, time_limit, workers, seed))
    return cells


def matched_cells(records: Sequence[dict[str, Any]]) -> list[JobShopCell]:
    """CP-SAT on each instance a best-of-N record ran on, with that record's wall time as its
    limit and as many workers as the learned run had cores (one)."""
    return [JobShopCell(r["instance"], "cpsat-matched", None, float(r["wall_s"]),
                        int(r["workers"]), int(r["seed"]))
            for r in records if str(r["method"]).startswith("learned-")]


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
    elif cell.method == "cpsat-matched":
        record = solve_jobshop(instance, "cpsat", time_limit=cell.time_limit,
                               workers=cell.workers, seed=cell.seed)
        record.method = "cpsat-matched"
    elif cell.method == "learned":
        record = solve_jobshop(instance, "learned", workers=cell.workers, seed=cell.seed,
                               samples=cell.samples, checkpoint=cell.checkpoint)
        record.method = learned_method(cell.samples)
    else:
        record = solve_jobshop(instance, cell.method, cell.scheme or DEFAULT_SCHEME,
                               time_limit=cell.time_limit, workers=cell.workers, seed=cell.seed)
    uses_workers = record.method.startswith("cpsat")
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
        "workers": cell.workers if uses_workers else 1,
        "makespan": record.makespan,
        "bound": record.bound,
        "gap_pct": gap,
        "wall_s": record.wall_s,
        "cpu_s": record.cpu_s,
        "valid": record.valid,
        "status": record.status,
        "warm_start": extra.get("warm_start", ""),
        "warm_start_makespan": extra.get("warm_start_makespan"),
        "samples": record.extra.get("samples"),
        "temperature": record.extra.get("temperature"),
        # the file name only: a results file must not carry the paths of the machine it ran on
        "checkpoint": Path(record.extra["checkpoint"]).name if "checkpoint" in record.extra
        else "",
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
    cpsat_instances: Sequence[str] | None = None,
    checkpoint: str | os.PathLike[str] | None = None,
    samples: int = DEFAULT_SAMPLES,
) -> Path:
    """Run the grid and the simulator-speed table; write ``jobshop.csv``, ``jobshop_speed.csv``
    and ``jobshop.md`` into ``out_dir``; return the markdown path.

    :param cpsat_instances: the instances of the fixed-budget CP-SAT cells (default: all).
    :param checkpoint: the learned rule's network; the shipped one when None, and without a
        shipped one the learned cells are left out (with a note on stderr).
    :param samples: rollouts of the best-of-N cells (1 leaves them and the time-matched
        CP-SAT out).
    """
    import pandas as pd

    from decisiongym.bench import jobshop_report
    from decisiongym.bench.runner import run_grid

    if samples < 1:
        raise ValueError(f"samples must be >= 1, got {samples}")
    network_file = learned_checkpoint(checkpoint)
    cells = grid(instances, time_limit, workers, seed, warm, cpsat_instances, network_file,
                 samples)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    records = run_grid(cells, run_cell, describe, backend=backend, address=address,
                       title="job shop")
    matched = matched_cells(records)
    if matched:
        records += run_grid(matched, run_cell, describe, backend=backend, address=address,
                            title="time-matched CP-SAT")
        # each instance's records together, in the grid's order
        order = {name: i for i, name in enumerate(dict.fromkeys(r["instance"] for r in records))}
        records.sort(key=lambda r: order[r["instance"]])
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


def learned_checkpoint(checkpoint: str | os.PathLike[str] | None) -> str | None:
    """The network file the learned cells use, checked by loading it once; None (and a note on
    stderr) when none is given and none is shipped.

    The one rollout on ft06 also pays numba's and torch's start-up, so that no instance's wall
    time carries it.

    :raises FileNotFoundError: for a given file that does not exist.
    :raises ValueError: for a file that is not a dispatching checkpoint.
    """
    from decisiongym.agents.jobshop.network import default_checkpoint

    if checkpoint is None and not default_checkpoint().is_file():
        print(f"note: no learned dispatching rule at {default_checkpoint()}; the learned cells "
              "are left out (pass --checkpoint FILE to benchmark one)", file=sys.stderr)
        return None
    path = str(checkpoint if checkpoint is not None else default_checkpoint())
    solve_jobshop(load_instance("ft06"), "learned", checkpoint=path)
    return path
