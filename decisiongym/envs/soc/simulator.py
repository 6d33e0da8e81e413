"""The Python face of the SoC stream kernels: one platform and workload's state arrays, and
the calls on them, whole runs and step by step."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from decisiongym.envs.core.errors import InputError, InvalidActionError
from decisiongym.envs.soc.ds3_sim import (
    DS3_MAX_JOBS_IN_FLIGHT,
    DS3_RULES,
    N_DS3_COUNTERS,
    run_ds3,
)
from decisiongym.envs.soc.graph import TaskGraph
from decisiongym.envs.soc.ids import SIMULATOR_MODES
from decisiongym.envs.soc.metrics import SimulationResult, summarise
from decisiongym.envs.soc.platform import Platform
from decisiongym.envs.soc.sim import (
    ARRIVAL,
    AT,
    BUSY_UNTIL,
    COMPLETION,
    DECISION,
    DONE,
    EST_FINISH,
    EST_FREE,
    FINISH,
    FINISHED,
    HORIZON_REACHED,
    JOB,
    LOCAL,
    MULT,
    N_COUNTERS,
    N_READY,
    NEXT_JOB,
    NOW,
    PE,
    READY,
    READY_LIST,
    RULES,
    STALLED,
    START,
    STATUS,
    advance,
    assign,
    data_ready,
    decide,
    reset_state,
    run_rule,
)
from decisiongym.envs.soc.workload import Workload, duration_floor


def rule_code(scheduler: str, mode: str = "default") -> int:
    """The kernel code of a built-in scheduler name (``"ETF"`` and ``"etf"`` alike).

    :param scheduler: a name of :data:`~decisiongym.envs.soc.sim.RULES` in the default mode,
        of :data:`~decisiongym.envs.soc.ds3_sim.DS3_RULES` in the ``ds3`` mode.
    :param mode: ``"default"`` or ``"ds3"``.
    :raises InputError: for a name the mode does not run (naming the mode that does).
    """
    key = scheduler.lower().replace("_", "-")
    rules, other = (DS3_RULES, RULES) if mode == "ds3" else (RULES, DS3_RULES)
    if key in rules:
        return rules[key]
    hint = " (HEFT_RT runs from decisiongym.baselines.soc.online.simulate)"
    if key in other:
        hint = scheduler_mode_hint(key, mode)
    raise InputError(f"unknown built-in scheduler {scheduler!r} in the {mode} mode; choose one "
                     f"of {', '.join(rules)}{hint}", "scheduler")


def scheduler_mode_hint(key: str, mode: str) -> str:
    """Why a scheduler name of the other mode is refused, and where it runs."""
    if mode == "ds3":
        return (f"; {key!r} runs in the default mode (DS3's MET and STF are 'met' and 'stf' "
                "in the ds3 mode)")
    return (f"; {key!r} is DS3's rule and runs with mode='ds3' (this library's own MET and "
            "STF are 'met-soonest' and 'stf-soonest')")


@dataclass(frozen=True)
class DecisionPoint:
    """What a scheduler sees at a decision point.

    :param time: the current time, µs.
    :param tasks: ``(k,)`` ids of the ready, uncommitted tasks, in ready-list order (the ids
        :meth:`SoCSimulator.assign` takes: rows, i.e. ``workload.job_first[job] + task``).
    :param job: ``(k,)`` job of each.
    :param task: ``(k,)`` task index of each within its job's graph.
    :param idle_pes: PEs with nothing running or queued.
    :param feasible: ``(k, n_pes)`` whether each PE can run each task.
    """

    time: float
    tasks: np.ndarray
    job: np.ndarray
    task: np.ndarray
    idle_pes: np.ndarray
    feasible: np.ndarray


class SoCSimulator:
    """A workload streaming through a platform, driven either by a built-in rule in one kernel
    call (:meth:`run`) or step by step (:meth:`reset`, :meth:`decision_point`, :meth:`assign`,
    :meth:`advance`). The model is stated in :mod:`decisiongym.envs.soc.sim`.

    Example::

        sim = SoCSimulator(default_platform(), ds3_workload(2.0, 1000, rng))
        result = sim.run("etf")
        result.latency_mean_us

    :param platform: the PEs and links.
    :param workload: the jobs; every application must be runnable on the platform.
    :param warmup_jobs: the first this many jobs are left out of the metrics.
    :param warmup_us: so are jobs arriving before this time (µs); a job counts when it passes
        both tests (see :func:`~decisiongym.envs.soc.metrics.summarise`).
    :param horizon_us: stop at this time (events after it are not applied); ``None`` runs until
        every job has finished.
    :param mode: ``"default"``, the model of :mod:`decisiongym.envs.soc.sim`, whole runs and
        step by step; or ``"ds3"``, DS3's semantics (:mod:`decisiongym.envs.soc.ds3_sim`: its
        MET, STF, ETF and EFT with their tie-breaks, back-filling from the oldest job, at most
        12 jobs in flight, a job's latency counted from its entry), whole runs with
        :meth:`run` only.
    """

    def __init__(
        self,
        platform: Platform,
        workload: Workload,
        *,
        warmup_jobs: int = 0,
        warmup_us: float = 0.0,
        horizon_us: float | None = None,
        mode: str = "default",
    ) -> None:
        if warmup_jobs < 0 or warmup_us < 0:
            raise ValueError("warmup_jobs and warmup_us must be >= 0")
        if horizon_us is not None and not horizon_us >= 0:
            raise ValueError(f"horizon_us must be >= 0, got {horizon_us}")
        if mode not in SIMULATOR_MODES:
            raise InputError(f"must be one of {', '.join(SIMULATOR_MODES)}, got {mode!r}", "mode")
        self.mode = mode
        self.platform = platform
        self.workload = workload
        self.warmup_jobs = int(warmup_jobs)
        self.warmup_us = float(warmup_us)
        self.horizon_us = horizon_us
        n_pes = platform.n_pes
        apps = workload.applications
        # Per-application tables stacked app by app: an app-task is app_first[a] + task.
        tables = [g.cost_on(platform) for g in apps]
        self.app_first = np.zeros(len(apps) + 1, dtype=np.int64)
        np.cumsum([g.n_tasks for g in apps], out=self.app_first[1:])
        self.cost = np.ascontiguousarray(np.concatenate(tables, axis=0), dtype=np.float64)
        self.min_cost = self.cost.min(axis=1)
        self.pred_ptr, self.pred_local, self.pred_volume = _csr(apps, by=1)
        self.succ_ptr, self.succ_local, _ = _csr(apps, by=0)
        self.bandwidth = np.ascontiguousarray(platform.bandwidth, dtype=np.float64)

        job_first = np.ascontiguousarray(workload.job_first, dtype=np.int64)
        sizes = np.diff(job_first)
        n_rows = int(job_first[-1])
        n_jobs = workload.n_jobs
        local = np.arange(n_rows, dtype=np.int64) - np.repeat(job_first[:-1], sizes)
        self.row_static = np.stack([
            np.repeat(self.app_first[:-1][workload.job_app], sizes) + local,
            local,
            np.repeat(np.arange(n_jobs, dtype=np.int64), sizes),
        ]).astype(np.int64)
        self.row_state = np.zeros((3, n_rows), dtype=np.int64)
        self.row_time = np.zeros((4, n_rows))
        self.row_time[MULT] = workload.multiplier
        self.job_first = job_first
        self.job_left = np.zeros(n_jobs, dtype=np.int64)
        self.job_time = np.zeros((2, n_jobs))
        self.job_time[ARRIVAL] = workload.arrival
        self.pe_time = np.zeros((2, n_pes))
        self.queue = np.zeros((3, max(n_rows, 1)), dtype=np.int64)
        self.heap_time = np.zeros(max(n_rows, 1))
        self.counters = np.zeros(N_COUNTERS, dtype=np.int64)
        self.clock = np.array([
            0.0, float(platform.startup_latency), duration_floor(workload.noise),
            np.inf if horizon_us is None else float(horizon_us),
        ])
        self.status = DECISION
        # the ds3 mode's own state: each task's data-ready stamp on its PE, the executable
        # list, and its two counters (executable tasks, jobs in flight)
        self.stamp = np.full(max(n_rows, 1), np.nan)
        self.executable = np.zeros(max(n_rows, 1), dtype=np.int64)
        self.ds3_counters = np.zeros(N_DS3_COUNTERS, dtype=np.int64)
        self._reset_arrays()

    # -- kernel calls ---------------------------------------------------------------------

    def _reset_arrays(self) -> None:
        reset_state(self.row_static, self.row_state, self.row_time, self.job_first,
                    self.job_left, self.job_time, self.pe_time, self.counters, self.clock,
                    self.pred_ptr)
        self.status = DECISION

    def _advance(self) -> int:
        self.status = int(advance(
            self.cost, self.row_static, self.row_state, self.row_time, self.job_first,
            self.job_left, self.job_time, self.pe_time, self.queue, self.heap_time,
            self.counters, self.clock, self.succ_ptr, self.succ_local,
        ))
        return self.status

    # -- whole runs -----------------------------------------------------------------------

    def run(self, scheduler: str, seed: int = 0) -> SimulationResult:
        """Simulate the whole workload from the start with a built-in scheduler.

        :param scheduler: a name in :data:`~decisiongym.envs.soc.sim.RULES` (case and ``_``/``-``
            do not matter).
        :param seed: seed of the ``random`` rule.
        """
        code = rule_code(scheduler, self.mode)
        self._reset_arrays()
        if self.mode == "ds3":
            self.status = int(run_ds3(
                code, DS3_MAX_JOBS_IN_FLIGHT, self.cost, self.min_cost, self.row_static,
                self.row_state, self.row_time, self.job_first, self.job_left, self.job_time,
                np.ascontiguousarray(self.workload.arrival), self.pe_time, self.queue,
                self.heap_time, self.stamp, self.executable, self.counters, self.ds3_counters,
                self.clock, self.pred_ptr, self.pred_local, self.pred_volume, self.succ_ptr,
                self.succ_local, self.bandwidth,
            ))
        else:
            self.status = int(run_rule(
                code, seed, self.cost, self.min_cost, self.row_static, self.row_state,
                self.row_time, self.job_first, self.job_left, self.job_time, self.pe_time,
                self.queue, self.heap_time, self.counters, self.clock, self.pred_ptr,
                self.pred_local, self.pred_volume, self.succ_ptr, self.succ_local,
                self.bandwidth,
            ))
        return self.result(scheduler.lower().replace("_", "-"))

    def _step_by_step(self) -> None:
        if self.mode != "default":
            raise InputError("step-by-step driving runs the default model only; the ds3 mode "
                             "runs whole streams with run()", "mode")

    # -- step by step ---------------------------------------------------------------------

    def reset(self) -> bool:
        """Start over and move to the first decision point.

        :returns: whether the run is already over (an empty workload, or a horizon before the
            first arrival).
        """
        self._step_by_step()
        self._reset_arrays()
        return self._advance() != DECISION

    @property
    def now(self) -> float:
        """The current time, µs."""
        return float(self.clock[NOW])

    @property
    def done(self) -> bool:
        """Whether every job has finished or the horizon was reached."""
        return self.status in (FINISHED, HORIZON_REACHED)

    @property
    def arrived_jobs(self) -> int:
        """Jobs that have arrived so far (jobs ``0 .. arrived_jobs - 1``)."""
        return int(self.counters[NEXT_JOB])

    def unfinished_jobs(self) -> np.ndarray:
        """Jobs that have arrived and not yet completed, in job order."""
        arrived = self.arrived_jobs
        return np.flatnonzero(self.job_left[:arrived] > 0)

    def is_ready(self, task_id: int) -> bool:
        """Whether a task is ready and not yet committed."""
        return bool(self.row_state[STATUS, task_id] == READY)

    def ready_tasks(self) -> np.ndarray:
        """Ids of the ready, uncommitted tasks, in ready-list order."""
        return self.queue[READY_LIST, : self.counters[N_READY]].copy()

    def idle_pes(self) -> np.ndarray:
        """PEs with nothing running or queued now."""
        return np.flatnonzero(self.pe_time[BUSY_UNTIL] <= self.clock[NOW])

    def decision_point(self) -> DecisionPoint:
        """The ready tasks and idle PEs now (meaningful after :meth:`reset` or
        :meth:`advance` returned False; any time in fact, as a snapshot)."""
        tasks = self.ready_tasks()
        return DecisionPoint(
            time=self.now,
            tasks=tasks,
            job=self.row_static[JOB, tasks].copy(),
            task=self.row_static[LOCAL, tasks].copy(),
            idle_pes=self.idle_pes(),
            feasible=np.isfinite(self.cost[self.row_static[AT, tasks]]),
        )

    def task_of(self, task_id: int) -> tuple[int, int]:
        """``(job, task index in its graph)`` of a task id."""
        return int(self.row_static[JOB, task_id]), int(self.row_static[LOCAL, task_id])

    def data_ready(self, task_id: int, pe: int) -> float:
        """When the data of every predecessor of a ready task reaches ``pe``, µs."""
        return float(data_ready(task_id, pe, self.row_static, self.row_state, self.row_time,
                                self.pred_ptr, self.pred_local, self.pred_volume,
                                self.bandwidth, self.clock))

    def assign(self, task_id: int, pe: int) -> float:
        """Commit a ready task to a PE, idle or busy (it queues behind the PE's earlier tasks).

        :param task_id: an id from :meth:`decision_point` (``DecisionPoint.tasks``).
        :param pe: a PE that can run the task.
        :returns: the task's start time.
        :raises InvalidActionError: when the task is not ready and uncommitted, or the PE
            does not exist or cannot run it.
        """
        self._step_by_step()
        n_rows = self.row_static.shape[1]
        if not 0 <= task_id < n_rows:
            raise InvalidActionError((task_id, pe), f"task ids are 0-{n_rows - 1}")
        if self.row_state[STATUS, task_id] != READY:
            state = ("blocked (not arrived, or waiting for predecessors)", "ready",
                     "already committed", "finished")[int(self.row_state[STATUS, task_id])]
            raise InvalidActionError((task_id, pe), f"task {task_id} is {state}, not ready")
        if not 0 <= pe < self.platform.n_pes:
            raise InvalidActionError((task_id, pe),
                                     f"PEs are 0-{self.platform.n_pes - 1}, got {pe}")
        if not np.isfinite(self.cost[self.row_static[AT, task_id], pe]):
            job, task = self.task_of(task_id)
            graph = self.workload.applications[int(self.workload.job_app[job])]
            raise InvalidActionError(
                (task_id, pe), f"PE {self.platform.pe_names()[pe]} cannot run task "
                f"{graph.task_names[task]!r} of job {job}")
        return float(assign(
            task_id, pe, self.cost, self.row_static, self.row_state, self.row_time,
            self.pe_time, self.queue, self.heap_time, self.counters, self.clock,
            self.pred_ptr, self.pred_local, self.pred_volume, self.bandwidth,
        ))

    def decide(self, scheduler: str) -> None:
        """Commit every ready task now with a built-in rule (one decision of :meth:`run`).

        :param scheduler: a name in :data:`~decisiongym.envs.soc.sim.RULES`.
        """
        self._step_by_step()
        decide(rule_code(scheduler), self.cost, self.min_cost, self.row_static, self.row_state,
               self.row_time, self.pe_time, self.queue, self.heap_time, self.counters,
               self.clock, self.pred_ptr, self.pred_local, self.pred_volume, self.bandwidth)

    def advance(self) -> bool:
        """Let time run to the next decision point; ready tasks not committed wait for it.

        :returns: True when the run is over (every job finished, or the horizon reached).
        :raises InvalidActionError: when ready tasks are left uncommitted and nothing else
            will ever happen (no task running, no job to come): one of them must be assigned.
        """
        self._step_by_step()
        if self.done:
            return True
        if self._advance() == STALLED:
            raise InvalidActionError(
                "advance", f"{int(self.counters[N_READY])} ready tasks are uncommitted and no "
                "event is left to wait for; assign them before advancing")
        return self.done

    def committed(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(pe, estimated finish, true finish)`` of every task: -1 and NaN where not
        committed. Schedulers should read only the estimate of an unfinished task."""
        return (self.row_state[PE].copy(), self.row_time[EST_FINISH].copy(),
                self.row_time[FINISH].copy())

    def finished_mask(self) -> np.ndarray:
        """``(n_rows,)`` whether each task has finished."""
        return self.row_state[STATUS] == DONE

    def estimated_free(self) -> np.ndarray:
        """``(n_pes,)`` the scheduler's estimate of when each PE runs out of work (never before
        now)."""
        return np.maximum(self.pe_time[EST_FREE], self.clock[NOW])

    def _entered_workload(self) -> Workload:
        """The workload with its arrivals as the jobs entered: itself in the default mode; in
        the ds3 mode, delayed where 12 jobs were in flight."""
        if self.mode == "default":
            return self.workload
        w = self.workload
        arrival = _entry_times(self.job_time[ARRIVAL], w.arrival)
        return Workload(w.applications, w.job_app, arrival, w.multiplier, w.noise, w.sigma)

    def result(self, scheduler: str = "external") -> SimulationResult:
        """Trace and metrics of what has run so far (the whole run once :attr:`done`).

        :param scheduler: the name recorded in the result.
        """
        return summarise(
            self.platform, self._entered_workload(), scheduler,
            pe=self.row_state[PE], start=self.row_time[START], finish=self.row_time[FINISH],
            finished=self.row_state[STATUS] == DONE, completion=self.job_time[COMPLETION],
            end_us=self.now, stopped_at_horizon=self.status == HORIZON_REACHED,
            warmup_jobs=self.warmup_jobs, warmup_us=self.warmup_us,
        )


def _entry_times(entered: np.ndarray, nominal: np.ndarray) -> np.ndarray:
    """Each job's entry time in the ds3 mode: as recorded, and for jobs that never entered
    (a horizon stopped the run) the previous job's plus the nominal gap."""
    times = np.asarray(entered, dtype=np.float64).copy()
    for j in np.flatnonzero(np.isnan(times)).tolist():
        times[j] = nominal[0] if j == 0 else times[j - 1] + (nominal[j] - nominal[j - 1])
    return times


def _csr(apps: tuple[TaskGraph, ...], by: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Edges of every application grouped by app-task: ``by=1`` lists each task's
    predecessors, ``by=0`` its successors, as ``(ptr, other end's local index, volume)``."""
    n_total = sum(g.n_tasks for g in apps)
    ptr = np.zeros(n_total + 1, dtype=np.int64)
    ends: list[np.ndarray] = []
    volumes: list[np.ndarray] = []
    first = 0
    counts = np.zeros(n_total, dtype=np.int64)
    for g in apps:
        order = np.argsort(g.edges[:, by], kind="stable")
        ends.append(g.edges[order, 1 - by])
        volumes.append(g.volume[order])
        counts[first:first + g.n_tasks] = np.bincount(g.edges[:, by], minlength=g.n_tasks)
        first += g.n_tasks
    np.cumsum(counts, out=ptr[1:])
    end = np.ascontiguousarray(np.concatenate(ends), dtype=np.int64) if ends else np.zeros(
        0, dtype=np.int64)
    volume = np.ascontiguousarray(np.concatenate(volumes), dtype=np.float64) if volumes else (
        np.zeros(0))
    return ptr, end, volume
