"""Job-shop methods by name, and the benchmark grid: instances x methods x schemes.

Every method returns a :class:`Schedule`, carried by a :class:`Record` that says whether the
independent ``validate`` accepted it.

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
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from decisiongym.baselines.jobshop.dispatching import best_rule, solve_rule
from decisiongym.bench.record import Record
from decisiongym.envs.core.errors import InputError, ValidationError
from decisiongym.envs.core.files import (
    check_output_folder,
    staged_folder,
    write_frame_atomic,
    write_text_atomic,
)
from decisiongym.envs.jobshop.bounds import Bounds, read_bounds
from decisiongym.envs.jobshop.catalog import load_instance
from decisiongym.envs.jobshop.ids import DEFAULT_SCHEME, METHODS, RULE_NAMES, SCHEME_NAMES
from decisiongym.envs.jobshop.instance import JobShopInstance
from decisiongym.envs.jobshop.solution import Schedule, validate

# Instances with at least this many jobs (ta51-ta80) also get best-of-N and time-matched
# CP-SAT: there CP-SAT's search is far from optimal in seconds, so sampling has a chance.
LARGE_JOBS = 50
DEFAULT_SAMPLES = 32
FAMILY = "jobshop"
OBJECTIVE = "makespan"


def _check(instance: JobShopInstance, schedule: Schedule | None) -> bool:
    if schedule is None:
        return False
    try:
        validate(instance, schedule)
    except ValidationError:
        return False
    return True


def _record(instance: JobShopInstance, method: str, scheme: str | None, seed: int,
            makespan: int | None, schedule: Schedule | None, wall_s: float, cpu_s: float,
            status: str = "FEASIBLE", bound: int | None = None, budget: float | None = None,
            **extra: Any) -> Record:
    """The record of one solve, validated against ``instance`` and with its gap to the
    instance's best-known upper bound."""
    ub = instance.upper_bound
    gap = None if ub is None or makespan is None else 100.0 * (makespan - ub) / ub
    return Record(family=FAMILY, method=method, instance=instance.name, seed=seed,
                  budget=budget, objective=makespan, objective_name=OBJECTIVE, sense="min",
                  bound=bound, gap=gap, status=status, valid=_check(instance, schedule),
                  wall_s=wall_s, cpu_s=cpu_s, extra={"scheme": scheme, **extra},
                  solution=schedule)


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
) -> Record:
    """Solve one instance with a method named as on the command line.

    The record carries the schedule as its ``solution``, its gap to the instance's best-known
    upper bound and the method's scheme in ``extra["scheme"]`` (None for CP-SAT).

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
        return _record(instance, method, scheme, seed, result.makespan, result.schedule, wall,
                       cpu)
    if method == "cpsat":
        from decisiongym.baselines.jobshop.cpsat import solve_cpsat

        cp = solve_cpsat(instance, time_limit=time_limit, workers=workers, seed=seed,
                         warm_start=warm_start, on_solution=on_solution)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        return _record(instance, method, None, seed, cp.makespan, cp.schedule, wall, cpu,
                       cp.status, cp.bound, time_limit, workers=workers)
    raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")


def _solve_learned(instance: JobShopInstance, samples: int,
                   checkpoint: str | os.PathLike[str] | None, seed: int) -> Record:
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
    return _record(instance, "learned", network.config.scheme, seed, result.makespan,
                   result.schedule, wall, cpu, samples=result.samples,
                   temperature=result.temperature, checkpoint=str(path))


def solve_json(record: Record) -> dict[str, Any]:
    """The object ``decisiongym solve jobshop --json`` prints for a :func:`solve_jobshop`
    record: its makespan and bounds, costs, status, the method's settings and the schedule."""
    extra = {key: value for key, value in record.extra.items() if key != "scheme"}
    settings = {} if record.budget is None else {"time_limit": record.budget}
    schedule = record.solution
    return {
        "instance": record.instance,
        "method": record.method,
        "scheme": record.extra.get("scheme"),
        "makespan": record.objective,
        "bound": record.bound,
        "wall_s": round(record.wall_s, 6),
        "cpu_s": round(record.cpu_s, 6),
        "valid": record.valid,
        "status": record.status,
        "seed": record.seed,
        **settings,
        **extra,
        "schedule": schedule.to_records() if schedule is not None else None,
    }


