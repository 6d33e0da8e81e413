"""The job-shop problem as immutable data.

A job-shop instance has ``n_jobs`` jobs of ``n_ops`` operations each; operation ``o`` of job
``j`` runs on machine ``machines[j, o]`` for ``durations[j, o]`` time units, after operation
``o - 1`` of the same job. Machines are numbered from 0 in memory.

Files are read and written in :mod:`decisiongym.envs.jobshop.formats`, built-in instances come
from :mod:`decisiongym.envs.jobshop.catalog`, random ones from
:mod:`decisiongym.envs.jobshop.generator`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from decisiongym.envs.core.errors import InstanceFormatError
from decisiongym.envs.jobshop.bounds import check_bound

__all__ = ["MAX_HORIZON", "MAX_VALUE", "JobShopInstance", "total_work"]

MAX_VALUE = 2**62
"""Values this large cannot come from a real instance and would overflow int64 sums."""

MAX_HORIZON = 2**53
"""Largest sum of an instance's durations (its horizon: every operation in series). Below it
every start, end and makespan fits in int64 with room to spare, is exact as a float64 (the
observations and rewards), and keeps CP-SAT's model valid; Taillard's largest instances sum to
about 10**5."""


def total_work(durations: np.ndarray) -> int:
    """The sum of ``durations`` in Python integers, so it cannot overflow."""
    return sum(int(row_sum) for row_sum in np.asarray(durations, dtype=object).sum(axis=1))


def _as_int_matrix(value: Any, field: str) -> np.ndarray:
    """Return ``value`` as a fresh read-only C-contiguous int64 matrix, or raise.

    :param value: array-like of integers, jobs x operations.
    :param field: field name used in error messages.
    :return: the converted copy.
    """
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError) as exc:
        raise InstanceFormatError(
            f"{field} must be a rectangular 2-D array of integers ({exc})"
        ) from exc
    if arr.ndim != 2:
        raise InstanceFormatError(
            f"{field} must be a 2-D array (jobs x operations), found {arr.ndim} dimension(s)"
        )
    if arr.shape[0] < 1 or arr.shape[1] < 1:
        raise InstanceFormatError(
            f"{field} must have at least 1 job and 1 operation, found shape {arr.shape}"
        )
    if arr.dtype.kind == "f":
        with np.errstate(invalid="ignore"):
            whole = np.isfinite(arr) & (np.abs(arr) < MAX_VALUE)
            whole &= np.where(whole, arr, 0) == np.round(np.where(whole, arr, 0))
        if not whole.all():
            j, o = (int(i) for i in np.argwhere(~whole)[0])
            raise InstanceFormatError(
                f"{field} must be integers, found {arr[j, o].item()!r} for job {j}, operation {o}"
            )
    elif arr.dtype.kind not in "iu":
        raise InstanceFormatError(f"{field} must be integers, found dtype {arr.dtype}")
    # A copy, so freezing it never freezes the caller's array.
    out = np.array(arr, dtype=np.int64, order="C", copy=True)
    out.flags.writeable = False
    return out


@dataclass(frozen=True, eq=False)
class JobShopInstance:
    """An immutable job-shop instance.

    :param machines: machine of each operation, shape (n_jobs, n_ops), ids from 0.
    :param durations: processing time of each operation, same shape, all >= 0 and not all 0
        (OR-Library's orb07 has an operation of length 0).
    :param name: instance name.
    :param n_machines: number of machines; 0 infers ``machines.max() + 1``.
    :param lower_bound: best known lower bound on the optimal makespan, if any.
    :param upper_bound: best known makespan, if any.
    """

    machines: np.ndarray
    durations: np.ndarray
    name: str = "unnamed"
    n_machines: int = 0
    lower_bound: int | None = None
    upper_bound: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str):
            raise InstanceFormatError(f"name must be a string, found {self.name!r}")
        machines = _as_int_matrix(self.machines, "machines")
        durations = _as_int_matrix(self.durations, "durations")
        if machines.shape != durations.shape:
            raise InstanceFormatError(
                f"machines and durations must have the same shape, found {machines.shape} "
                f"and {durations.shape}"
            )
        bad = np.argwhere((durations < 0) | (durations >= MAX_VALUE))
        if bad.size:
            j, o = (int(i) for i in bad[0])
            raise InstanceFormatError(
                f"durations must be >= 0, found {durations[j, o]} for job {j}, operation {o}"
                if durations[j, o] < 0
                else f"durations must be < 2**62, found {durations[j, o]} for job {j}, "
                f"operation {o}"
            )
        horizon = total_work(durations)
        if horizon > MAX_HORIZON:
            raise InstanceFormatError(
                f"durations add up to {horizon}, above the limit of 2**53 on an instance's "
                "horizon (every operation in series); scale the durations down"
            )
        if durations.size and not durations.any():
            raise InstanceFormatError("durations are all 0: the instance has no work to schedule")
        if isinstance(self.n_machines, bool) or not isinstance(self.n_machines, (int, np.integer)):
            raise InstanceFormatError(f"n_machines must be an integer, found {self.n_machines!r}")
        n_machines = int(self.n_machines)
        if n_machines < 0:
            raise InstanceFormatError(f"n_machines must be >= 0 (0 infers it), found {n_machines}")
        if n_machines == 0:
            n_machines = max(int(machines.max()) + 1, 1)
        bad = np.argwhere((machines < 0) | (machines >= n_machines))
        if bad.size:
            j, o = (int(i) for i in bad[0])
            raise InstanceFormatError(
                f"machines must be in 0..{n_machines - 1}, found {machines[j, o]} for job {j}, "
                f"operation {o}"
            )
        lower = check_bound(self.lower_bound, "lower_bound")
        upper = check_bound(self.upper_bound, "upper_bound")
        if lower is not None and upper is not None and lower > upper:
            raise InstanceFormatError(
                f"lower_bound must not exceed upper_bound, found {lower} > {upper}"
            )
        object.__setattr__(self, "machines", machines)
        object.__setattr__(self, "durations", durations)
        object.__setattr__(self, "n_machines", n_machines)
        object.__setattr__(self, "lower_bound", lower)
        object.__setattr__(self, "upper_bound", upper)

    @property
    def n_jobs(self) -> int:
        """Number of jobs."""
        return int(self.machines.shape[0])

    @property
    def n_ops(self) -> int:
        """Number of operations per job."""
        return int(self.machines.shape[1])

    @property
    def n_operations(self) -> int:
        """Total number of operations."""
        return int(self.machines.size)

    @property
    def optimal(self) -> bool:
        """Whether the known bounds meet, so the optimal makespan is known."""
        return self.lower_bound is not None and self.lower_bound == self.upper_bound

    @property
    def trivial_lower_bound(self) -> int:
        """Largest of the longest job's total work and the busiest machine's load."""
        loads = np.zeros(self.n_machines, dtype=np.int64)
        np.add.at(loads, self.machines.ravel(), self.durations.ravel())
        return int(max(self.durations.sum(axis=1).max(), loads.max()))

    @property
    def is_classic(self) -> bool:
        """Whether every job visits every machine exactly once (the classic JSSP)."""
        if self.n_ops != self.n_machines:
            return False
        ordered = np.sort(self.machines, axis=1)
        return bool((ordered == np.arange(self.n_machines)).all())

    def same_data(self, other: object) -> bool:
        """Whether ``other`` describes the same problem (name and bounds are ignored).

        :param other: object to compare with.
        :return: ``True`` when machines, durations and the machine count are equal.
        """
        return (
            isinstance(other, JobShopInstance)
            and self.n_machines == other.n_machines
            and np.array_equal(self.machines, other.machines)
            and np.array_equal(self.durations, other.durations)
        )

    def digest(self) -> str:
        """SHA-256 of the problem data (sizes, machines, durations), as hex.

        :return: a digest equal for instances whose :meth:`same_data` holds.
        """
        h = hashlib.sha256()
        h.update(f"{self.n_jobs} {self.n_ops} {self.n_machines}\n".encode())
        h.update(self.machines.astype("<i8").tobytes())
        h.update(self.durations.astype("<i8").tobytes())
        return h.hexdigest()

    def __repr__(self) -> str:
        size = f"{self.n_jobs}x{self.n_machines}"
        if self.n_ops != self.n_machines:
            size += f", {self.n_ops} ops per job"
        return f"JobShopInstance({self.name!r}, {size})"
