"""OR-Tools CP-SAT on the job shop's scheduling model.

The model is stated as the math: one interval variable per operation (optional intervals with an
exactly-one choice where an operation has alternative machines), ``end(a) <= start(b)`` for each
precedence arc, ``AddNoOverlap`` per machine, and the makespan as the maximum end.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from decisiongym.envs.jobshop.encoding import SchedulingModel, encode
from decisiongym.envs.jobshop.instance import JobShopInstance
from decisiongym.envs.jobshop.solution import Schedule


@dataclass(frozen=True)
class CpSatResult:
    """What CP-SAT returned.

    :param schedule: best schedule found, ``None`` when none was found in time.
    :param makespan: its makespan, or ``None``.
    :param bound: best lower bound CP-SAT proved.
    :param status: ``"OPTIMAL"``, ``"FEASIBLE"``, ``"INFEASIBLE"`` or ``"UNKNOWN"``.
    :param wall_s: wall time of the solve.
    :param from_warm_start: True when the returned schedule is the warm start itself, because
        CP-SAT found nothing better in its time.
    """

    schedule: Schedule | None
    makespan: int | None
    bound: int
    status: str
    wall_s: float
    from_warm_start: bool = False


class _Progress(cp_model.CpSolverSolutionCallback):
    def __init__(self, report: Callable[[float, float, float], None]) -> None:
        super().__init__()
        self._report = report

    def on_solution_callback(self) -> None:
        self._report(self.wall_time, self.objective_value, self.best_objective_bound)


def solve_cpsat(
    instance: JobShopInstance,
    time_limit: float = 10.0,
    workers: int = 2,
    seed: int = 0,
    warm_start: Schedule | None = None,
    model: SchedulingModel | None = None,
    on_solution: Callable[[float, float, float], None] | None = None,
    fixed_starts: np.ndarray | None = None,
    deterministic_limit: float | None = None,
) -> CpSatResult:
    """Minimise the makespan with CP-SAT.

    With several workers and a time limit, CP-SAT's result can vary between runs even with the
    same seed (its workers race); one worker with a fixed seed is deterministic.

    :param instance: the problem.
    :param time_limit: seconds of search.
    :param workers: CP-SAT search workers (use at most the number of cores).
    :param seed: CP-SAT's random seed.
    :param warm_start: a complete schedule to start from (for example a dispatching rule's).
        Its start times are given as a hint and its makespan as an upper bound, and it is
        returned unchanged if CP-SAT finds nothing better, so the result is never worse.
    :param model: the instance's scheduling model, built with :func:`encode` when omitted.
    :param on_solution: called with ``(wall_s, makespan, bound)`` at each improving solution.
    :param fixed_starts: ``(n_jobs, n_ops)`` start times to keep as they are, ``-1`` where the
        operation is free (completing a partial schedule). The status and bound then refer to
        that restricted problem: "OPTIMAL" means no completion of the fixed part is better.
    :param deterministic_limit: a limit in CP-SAT's deterministic time units as well as the
        wall-clock one; with one worker and a seed the result then does not depend on the
        machine's speed, as long as the wall-clock limit is not hit first.
    """
    if time_limit <= 0:
        raise ValueError(f"time_limit must be > 0 seconds, got {time_limit}")
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    if deterministic_limit is not None and deterministic_limit <= 0:
        raise ValueError(f"deterministic_limit must be > 0, got {deterministic_limit}")
    if fixed_starts is not None:
        fixed_starts = np.asarray(fixed_starts)
        if fixed_starts.shape != (instance.n_jobs, instance.n_ops):
            raise ValueError(f"fixed_starts has shape {fixed_starts.shape}, expected "
                             f"({instance.n_jobs}, {instance.n_ops}) for {instance.name!r}")
    model = model if model is not None else encode(instance)
    cp = cp_model.CpModel()
    horizon = model.horizon()
    starts, ends = [], []
    per_resource: list[list[cp_model.IntervalVar]] = [[] for _ in range(model.n_resources)]
    for i in range(model.n_intervals):
        start = cp.new_int_var(int(model.release[i]), horizon, f"start_{i}")
        end = cp.new_int_var(0, horizon, f"end_{i}")
        modes = model.modes(i)
        if len(modes) == 1:
            resource, duration = modes[0]
            per_resource[resource].append(cp.new_interval_var(start, duration, end, f"op_{i}"))
        else:
            chosen = []
            for resource, duration in modes:
                present = cp.new_bool_var(f"op_{i}_on_{resource}")
                name = f"op_{i}_{resource}"
                per_resource[resource].append(
                    cp.new_optional_interval_var(start, duration, end, present, name)
                )
                chosen.append(present)
            cp.add_exactly_one(chosen)
        starts.append(start)
        ends.append(end)
    for before, after in model.precedences:
        cp.add(ends[before] <= starts[after])
    for intervals in per_resource:
        if len(intervals) > 1:
            cp.add_no_overlap(intervals)
    makespan = cp.new_int_var(0, horizon, "makespan")
    cp.add_max_equality(makespan, ends)
    cp.minimize(makespan)

    warm_makespan = None
    if warm_start is not None:
        if not warm_start.complete:
            raise ValueError("warm_start must be a complete schedule")
        warm_makespan = warm_start.makespan
        ids = model.job_intervals
        for j in range(ids.shape[0]):
            for k in range(ids.shape[1]):
                if ids[j, k] >= 0:
                    cp.add_hint(starts[ids[j, k]], int(warm_start.start[j, k]))
        cp.add(makespan <= warm_makespan)
    if fixed_starts is not None:
        ids = model.job_intervals
        for j, k in zip(*np.nonzero(fixed_starts >= 0), strict=True):
            if ids[j, k] >= 0:
                cp.add(starts[ids[j, k]] == int(fixed_starts[j, k]))

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = float(time_limit)
    solver.parameters.num_workers = int(workers)
    solver.parameters.random_seed = int(seed)
    if deterministic_limit is not None:
        solver.parameters.max_deterministic_time = float(deterministic_limit)
    callback = _Progress(on_solution) if on_solution is not None else None
    t0 = time.perf_counter()
    status = solver.solve(cp, callback)
    wall_s = time.perf_counter() - t0
    status_name = solver.status_name(status)
    bound = int(np.ceil(solver.best_objective_bound - 1e-6))

    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        start_table = np.full(model.job_intervals.shape, -1, dtype=np.int64)
        valid = model.job_intervals >= 0
        start_table[valid] = [solver.value(starts[i]) for i in model.job_intervals[valid]]
        schedule = Schedule(instance, start_table)
        return CpSatResult(schedule, int(solver.objective_value), bound, status_name, wall_s)
    if warm_start is not None:
        # The hint's upper bound is the warm start's own makespan: "infeasible" here means CP-SAT
        # proved nothing beats it, i.e. the warm start is optimal.
        if status == cp_model.INFEASIBLE:
            return CpSatResult(warm_start, warm_makespan, warm_start.makespan, "OPTIMAL", wall_s,
                               from_warm_start=True)
        return CpSatResult(warm_start, warm_makespan, bound, "FEASIBLE", wall_s,
                           from_warm_start=True)
    return CpSatResult(None, None, bound, status_name, wall_s)
