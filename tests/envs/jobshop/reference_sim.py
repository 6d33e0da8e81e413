"""A plain-Python job-shop dispatcher, written from the documented semantics of ``sim.py``.

It shares no code with the numba kernels, so agreement between the two is evidence that both
follow the documentation rather than each other. Clarity wins over speed throughout.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from fractions import Fraction

from decisiongym.envs.jobshop.instance import JobShopInstance

SCHEMES = ("non-delay", "active", "insertion")
DETERMINISTIC_RULES = ("spt", "lpt", "mwkr", "lwkr", "mopnr", "fifo", "fdd-mwkr")


class ReferenceSim:
    """Dispatching state of one instance: per job its next operation and the time it is free,
    per machine the ``(start, end)`` intervals it runs, sorted by start.

    :param instance: the problem.
    :param scheme: schedule-generation scheme, ``"non-delay"``, ``"active"`` or ``"insertion"``.
    :param release: optional release date of each job (its first operation starts no earlier).
    """

    def __init__(
        self, instance: JobShopInstance, scheme: str, release: Sequence[int] | None = None
    ) -> None:
        if scheme not in SCHEMES:
            raise ValueError(f"unknown scheme {scheme!r}")
        self.scheme = scheme
        self.routes: list[list[tuple[int, int]]] = [
            [(int(m), int(d)) for m, d in zip(machines, durations, strict=True)]
            for machines, durations in zip(instance.machines, instance.durations, strict=True)
        ]
        n_jobs = len(self.routes)
        # Before its first operation a job is free from its release date on.
        self.job_ready: list[int] = [0] * n_jobs if release is None else [int(r) for r in release]
        self.next_op: list[int] = [0] * n_jobs
        self.machine_intervals: list[list[tuple[int, int]]] = [
            [] for _ in range(instance.n_machines)
        ]
        self.start: list[list[int]] = [[-1] * len(route) for route in self.routes]

    # -- queries -------------------------------------------------------------------------------

    @property
    def n_jobs(self) -> int:
        return len(self.routes)

    def unfinished(self) -> list[int]:
        return [j for j in range(self.n_jobs) if self.next_op[j] < len(self.routes[j])]

    @property
    def done(self) -> bool:
        return not self.unfinished()

    def next_operation(self, job: int) -> tuple[int, int]:
        """``(machine, duration)`` of the job's next operation."""
        return self.routes[job][self.next_op[job]]

    def machine_free(self, machine: int) -> int:
        intervals = self.machine_intervals[machine]
        return intervals[-1][1] if intervals else 0

    def append_start(self, job: int) -> int:
        """When the job's next operation could start if put after everything on its machine."""
        machine, _ = self.next_operation(job)
        return max(self.job_ready[job], self.machine_free(machine))

    def legal_jobs(self, scheme: str | None = None) -> list[int]:
        """Jobs that may be dispatched now, under this simulator's scheme unless told another."""
        scheme = scheme or self.scheme
        jobs = self.unfinished()
        if not jobs or scheme == "insertion":
            return jobs
        if scheme == "non-delay":
            earliest = min(self.append_start(j) for j in jobs)
            return [j for j in jobs if self.append_start(j) == earliest]
        if scheme == "active":
            # min() keeps the first of equal keys, so the lowest job wins ties.
            first = min(jobs, key=lambda j: self.append_start(j) + self.next_operation(j)[1])
            completion = self.append_start(first) + self.next_operation(first)[1]
            machine = self.next_operation(first)[0]
            # ``first`` conflicts with itself even when it lasts 0 (then it starts at completion)
            return [
                j for j in jobs
                if self.next_operation(j)[0] == machine
                and (self.append_start(j) < completion or j == first)
            ]
        raise ValueError(f"unknown scheme {scheme!r}")

    @property
    def makespan(self) -> int:
        return max((end for ivs in self.machine_intervals for _, end in ivs), default=0)

    @property
    def lower_bound(self) -> int:
        """L2D bound: each job's unscheduled operations run back to back after its last one."""
        return max(
            self.job_ready[j] + sum(d for _, d in self.routes[j][self.next_op[j]:])
            for j in range(self.n_jobs)
        )

    def work_left(self, job: int) -> int:
        return sum(d for _, d in self.routes[job][self.next_op[job]:])

    # -- actions -------------------------------------------------------------------------------

    def dispatch(self, job: int) -> int:
        """Place the job's next operation (legality is not checked); return its start."""
        machine, duration = self.next_operation(job)
        intervals = self.machine_intervals[machine]
        if self.scheme == "insertion":
            start = self.job_ready[job]
            for busy_start, busy_end in intervals:
                if start + duration <= busy_start:
                    break  # fits in the idle gap before this interval
                start = max(start, busy_end)
        else:
            start = self.append_start(job)
        bisect.insort(intervals, (start, start + duration))
        self.start[job][self.next_op[job]] = start
        self.next_op[job] += 1
        self.job_ready[job] = start + duration
        return start

    def rule_key(self, rule: str, job: int) -> Fraction | float:
        """Priority of a job under a rule; the smallest wins."""
        k = self.next_op[job]
        _, duration = self.next_operation(job)
        if rule == "spt":
            return Fraction(duration)
        if rule == "lpt":
            return Fraction(-duration)
        if rule == "mwkr":
            return Fraction(-self.work_left(job))
        if rule == "lwkr":
            return Fraction(self.work_left(job))
        if rule == "mopnr":
            return Fraction(-(len(self.routes[job]) - k))
        if rule == "fifo":
            return Fraction(self.job_ready[job])
        if rule == "fdd-mwkr":
            flow_due = sum(d for _, d in self.routes[job][: k + 1])
            work_left = self.work_left(job)
            # nothing left to do: an infinite ratio, last in line
            return Fraction(flow_due, work_left) if work_left else math.inf
        raise ValueError(f"unknown deterministic rule {rule!r}")

    def run_rule(self, rule: str) -> int:
        """Finish the schedule with a dispatching rule; return the makespan."""
        while legal := self.legal_jobs():
            self.dispatch(min(legal, key=lambda j: self.rule_key(rule, j)))
        return self.makespan