# -- the benchmark grid ---------------------------------------------------------------------------
@dataclass(frozen=True)
class JobShopCell:
    """One benchmark run.

    :param method: a rule, ``cpsat``, ``cpsat-warm`` (from the best rule), ``cpsat-matched``
        (``time_limit`` is then the wall time of the learned run it is matched with) or
        ``learned``.
    :param instance: a built-in name or an instance file.
    :param samples: the learned rule's rollouts (1: greedy).
    :param checkpoint: the learned rule's network file.
    :param bounds: ``(lower, upper)`` best-known bounds that replace the instance's own (from
        a bounds file), ``None`` to keep them.
    """

    instance: str
    method: str
    scheme: str | None
    time_limit: float
    workers: int
    seed: int
    samples: int = 1
    checkpoint: str | None = None
    bounds: tuple[int | None, int | None] | None = None


def learned_method(samples: int) -> str:
    """The records' name of the learned rule run with ``samples`` rollouts."""
    return "learned" if samples == 1 else f"learned-{samples}"


def describe(cell: JobShopCell) -> str:
    if cell.method == "learned":
        return f"{cell.instance} {learned_method(cell.samples)}"
    return f"{cell.instance} {cell.method}" + (f" {cell.scheme}" if cell.scheme else "")


def grid(instances: Sequence[str], time_limit: float, workers: int, seed: int,
         warm: bool = True, cpsat_instances: Sequence[str] | None = None,
         checkpoint: str | None = None, samples: int = DEFAULT_SAMPLES,
         bounds: Bounds | None = None) -> list[JobShopCell]:
    """Every rule under every scheme; CP-SAT and CP-SAT warm-started from the best rule on
    ``cpsat_instances`` (default: all); with a ``checkpoint``, the learned rule greedy on every
    instance and best of ``samples`` on those with :data:`LARGE_JOBS` jobs or more.

    The time-matched CP-SAT cells need the best-of-N wall times: :func:`matched_cells` makes
    them from the records of these.

    :param instances: built-in names or instance files.
    :param cpsat_instances: names (or files) among ``instances``.
    :param bounds: best-known bounds by instance name, replacing the instances' own.
    :raises InputError: when two instances share a name, or a CP-SAT instance is not among
        ``instances``.
    """
    loaded = {source: load_instance(source) for source in instances}
    seen: dict[str, str] = {}
    for source, instance in loaded.items():
        if instance.name in seen:
            raise InputError(f"{seen[instance.name]} and {source} are both named "
                             f"{instance.name!r}: the records could not tell them apart")
        seen[instance.name] = source
    names = set(seen)
    cpsat_names = names if cpsat_instances is None else {
        token if token in names else load_instance(token).name for token in cpsat_instances}
    if cpsat_names - names:
        raise InputError("the CP-SAT instances must be among the benchmark's instances; "
                         f"{', '.join(sorted(cpsat_names - names))} are not")
    cells = []
    for name, instance in loaded.items():
        known = (bounds or {}).get(instance.name)
        for scheme in SCHEME_NAMES:
            for rule in RULE_NAMES:
                cells.append(JobShopCell(name, rule, scheme, time_limit, workers, seed,
                                         bounds=known))
        if checkpoint is not None:
            cells.append(JobShopCell(name, "learned", None, time_limit, workers, seed, 1,
                                     checkpoint, known))
            if samples > 1 and instance.n_jobs >= LARGE_JOBS:
                cells.append(JobShopCell(name, "learned", None, time_limit, workers, seed,
                                         samples, checkpoint, known))
        if instance.name in cpsat_names:
            cells.append(JobShopCell(name, "cpsat", None, time_limit, workers, seed,
                                     bounds=known))
            if warm:
                cells.append(JobShopCell(name, "cpsat-warm", None, time_limit, workers, seed,
                                         bounds=known))
    return cells


def matched_cells(records: Sequence[Record],
                  sources: dict[str, str] | None = None) -> list[JobShopCell]:
    """CP-SAT on each instance a best-of-N record ran on, with that record's wall time as its
    limit and as many workers as the learned run had cores (one).

    :param sources: instance name -> the name or file it was loaded from, where they differ
        (the records hold names only).
    """
    return [JobShopCell((sources or {}).get(r.instance, r.instance), "cpsat-matched",
                        None, float(r.wall_s), int(r.extra["workers"]), int(r.seed),
                        bounds=(r.extra.get("lb"), r.extra["ub"]) if "ub" in r.extra else None)
            for r in records if r.method.startswith("learned-")]


def warm_cell(cell: JobShopCell) -> None:
    """Pay the first call's cost of the cell's method on ft06, once per process."""
    from decisiongym.bench.jobshop.warmup import warm_method

    warm_method(cell.method, samples=cell.samples, checkpoint=cell.checkpoint)


