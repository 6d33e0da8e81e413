"""The timeline of an allocation problem as the exact search reads it: sections, overlaps, cuts.

A *section* is a maximal set of buffers live together: sweeping time forward, a section closes
each time a buffer dies after some buffer was born (births since the last death only add to the
live set, so the live set just before a death is maximal). Every buffer spans a contiguous run
of sections, ``[section_lower, section_upper)``; two buffers meet in time exactly when their runs
share a section. A *cut* between sections ``s`` and ``s + 1`` counts the buffers in both; where
it is zero the problem splits into two independent halves (MiniMalloc's temporal decomposition).

Everything is flat int64 arrays (compressed rows for the per-section and per-buffer lists) so
that the numba search reads them directly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from decisiongym.envs.memory.problem import AllocationProblem


@dataclass(frozen=True)
class Timeline:
    """Sections, overlaps and cuts of a problem (see the module docstring).

    :param section_lower: first section each buffer is in.
    :param section_upper: one past its last section.
    :param section_ptr: section ``s`` holds ``section_buffers[section_ptr[s]:section_ptr[s+1]]``.
    :param section_buffers: the buffers of every section, section after section.
    :param overlap_ptr: buffer ``b`` meets ``overlap_buffers[overlap_ptr[b]:overlap_ptr[b+1]]``.
    :param overlap_buffers: the buffers each buffer meets in time, buffer after buffer.
    :param cuts: ``cuts[s]`` buffers lie in both section ``s`` and ``s + 1``.
    """

    section_lower: np.ndarray
    section_upper: np.ndarray
    section_ptr: np.ndarray
    section_buffers: np.ndarray
    overlap_ptr: np.ndarray
    overlap_buffers: np.ndarray
    cuts: np.ndarray

    @property
    def n_sections(self) -> int:
        """How many sections the timeline has."""
        return int(self.section_ptr.size - 1)


@njit(cache=True)
def _overlaps(lower: np.ndarray, upper: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = lower.shape[0]
    order = np.argsort(lower, kind="mergesort")
    degree = np.zeros(n, dtype=np.int64)
    # Sorted by start: b meets a (after it in order) iff b starts before a ends.
    for x in range(n):
        a = order[x]
        for y in range(x + 1, n):
            b = order[y]
            if lower[b] >= upper[a]:
                break
            degree[a] += 1
            degree[b] += 1
    ptr = np.zeros(n + 1, dtype=np.int64)
    for b in range(n):
        ptr[b + 1] = ptr[b] + degree[b]
    fill = ptr[:-1].copy()
    buffers = np.empty(ptr[n], dtype=np.int64)
    for x in range(n):
        a = order[x]
        for y in range(x + 1, n):
            b = order[y]
            if lower[b] >= upper[a]:
                break
            buffers[fill[a]] = b
            fill[a] += 1
            buffers[fill[b]] = a
            fill[b] += 1
    return ptr, buffers


def build_timeline(problem: AllocationProblem) -> Timeline:
    """Sweep the problem's live ranges once into a :class:`Timeline`.

    :param problem: the buffers.
    :return: its sections, overlaps and cuts.
    """
    n = problem.n_buffers
    lower, upper = problem.lower, problem.upper
    # Deaths before births at the same step: [a, t) and [t, b) never meet.
    times = np.concatenate([upper, lower])
    is_birth = np.concatenate([np.zeros(n, dtype=np.int64), np.ones(n, dtype=np.int64)])
    who = np.concatenate([np.arange(n), np.arange(n)])
    events = np.lexsort((who, is_birth, times))
    section_lower = np.zeros(n, dtype=np.int64)
    section_upper = np.zeros(n, dtype=np.int64)
    live: dict[int, None] = {}
    sections: list[list[int]] = []
    born_since_death = False
    for e in events.tolist():
        b = int(who[e])
        if is_birth[e]:
            live[b] = None
            section_lower[b] = len(sections)
            born_since_death = True
        else:
            if born_since_death:
                sections.append(list(live))
                born_since_death = False
            del live[b]
            section_upper[b] = len(sections)
    section_ptr = np.zeros(len(sections) + 1, dtype=np.int64)
    section_ptr[1:] = np.cumsum([len(s) for s in sections])
    flat = [b for s in sections for b in s]
    section_buffers = np.array(flat, dtype=np.int64)
    cuts_delta = np.zeros(len(sections) + 1, dtype=np.int64)
    np.add.at(cuts_delta, section_lower, 1)
    np.add.at(cuts_delta, section_upper - 1, -1)
    cuts = np.cumsum(cuts_delta)[:max(len(sections) - 1, 0)]
    overlap_ptr, overlap_buffers = _overlaps(lower, upper)
    return Timeline(section_lower, section_upper, section_ptr, section_buffers, overlap_ptr,
                    overlap_buffers, np.ascontiguousarray(cuts, dtype=np.int64))
