"""The answer to an SoC scheduling problem, a trace of executed tasks, and an independent check.

A trace has one row per executed task: the job it belongs to, the task's index in its job's
graph, the PE that ran it and its start and finish times in µs. :func:`validate` re-checks a
trace from the platform, the graphs, the job-to-graph map and the arrival times alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from decisiongym.envs.core.errors import ValidationError
from decisiongym.envs.soc.graph import TaskGraph
from decisiongym.envs.soc.platform import Platform

CONSTRAINTS = (
    "completeness", "feasibility", "duration", "arrival", "precedence", "data-arrival",
    "pe-exclusivity",
)
"""The constraint names :func:`validate` raises, in the order it checks them."""


class DagProblem(NamedTuple):
    """One application DAG on one platform: what the static schedulers (HEFT, PEFT, CPOP,
    CP-SAT) take, and the family's instance type for :func:`validate_dag`."""

    platform: Platform
    graph: TaskGraph


@dataclass(frozen=True, eq=False)
class Trace:
    """Executed tasks, one row each (struct of arrays, all of one length).

    :param job: ``(n,)`` job index of each row (0 for a single graph).
    :param task: ``(n,)`` task index within the job's graph.
    :param pe: ``(n,)`` PE instance that ran the task.
    :param start: ``(n,)`` start time, µs.
    :param finish: ``(n,)`` finish time, µs.
    """

    job: np.ndarray
    task: np.ndarray
    pe: np.ndarray
    start: np.ndarray
    finish: np.ndarray

    def __post_init__(self) -> None:
        arrays = {
            "job": np.asarray(self.job, dtype=np.int64).reshape(-1),
            "task": np.asarray(self.task, dtype=np.int64).reshape(-1),
            "pe": np.asarray(self.pe, dtype=np.int64).reshape(-1),
            "start": np.asarray(self.start, dtype=np.float64).reshape(-1),
            "finish": np.asarray(self.finish, dtype=np.float64).reshape(-1),
        }
        lengths = {key: value.shape[0] for key, value in arrays.items()}
        if len(set(lengths.values())) != 1:
            raise ValueError(f"trace columns must have one length, got {lengths}")
        for key, value in arrays.items():
            # A copy, so that freezing never touches the caller's arrays.
            value = value.copy()
            value.setflags(write=False)
            object.__setattr__(self, key, value)

    @classmethod
    def from_records(cls, records: Sequence[dict[str, Any]]) -> Trace:
        """Build a trace from ``{job, task, pe, start, finish}`` dicts (``job`` defaults to 0),
        the inverse of :meth:`to_records`.

        :param records: one dict per executed task.
        """
        return cls(
            job=np.array([r.get("job", 0) for r in records], dtype=np.int64),
            task=np.array([r["task"] for r in records], dtype=np.int64),
            pe=np.array([r["pe"] for r in records], dtype=np.int64),
            start=np.array([r["start"] for r in records], dtype=np.float64),
            finish=np.array([r["finish"] for r in records], dtype=np.float64),
        )

    def __len__(self) -> int:
        return int(self.job.shape[0])

    @property
    def makespan(self) -> float:
        """Latest finish time, measured from time 0 (0 for an empty trace). For jobs that
        arrive later, :func:`validate` measures from the earliest arrival instead."""
        return float(self.finish.max(initial=0.0))

    def to_records(
        self,
        graphs: TaskGraph | Sequence[TaskGraph] | None = None,
        platform: Platform | None = None,
        job_graph: np.ndarray | Sequence[int] | None = None,
    ) -> list[dict[str, Any]]:
        """One ``{job, task, pe, start, finish}`` dict per row, task and PE as indices.

        :param graphs: when given, each record also gets ``task_name``.
        :param platform: when given, each record also gets ``pe_name`` (``"A15.2"``).
        :param job_graph: index into ``graphs`` of each job, as in :func:`validate`.
        """
        graph_list = _as_list(graphs) if graphs is not None else None
        which = _job_graph(graph_list, job_graph) if graph_list is not None else None
        pe_names = platform.pe_names() if platform is not None else None
        records = []
        for j, t, p, s, f in zip(self.job.tolist(), self.task.tolist(), self.pe.tolist(),
                                 self.start.tolist(), self.finish.tolist()):
            record: dict[str, Any] = {"job": j, "task": t, "pe": p, "start": s, "finish": f}
            if graph_list is not None and which is not None:
                record["task_name"] = graph_list[int(which[j])].task_names[t]
            if pe_names is not None:
                record["pe_name"] = pe_names[p]
            records.append(record)
        return records