def run_cell(cell: JobShopCell) -> Record:
    """One benchmark record (its schedule validated here, then dropped); ``extra`` holds the
    instance's size and bounds, the scheme, the workers, the warm start and the learned rule's
    settings."""
    instance = load_instance(cell.instance)
    if cell.bounds is not None:
        lower, upper = cell.bounds
        instance = replace(instance, lower_bound=lower, upper_bound=upper)
    warm: dict[str, Any] = {}
    if cell.method == "cpsat-warm":
        start = best_rule(instance, cell.seed)
        record = solve_jobshop(instance, "cpsat", time_limit=cell.time_limit,
                               workers=cell.workers, seed=cell.seed, warm_start=start.schedule)
        method = "cpsat-warm"
        warm = {"warm_start": f"{start.rule}/{start.scheme}",
                "warm_start_makespan": start.makespan}
    elif cell.method == "cpsat-matched":
        record = solve_jobshop(instance, "cpsat", time_limit=cell.time_limit,
                               workers=cell.workers, seed=cell.seed)
        method = "cpsat-matched"
    elif cell.method == "learned":
        record = solve_jobshop(instance, "learned", workers=cell.workers, seed=cell.seed,
                               samples=cell.samples, checkpoint=cell.checkpoint)
        method = learned_method(cell.samples)
    else:
        record = solve_jobshop(instance, cell.method, cell.scheme or DEFAULT_SCHEME,
                               time_limit=cell.time_limit, workers=cell.workers, seed=cell.seed)
        method = record.method
    uses_workers = method.startswith("cpsat")
    solved = record.extra
    extra = {
        "n_jobs": instance.n_jobs,
        "n_machines": instance.n_machines,
        "lb": instance.lower_bound,
        "ub": instance.upper_bound,
        "scheme": solved["scheme"] or "",
        "workers": cell.workers if uses_workers else 1,
        "warm_start": warm.get("warm_start", ""),
        "warm_start_makespan": warm.get("warm_start_makespan"),
        "samples": solved.get("samples"),
        "temperature": solved.get("temperature"),
        # the file name only: a results file must not carry the paths of the machine it ran on
        "checkpoint": Path(solved["checkpoint"]).name if "checkpoint" in solved else "",
    }
    return replace(record, method=method, budget=cell.time_limit if uses_workers else None,
                   extra=extra, solution=None)


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
    bounds: str | os.PathLike[str] | None = None,
) -> Path:
    """Run the grid and the simulator-speed table; write ``jobshop.csv``, ``jobshop_speed.csv``
    and ``jobshop.md`` (rendered from the CSV) into ``out_dir``; return the markdown path.

    :param cpsat_instances: the instances of the fixed-budget CP-SAT cells (default: all).
    :param checkpoint: the learned rule's network; the shipped one when None, and without a
        shipped one the learned cells are left out (with a note on stderr).
    :param samples: rollouts of the best-of-N cells (1 leaves them and the time-matched
        CP-SAT out).
    :param bounds: a bounds file (:mod:`decisiongym.envs.jobshop.bounds`) whose best-known
        bounds replace the instances' own, for the gaps.
    """
    import pandas as pd

    from decisiongym.bench.jobshop import report as jobshop_report
    from decisiongym.bench.record import read_frame, write_records
    from decisiongym.bench.runner import run_grid

    if samples < 1:
        raise ValueError(f"samples must be >= 1, got {samples}")
    out = check_output_folder(out_dir)
    known = read_bounds(bounds) if bounds is not None else None
    network_file = learned_checkpoint(checkpoint)
    cells = grid(instances, time_limit, workers, seed, warm, cpsat_instances, network_file,
                 samples, known)
    records = run_grid(cells, run_cell, describe, backend=backend, address=address,
                       title=FAMILY, warm_up=warm_cell)
    # run_grid keeps the cells' order: each record's name beside the name or file it came from
    matched = matched_cells(records, {record.instance: cell.instance
                                      for cell, record in zip(cells, records, strict=True)})
    if matched:
        records += run_grid(matched, run_cell, describe, backend=backend, address=address,
                            title=f"{FAMILY} time-matched CP-SAT", warm_up=warm_cell)
        # each instance's records together, in the grid's order
        order = {name: i for i, name in enumerate(dict.fromkeys(r.instance for r in records))}
        records.sort(key=lambda r: order[r.instance])
    # the folder is made only now, with something to write, and the files land together
    with staged_folder(out) as staging:
        write_records(records, staging / "jobshop.csv")
        results = read_frame(staging / "jobshop.csv")
        speed_table = None
        if speed:
            from decisiongym.bench.jobshop.env_speed import measure_all

            speed_table = pd.DataFrame.from_records(measure_all(seconds=speed_seconds,
                                                                seed=seed))
            write_frame_atomic(speed_table, staging / "jobshop_speed.csv", index=False)
        markdown = jobshop_report.render(results, speed_table, command,
                                         None if bounds is None else Path(bounds).name)
        write_text_atomic(markdown, staging / "jobshop.md")
    return out / "jobshop.md"


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
