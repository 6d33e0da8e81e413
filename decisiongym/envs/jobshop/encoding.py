"""The job shop as a constraint-programming model: intervals, precedences, disjunctive resources.

One :class:`SchedulingModel` is built from an instance and is the single statement of the problem
that both the CP-SAT baseline and the numba simulator read, so the two cannot disagree about it.
The model is written in the vocabulary of scheduling constraints rather than of the job shop:

* an **interval** per operation, with one or more **modes** (resource, duration); a classic job
  shop has one mode per interval, a flexible job shop several (alternative machines);
* a **release** date per interval (earliest start) and an optional **due** date per job;
* **precedence arcs** ``end(before) <= start(after)``;
* **no-overlap** on every resource (each resource runs one interval at a time).

Jobs are kept as ordered chains of intervals (``job_intervals``) because dispatching acts on them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from decisiongym.envs.jobshop.instance import JobShopInstance

NO_DUE_DATE = -1


@dataclass(frozen=True, eq=False)
class SchedulingModel:
    """Intervals with modes, precedence arcs and no-overlap resources.

    :param name: name of the instance the model was built from.
    :param n_resources: number of no-overlap resources (machines).
    :param job_intervals: ``(n_jobs, max_ops)`` interval ids of each job in route order, ``-1``
        padded.
    :param interval_job: job of each interval.
    :param interval_position: position of each interval in its job's route.
    :param mode_offsets: ``(n_intervals + 1,)``; the modes of interval ``i`` are
        ``mode_offsets[i]:mode_offsets[i + 1]`` of ``mode_resource`` and ``mode_duration``.
    :param mode_resource: resource of each mode.
    :param mode_duration: duration of each mode.
    :param release: earliest start of each interval.
    :param job_due: due date of each job, ``NO_DUE_DATE`` where none.
    :param precedences: ``(n_arcs, 2)`` pairs ``(before, after)``: ``end(before) <= start(after)``.
    """

    name: str
    n_resources: int
    job_intervals: np.ndarray
    interval_job: np.ndarray
    interval_position: np.ndarray
    mode_offsets: np.ndarray
    mode_resource: np.ndarray
    mode_duration: np.ndarray
    release: np.ndarray
    job_due: np.ndarray
    precedences: np.ndarray

    @property
    def n_intervals(self) -> int:
        return int(self.interval_job.shape[0])

    @property
    def n_jobs(self) -> int:
        return int(self.job_intervals.shape[0])

    @property
    def has_alternatives(self) -> bool:
        """True when some interval may run on more than one resource (flexible job shop)."""
        return bool(np.any(np.diff(self.mode_offsets) > 1))

    def modes(self, interval: int) -> list[tuple[int, int]]:
        """The ``(resource, duration)`` alternatives of one interval."""
        lo, hi = self.mode_offsets[interval], self.mode_offsets[interval + 1]
        return list(zip(self.mode_resource[lo:hi].tolist(), self.mode_duration[lo:hi].tolist()))

    def horizon(self) -> int:
        """An upper bound on any sensible makespan: every interval in its longest mode in series."""
        longest = np.maximum.reduceat(self.mode_duration, self.mode_offsets[:-1])
        return int(longest.sum() + self.release.max(initial=0))

    def single_mode_tables(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(machine, duration, release)`` as ``(n_jobs, max_ops)`` tables for the simulator.

        The dispatching simulator places each interval on its one resource; models with
        alternative resources are refused here rather than silently simplified.
        """
        if self.has_alternatives:
            raise NotImplementedError(
                f"model {self.name!r} has intervals with alternative resources; the dispatching "
                "simulator needs exactly one resource per interval"
            )
        shape = self.job_intervals.shape
        machine = np.zeros(shape, dtype=np.int64)
        duration = np.zeros(shape, dtype=np.int64)
        release = np.zeros(shape, dtype=np.int64)
        valid = self.job_intervals >= 0
        ids = self.job_intervals[valid]
        first_mode = self.mode_offsets[ids]
        machine[valid] = self.mode_resource[first_mode]
        duration[valid] = self.mode_duration[first_mode]
        release[valid] = self.release[ids]
        return machine, duration, release


def encode(
    instance: JobShopInstance,
    release: np.ndarray | None = None,
    job_due: np.ndarray | None = None,
) -> SchedulingModel:
    """Build the scheduling model of a job-shop instance.

    :param instance: the problem.
    :param release: optional ``(n_jobs,)`` release date of each job (its first operation may not
        start earlier); zeros by default.
    :param job_due: optional ``(n_jobs,)`` due date of each job.
    """
    n_jobs, n_ops = instance.n_jobs, instance.n_ops
    n_intervals = n_jobs * n_ops
    job_intervals = np.arange(n_intervals, dtype=np.int64).reshape(n_jobs, n_ops)
    interval_release = np.zeros(n_intervals, dtype=np.int64)
    if release is not None:
        release = np.asarray(release, dtype=np.int64)
        if release.shape != (n_jobs,) or np.any(release < 0):
            raise ValueError(f"release must be {n_jobs} non-negative integers, got {release!r}")
        interval_release[job_intervals[:, 0]] = release
    due = np.full(n_jobs, NO_DUE_DATE, dtype=np.int64)
    if job_due is not None:
        job_due = np.asarray(job_due, dtype=np.int64)
        if job_due.shape != (n_jobs,) or np.any(job_due < 0):
            raise ValueError(f"job_due must be {n_jobs} non-negative integers, got {job_due!r}")
        due = job_due
    chains = np.stack([job_intervals[:, :-1].ravel(), job_intervals[:, 1:].ravel()], axis=1)
    model = SchedulingModel(
        name=instance.name,
        n_resources=instance.n_machines,
        job_intervals=job_intervals,
        interval_job=np.repeat(np.arange(n_jobs, dtype=np.int64), n_ops),
        interval_position=np.tile(np.arange(n_ops, dtype=np.int64), n_jobs),
        mode_offsets=np.arange(n_intervals + 1, dtype=np.int64),
        mode_resource=instance.machines.ravel().astype(np.int64),
        mode_duration=instance.durations.ravel().astype(np.int64),
        release=interval_release,
        job_due=due,
        precedences=chains.astype(np.int64).reshape(-1, 2),
    )
    for array in vars(model).values():
        if isinstance(array, np.ndarray):
            array.setflags(write=False)
    return model