def _as_list(graphs: TaskGraph | Sequence[TaskGraph]) -> list[TaskGraph]:
    return [graphs] if isinstance(graphs, TaskGraph) else list(graphs)


def _job_graph(
    graphs: list[TaskGraph], job_graph: np.ndarray | Sequence[int] | None
) -> np.ndarray:
    if job_graph is None:
        return np.arange(len(graphs), dtype=np.int64)
    which = np.asarray(job_graph, dtype=np.int64).reshape(-1)
    if which.size and (which.min() < 0 or which.max() >= len(graphs)):
        raise ValueError(f"job_graph entries must index the {len(graphs)} graphs")
    return which


def validate(
    platform: Platform,
    graphs: TaskGraph | Sequence[TaskGraph],
    trace: Trace,
    job_graph: np.ndarray | Sequence[int] | None = None,
    arrival: np.ndarray | Sequence[float] | None = None,
    durations: np.ndarray | Sequence[float] | None = None,
    tol: float = 1e-6,
) -> float:
    """Re-check a complete trace against the instance alone and return its makespan.

    Checked in this order, each failure raising :class:`ValidationError` with that constraint
    name:

    - ``completeness``: every task of every job ran exactly once, and no row names a job or a
      task that does not exist;
    - ``feasibility``: each row's PE exists and its type can run the task;
    - ``duration``: ``finish - start`` equals the task's cost on that PE, or ``durations[row]``
      when actual (noisy) durations are given;
    - ``arrival``: no task starts before its job arrived;
    - ``precedence``: no task starts before each of its predecessors finished;
    - ``data-arrival``: nor before each predecessor's data reached its PE, i.e. the
      predecessor's finish plus :meth:`Platform.transfer_time` of the edge's volume between the
      two PEs (nothing on the same PE);
    - ``pe-exclusivity``: no PE runs two tasks at once.

    Times are compared with tolerance ``tol``.

    :param platform: the PEs and links.
    :param graphs: one graph, or the graphs the jobs are instances of.
    :param trace: the rows to check; only the trace is read, no simulator state.
    :param job_graph: ``(n_jobs,)`` index into ``graphs`` of each job; by default job ``j`` runs
        ``graphs[j]`` (so a single graph is one job, job 0).
    :param arrival: ``(n_jobs,)`` arrival time of each job, µs; default all 0.
    :param durations: ``(len(trace),)`` actual execution time of each row when execution-time
        noise was applied; default the mean cost of the task on the row's PE.
    :param tol: absolute tolerance on every time comparison, µs.
    :returns: the makespan, latest finish minus earliest arrival (the latest finish when every
        job arrives at 0; 0 when there are no jobs).
    :raises ValidationError: naming the constraint and the ``(job, task)`` pairs at fault.
    """
    graph_list = _as_list(graphs)
    which = _job_graph(graph_list, job_graph)
    n_jobs = which.size
    arrivals = np.zeros(n_jobs) if arrival is None else np.asarray(arrival, dtype=np.float64)
    if arrivals.shape != (n_jobs,):
        raise ValueError(f"arrival must hold {n_jobs} times, one per job")
    job, task, pe = trace.job, trace.task, trace.pe
    start, finish = trace.start, trace.finish
    n_rows = len(trace)

    row_of = _check_completeness(graph_list, which, job, task)

    # feasibility
    bad_pe = np.nonzero((pe < 0) | (pe >= platform.n_pes))[0]
    if bad_pe.size:
        r = int(bad_pe[0])
        raise ValidationError(
            "feasibility", ((int(job[r]), int(task[r])),),
            f"job {job[r]} task {task[r]} ran on PE {pe[r]}, but platform {platform.name!r} "
            f"has PEs 0-{platform.n_pes - 1}",
        )
    cost = np.empty(n_rows)
    tables = [_cost_table(g, platform) for g in graph_list]
    for g, table in enumerate(tables):
        rows = np.nonzero(which[job] == g)[0]
        cost[rows] = table[task[rows], pe[rows]]
    infeasible = np.nonzero(~np.isfinite(cost))[0]
    if infeasible.size:
        r = int(infeasible[0])
        graph = graph_list[int(which[job[r]])]
        raise ValidationError(
            "feasibility", ((int(job[r]), int(task[r])),),
            f"job {job[r]} task {graph.task_names[task[r]]!r} ran on "
            f"{platform.pe_names()[pe[r]]}, whose type cannot run it",
        )

    # duration
    if not (np.all(np.isfinite(start)) and np.all(np.isfinite(finish))):
        r = int(np.nonzero(~(np.isfinite(start) & np.isfinite(finish)))[0][0])
        raise ValidationError("duration", ((int(job[r]), int(task[r])),),
                              f"job {job[r]} task {task[r]} has a non-finite start or finish")
    if durations is None:
        expected = cost
    else:
        expected = np.asarray(durations, dtype=np.float64).reshape(-1)
        if expected.shape != (n_rows,):
            raise ValueError(f"durations must hold {n_rows} times, one per trace row")
    wrong = np.nonzero(np.abs((finish - start) - expected) > tol)[0]
    if wrong.size:
        r = int(wrong[0])
        raise ValidationError(
            "duration", ((int(job[r]), int(task[r])),),
            f"job {job[r]} task {task[r]} runs {finish[r] - start[r]:g} µs "
            f"([{start[r]:g}, {finish[r]:g}]) on PE {pe[r]}, expected {expected[r]:g} µs",
        )

    # arrival
    early = np.nonzero(start < arrivals[job] - tol)[0]
    if early.size:
        r = int(early[0])
        raise ValidationError(
            "arrival", ((int(job[r]), int(task[r])),),
            f"job {job[r]} task {task[r]} starts at {start[r]:g} before its job arrives at "
            f"{arrivals[job[r]]:g}",
        )

    _check_precedence(platform, graph_list, which, row_of, job, pe, start, finish, tol)
    _check_exclusivity(job, task, pe, start, finish, tol)

    if n_rows == 0:
        return 0.0
    return float(finish.max() - arrivals.min())


