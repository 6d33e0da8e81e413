"""One application DAG on one platform, scheduled by one static method and validated: what
``decisiongym solve soc`` asks and what each single-DAG cell of the benchmark runs."""

from __future__ import annotations

import time
from typing import Any

from decisiongym.bench.record import Record
from decisiongym.bench.soc.warmup import warm_static
from decisiongym.envs.core.errors import InputError, ValidationError
from decisiongym.envs.soc.ids import STATIC_METHODS
from decisiongym.envs.soc.solution import DagProblem, Trace, validate_dag


def solve_dag(problem: DagProblem, method: str, *, time_limit: float = 10.0, workers: int = 2,
              seed: int = 0) -> Record:
    """Schedule one DAG with a static method and re-check the schedule from the problem alone.

    The record's objective is the makespan in µs (``None`` when CP-SAT found nothing), its bound
    CP-SAT's lower bound and its gap the makespan's excess over that bound, in percent; its
    ``solution`` is the trace. The method runs once on Topcuoglu's DAG first, so the times are
    this DAG's alone; what that first run cost (numba compiling) is ``extra["compile_s"]``.

    :param problem: the DAG and its platform
        (:func:`decisiongym.envs.soc.builtin.load_dag_problem`).
    :param method: ``heft``, ``peft``, ``cpop`` or ``cpsat``.
    :param time_limit: CP-SAT's time limit in seconds.
    :param workers: CP-SAT's search workers.
    :param seed: CP-SAT's seed.
    :raises InputError: for an unknown method.
    """
    platform, graph = problem.platform, problem.graph
    if method not in STATIC_METHODS:
        raise InputError(f"unknown static method {method!r}; choose one of "
                         f"{', '.join(STATIC_METHODS)}", "method")
    compile_s = warm_static(method)
    bound = None
    c0 = time.process_time()
    if method == "cpsat":
        from decisiongym.baselines.soc.cpsat import solve_dag_cpsat

        exact = solve_dag_cpsat(graph, platform, time_limit=time_limit, workers=workers,
                                seed=seed)
        trace, makespan, bound, status, wall_s = exact
    else:
        from decisiongym.baselines.soc.list_scheduling import SCHEDULERS

        scheduled = SCHEDULERS[method](graph, platform)
        trace, makespan, status, wall_s = (scheduled.trace, scheduled.makespan, "FEASIBLE",
                                           scheduled.wall_s)
    cpu_s = time.process_time() - c0
    gap = (100.0 * (makespan - bound) / bound
           if makespan is not None and bound is not None and bound > 0 else None)
    return Record(
        family="soc", method=method, instance=graph.name, seed=seed,
        budget=time_limit if method == "cpsat" else None, objective=makespan,
        objective_name="makespan_us", sense="min", bound=bound, gap=gap, status=status,
        valid=_accepted(problem, trace), wall_s=wall_s, cpu_s=cpu_s,
        extra={"platform": platform.name, "compile_s": compile_s}, solution=trace,
    )


def dag_json(problem: DagProblem, record: Record) -> dict[str, Any]:
    """A :func:`solve_dag` record as ``decisiongym solve soc --json`` prints it."""
    graph, platform = problem.graph, problem.platform
    rows = None
    if record.solution is not None:
        rows = [{key: row[key] for key in ("task", "task_name", "pe", "pe_name", "start",
                                            "finish")}
                for row in record.solution.to_records(graph, platform)]
    return {"dag": graph.name, "platform": platform.name, "method": record.method,
            "makespan": record.objective, "bound": record.bound, "status": record.status,
            "wall_s": round(record.wall_s, 6), "compile_s": record.extra.get("compile_s"),
            "valid": record.valid, "trace": rows}


def _accepted(problem: DagProblem, trace: Trace | None) -> bool:
    if trace is None:
        return False
    try:
        validate_dag(problem, trace)
    except ValidationError:
        return False
    return True
