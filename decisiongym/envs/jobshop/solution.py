"""The answer to a job-shop instance, and an independent check of it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from decisiongym.envs.core.errors import ValidationError
from decisiongym.envs.jobshop.instance import MAX_VALUE, JobShopInstance


@dataclass(frozen=True, eq=False)
class Schedule:
    """Start time of every operation of an instance.

    :param instance: the instance scheduled.
    :param start: ``(n_jobs, n_ops)`` start times; ``-1`` marks an operation not (yet) scheduled.
    """

    instance: JobShopInstance
    start: np.ndarray

    def __post_init__(self) -> None:
        start = np.array(self.start, dtype=np.int64, copy=True)
        start.setflags(write=False)
        object.__setattr__(self, "start", start)

    @property
    def end(self) -> np.ndarray:
        return self.start + self.instance.durations

    @property
    def complete(self) -> bool:
        return bool(np.all(self.start >= 0))

    @property
    def makespan(self) -> int:
        """Largest completion time among the scheduled operations (0 when none is)."""
        done = self.start >= 0
        return int(self.end[done].max(initial=0))

    def to_records(self) -> list[dict[str, int]]:
        """One ``{job, op, machine, start, duration}`` dict per scheduled operation."""
        inst = self.instance
        return [
            {
                "job": j,
                "op": k,
                "machine": int(inst.machines[j, k]),
                "start": int(self.start[j, k]),
                "duration": int(inst.durations[j, k]),
            }
            for j in range(inst.n_jobs)
            for k in range(inst.n_ops)
            if self.start[j, k] >= 0
        ]

    def machine_sequences(self) -> list[list[tuple[int, int]]]:
        """For each machine, its ``(job, op)`` pairs in order of start."""
        inst = self.instance
        sequences: list[list[tuple[int, int]]] = [[] for _ in range(inst.n_machines)]
        for j, k in zip(*np.nonzero(self.start >= 0)):
            sequences[inst.machines[j, k]].append((int(j), int(k)))
        for seq in sequences:
            seq.sort(key=lambda jk: self.start[jk])
        return sequences

    def as_dict(self) -> dict[str, Any]:
        return {"instance": self.instance.name, "makespan": self.makespan,
                "schedule": self.to_records()}


def validate(
    instance: JobShopInstance, schedule: Schedule, release: np.ndarray | None = None
) -> int:
    """Re-check a complete schedule against the instance alone and return its makespan.

    Checks that every operation is scheduled at a non-negative time, that each job's operations
    run in route order without overlapping (precedence), that no job starts before its release
    date, and that no machine runs two operations at once (no-overlap). The schedule's own
    bookkeeping is not trusted: only ``schedule.start`` is read. Start times must be below
    2**62: with the instance's horizon bounded by 2**53, every end time then fits in int64, so
    no sum here can wrap around.

    :raises ValidationError: naming the constraint and the operations at fault.
    """
    start = np.asarray(schedule.start, dtype=np.int64)
    if start.shape != instance.machines.shape:
        raise ValidationError(
            "shape", (start.shape, instance.machines.shape),
            f"schedule has shape {start.shape}, instance {instance.name!r} has "
            f"{instance.machines.shape}",
        )
    missing = np.argwhere(start < 0)
    if missing.size:
        j, k = (int(v) for v in missing[0])
        raise ValidationError(
            "completeness", ((j, k),),
            f"operation {k} of job {j} is not scheduled ({len(missing)} operations missing)",
        )
    beyond = np.argwhere(start >= MAX_VALUE)
    if beyond.size:
        j, k = (int(v) for v in beyond[0])
        raise ValidationError(
            "range", ((j, k),),
            f"operation {k} of job {j} starts at {start[j, k]}, beyond 2**62: its end time "
            "would not fit in 64 bits",
        )
    end = start + instance.durations
    late = np.argwhere(end[:, :-1] > start[:, 1:])
    if late.size:
        j, k = (int(v) for v in late[0])
        raise ValidationError(
            "precedence", ((j, k), (j, k + 1)),
            f"job {j}: operation {k + 1} starts at {start[j, k + 1]} before operation {k} ends "
            f"at {end[j, k]}",
        )
    if release is not None:
        early = np.nonzero(start[:, 0] < np.asarray(release))[0]
        if early.size:
            j = int(early[0])
            raise ValidationError(
                "release", ((j, 0),),
                f"job {j} starts at {start[j, 0]} before its release date {release[j]}",
            )
    for m in range(instance.n_machines):
        jobs, ops = np.nonzero(instance.machines == m)
        # by start, then end: an operation of length 0 may share its start with the next
        order = np.lexsort((end[jobs, ops], start[jobs, ops]))
        jobs, ops = jobs[order], ops[order]
        s, e = start[jobs, ops], end[jobs, ops]
        clash = np.nonzero(e[:-1] > s[1:])[0]
        if clash.size:
            i = int(clash[0])
            a, b = (int(jobs[i]), int(ops[i])), (int(jobs[i + 1]), int(ops[i + 1]))
            raise ValidationError(
                "no-overlap", (a, b),
                f"machine {m}: job {a[0]} op {a[1]} runs [{s[i]}, {e[i]}) and job {b[0]} op "
                f"{b[1]} starts at {s[i + 1]}",
            )
    return int(end.max())