def _cost_table(graph: TaskGraph, platform: Platform) -> np.ndarray:
    # cost_on refuses a graph with a task no PE can run; here that task's row is caught as
    # infeasible instead, so the table is built without that check.
    columns = [
        graph.cost[:, graph.type_names.index(t)] if t in graph.type_names
        else np.full(graph.n_tasks, np.inf)
        for t in platform.type_names
    ]
    return np.stack(columns, axis=1)[:, platform.pe_type]


def _check_completeness(
    graphs: list[TaskGraph], which: np.ndarray, job: np.ndarray, task: np.ndarray
) -> list[np.ndarray]:
    """For each job, the trace row of each of its tasks."""
    n_jobs = which.size
    bad_job = np.nonzero((job < 0) | (job >= n_jobs))[0]
    if bad_job.size:
        r = int(bad_job[0])
        raise ValidationError("completeness", ((int(job[r]), int(task[r])),),
                              f"row {r} names job {job[r]}, but there are {n_jobs} jobs")
    sizes = np.array([graphs[g].n_tasks for g in which.tolist()], dtype=np.int64)
    bad_task = np.nonzero((task < 0) | (task >= sizes[job]))[0]
    if bad_task.size:
        r = int(bad_task[0])
        raise ValidationError(
            "completeness", ((int(job[r]), int(task[r])),),
            f"row {r} names task {task[r]} of job {job[r]}, whose graph "
            f"{graphs[int(which[job[r]])].name!r} has {sizes[job[r]]} tasks",
        )
    row_of = [np.full(int(size), -1, dtype=np.int64) for size in sizes.tolist()]
    for r, (j, t) in enumerate(zip(job.tolist(), task.tolist())):
        if row_of[j][t] >= 0:
            raise ValidationError("completeness", ((j, t),),
                                  f"job {j} task {t} ran twice (rows {row_of[j][t]} and {r})")
        row_of[j][t] = r
    for j, rows in enumerate(row_of):
        missing = np.nonzero(rows < 0)[0]
        if missing.size:
            t = int(missing[0])
            name = graphs[int(which[j])].task_names[t]
            raise ValidationError(
                "completeness", ((j, t),),
                f"job {j} task {name!r} never ran ({missing.size} tasks of job {j} missing)",
            )
    return row_of


