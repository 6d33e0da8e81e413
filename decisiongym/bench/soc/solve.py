"""One application DAG on one platform, scheduled by one static method and validated, as
``decisiongym solve soc`` asks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from decisiongym.envs.core.errors import ValidationError
from decisiongym.envs.soc.ids import STATIC_METHODS
from decisiongym.envs.soc.solution import DagProblem, Trace, validate_dag


@dataclass(frozen=True)
class DagSolveRecord:
    """A static scheduler's answer on one DAG.

    :param problem: the DAG and its platform.
    :param method: the scheduler's name (:data:`decisiongym.envs.soc.ids.STATIC_METHODS`).
    :param makespan: the schedule's makespan in µs (``None`` when CP-SAT found nothing).
    :param bound: CP-SAT's lower bound in µs; ``None`` for the list schedulers.
    :param status: ``"OPTIMAL"``, ``"FEASIBLE"``... (always ``"FEASIBLE"`` for a list scheduler).
    :param wall_s: wall time of the scheduler's call.
    :param valid: whether :func:`~decisiongym.envs.soc.solution.validate_dag` accepted it.
    :param trace: the schedule, one row per task.
    """

    problem: DagProblem
    method: str
    makespan: float | None
    bound: float | None
    status: str
    wall_s: float
    valid: bool
    trace: Trace | None = field(repr=False)

    def as_json(self) -> dict[str, Any]:
        """The record as ``decisiongym solve soc --json`` prints it."""
        graph, platform = self.problem.graph, self.problem.platform
        rows = None
        if self.trace is not None:
            rows = [{key: row[key] for key in ("task", "task_name", "pe", "pe_name", "start",
                                                "finish")}
                    for row in self.trace.to_records(graph, platform)]
        return {"dag": graph.name, "platform": platform.name, "method": self.method,
                "makespan": self.makespan, "bound": self.bound, "status": self.status,
                "wall_s": round(self.wall_s, 6), "valid": self.valid, "trace": rows}


def solve_dag(problem: DagProblem, method: str, *, time_limit: float = 10.0, workers: int = 2,
              seed: int = 0) -> DagSolveRecord:
    """Schedule one DAG with a static method and re-check the schedule from the problem alone.

    :param problem: the DAG and its platform
        (:func:`decisiongym.envs.soc.builtin.load_dag_problem`).
    :param method: ``heft``, ``peft``, ``cpop`` or ``cpsat``.
    :param time_limit: CP-SAT's time limit in seconds.
    :param workers: CP-SAT's search workers.
    :param seed: CP-SAT's seed.
    :raises ValueError: for an unknown method.
    """
    platform, graph = problem.platform, problem.graph
    bound = None
    if method == "cpsat":
        from decisiongym.baselines.soc.cpsat import solve_dag_cpsat

        exact = solve_dag_cpsat(graph, platform, time_limit=time_limit, workers=workers,
                                seed=seed)
        trace, makespan, bound, status, wall_s = exact
    elif method in STATIC_METHODS:
        from decisiongym.baselines.soc.list_scheduling import SCHEDULERS

        scheduled = SCHEDULERS[method](graph, platform)
        trace, makespan, status, wall_s = (scheduled.trace, scheduled.makespan, "FEASIBLE",
                                           scheduled.wall_s)
    else:
        raise ValueError(f"unknown static method {method!r}; choose one of "
                         f"{', '.join(STATIC_METHODS)}")
    return DagSolveRecord(problem, method, makespan, bound, status, wall_s,
                          _accepted(problem, trace), trace)


def _accepted(problem: DagProblem, trace: Trace | None) -> bool:
    if trace is None:
        return False
    try:
        validate_dag(problem, trace)
    except ValidationError:
        return False
    return True