def _check_precedence(
    platform: Platform,
    graphs: list[TaskGraph],
    which: np.ndarray,
    row_of: list[np.ndarray],
    job: np.ndarray,
    pe: np.ndarray,
    start: np.ndarray,
    finish: np.ndarray,
    tol: float,
) -> None:
    per_unit = platform.transfer_matrix()
    for g, graph in enumerate(graphs):
        jobs = np.nonzero(which == g)[0]
        if jobs.size == 0 or graph.n_edges == 0:
            continue
        rows = np.stack([row_of[int(j)] for j in jobs])  # (jobs of this graph, n_tasks)
        before = rows[:, graph.edges[:, 0]]
        after = rows[:, graph.edges[:, 1]]
        late = np.argwhere(start[after] < finish[before] - tol)
        if late.size:
            k, e = (int(v) for v in late[0])
            a, b = (int(v) for v in graph.edges[e])
            raise ValidationError(
                "precedence", ((int(jobs[k]), a), (int(jobs[k]), b)),
                f"job {jobs[k]}: task {graph.task_names[b]!r} starts at "
                f"{start[after[k, e]]:g} before its predecessor {graph.task_names[a]!r} "
                f"finishes at {finish[before[k, e]]:g}",
            )
        src, dst = pe[before], pe[after]
        moved = (src != dst) & (graph.volume[None, :] > 0)
        transfer = np.where(
            moved, platform.startup_latency + graph.volume[None, :] * per_unit[src, dst], 0.0
        )
        ready = finish[before] + transfer
        late = np.argwhere(start[after] < ready - tol)
        if late.size:
            k, e = (int(v) for v in late[0])
            a, b = (int(v) for v in graph.edges[e])
            names = platform.pe_names()
            raise ValidationError(
                "data-arrival", ((int(jobs[k]), a), (int(jobs[k]), b)),
                f"job {jobs[k]}: task {graph.task_names[b]!r} starts on {names[dst[k, e]]} at "
                f"{start[after[k, e]]:g}, but the {graph.volume[e]:g} units from "
                f"{graph.task_names[a]!r} on {names[src[k, e]]} arrive at {ready[k, e]:g}",
            )


def _check_exclusivity(
    job: np.ndarray,
    task: np.ndarray,
    pe: np.ndarray,
    start: np.ndarray,
    finish: np.ndarray,
    tol: float,
) -> None:
    order = np.lexsort((finish, start, pe))
    same_pe = pe[order][1:] == pe[order][:-1]
    clash = np.nonzero(same_pe & (start[order][1:] < finish[order][:-1] - tol))[0]
    if clash.size:
        r, s = int(order[clash[0]]), int(order[clash[0] + 1])
        raise ValidationError(
            "pe-exclusivity", ((int(job[r]), int(task[r])), (int(job[s]), int(task[s]))),
            f"PE {pe[r]} runs job {job[r]} task {task[r]} over [{start[r]:g}, {finish[r]:g}] "
            f"and job {job[s]} task {task[s]} from {start[s]:g}",
        )


def validate_dag(problem: DagProblem, trace: Trace) -> float:
    """:func:`validate` for one DAG on one platform, in the ``validate(instance, solution)``
    form every family offers; returns the makespan."""
    return validate(problem.platform, problem.graph, trace)
