"""numba kernels of the job-shop dispatching simulator.

Everything here is a plain function over arrays (struct of arrays), so one instance and a batch
of instances run through the same code. The state of one instance lives in six int64 arrays:

``static``      ``(3, J, O)`` rows ``MACHINE``, ``DURATION``, ``RELEASE`` per operation
``job_state``   ``(5, J)`` rows ``NEXT`` (next operation), ``READY`` (end of the job's last
                scheduled operation), ``LB_END`` (lower bound of the job's completion),
                ``N_OPS``, ``WORK_LEFT`` (duration of its unscheduled operations)
``op_start``    ``(J, O)`` start of each operation, ``-1`` while unscheduled
``mach_state``  ``(5, M)`` rows ``READY`` (end of the machine's last operation), ``COUNT``
                (operations on it), ``LOAD_LEFT`` (unscheduled work), ``BUSY`` (scheduled work),
                ``TOTAL`` (operations it must run)
``mach_slots``  ``(2, M, S)`` start and end of the operations on each machine, sorted by start
``counters``    ``(3,)`` ``SCHEDULED``, ``MAKESPAN`` (of the partial schedule), ``LOWER_BOUND``

An action dispatches job ``j``'s next operation. Where it starts depends on the
schedule-generation scheme:

* ``NON_DELAY``: only jobs whose next operation can start at the earliest time any operation can
  start are legal; the operation goes at the end of its machine's sequence.
* ``ACTIVE`` (Giffler-Thompson): take the operation with the earliest possible completion ``c``
  (lowest job on ties) and its machine ``m``; legal are the jobs whose next operation needs ``m``
  and can start before ``c``; the operation goes at the end of its machine's sequence.
* ``INSERTION``: every unfinished job is legal; the operation starts at the earliest time its job
  and its machine allow, filling an idle gap on the machine where it fits.

The lower bound is the one of L2D (Zhang et al., 2020): a job's unscheduled operations follow
its last scheduled one back to back, ignoring machine conflicts.
"""

from __future__ import annotations

import numpy as np
from numba import njit

NON_DELAY, ACTIVE, INSERTION = 0, 1, 2
SCHEMES: dict[str, int] = {"non-delay": NON_DELAY, "active": ACTIVE, "insertion": INSERTION}

MACHINE, DURATION, RELEASE = 0, 1, 2
NEXT, READY, LB_END, N_OPS, WORK_LEFT = 0, 1, 2, 3, 4
M_READY, M_COUNT, M_LOAD_LEFT, M_BUSY, M_TOTAL = 0, 1, 2, 3, 4
SCHEDULED, MAKESPAN, LOWER_BOUND = 0, 1, 2

# Dispatching rules: the job with the smallest key wins, the lowest index on ties.
SPT, LPT, MWKR, LWKR, MOPNR, FIFO, FDD_MWKR, RANDOM = 0, 1, 2, 3, 4, 5, 6, 7
RULES: dict[str, int] = {
    "spt": SPT,
    "lpt": LPT,
    "mwkr": MWKR,
    "lwkr": LWKR,
    "mopnr": MOPNR,
    "fifo": FIFO,
    "fdd-mwkr": FDD_MWKR,
    "random": RANDOM,
}
_LAST_IN_LINE = 1e300

OP_FEATURES = (
    "duration",
    "earliest_start",
    "earliest_end",
    "scheduled",
    "ready",
    "job_work_left",
    "progress",
    "valid",
)
JOB_FEATURES = (
    "unfinished",
    "next_duration",
    "next_earliest_start",
    "ready_time",
    "work_left",
    "ops_left",
)
MACHINE_FEATURES = ("ready_time", "load_left", "busy_time", "ops_left")


def allocate(n_jobs: int, n_ops: int, n_machines: int, slots: int) -> tuple[np.ndarray, ...]:
    """Zeroed state arrays ``(static, job_state, op_start, mach_state, mach_slots, counters)``."""
    return (
        np.zeros((3, n_jobs, n_ops), dtype=np.int64),
        np.zeros((5, n_jobs), dtype=np.int64),
        np.full((n_jobs, n_ops), -1, dtype=np.int64),
        np.zeros((5, n_machines), dtype=np.int64),
        np.zeros((2, n_machines, slots), dtype=np.int64),
        np.zeros(3, dtype=np.int64),
    )


@njit(cache=True)
def _chain_end(static, job_state, j):
    """Completion of job ``j`` if its unscheduled operations ran back to back from now."""
    t = job_state[READY, j]
    for k in range(job_state[NEXT, j], job_state[N_OPS, j]):
        t = max(t, static[RELEASE, j, k]) + static[DURATION, j, k]
    return t


@njit(cache=True)
def reset_state(static, job_state, op_start, mach_state, mach_slots, counters):
    """Empty schedule over the instance already written in ``static`` and ``job_state[N_OPS]``."""
    n_jobs = job_state.shape[1]
    op_start[:, :] = -1
    mach_state[:, :] = 0
    counters[:] = 0
    lower_bound = 0
    for j in range(n_jobs):
        job_state[NEXT, j] = 0
        job_state[READY, j] = 0
        work = 0
        for k in range(job_state[N_OPS, j]):
            work += static[DURATION, j, k]
            mach_state[M_LOAD_LEFT, static[MACHINE, j, k]] += static[DURATION, j, k]
            mach_state[M_TOTAL, static[MACHINE, j, k]] += 1
        job_state[WORK_LEFT, j] = work
        job_state[LB_END, j] = _chain_end(static, job_state, j)
        lower_bound = max(lower_bound, job_state[LB_END, j])
    counters[LOWER_BOUND] = lower_bound


@njit(cache=True)
def earliest_start(static, job_state, mach_state, j):
    """Earliest start of job ``j``'s next operation at the end of its machine's sequence."""
    k = job_state[NEXT, j]
    start = max(job_state[READY, j], static[RELEASE, j, k])
    return max(start, mach_state[M_READY, static[MACHINE, j, k]])


@njit(cache=True)
def legal_mask(scheme, static, job_state, mach_state, mask):
    """Write the legal jobs under ``scheme`` into ``mask`` (0/1) and return how many there are."""
    n_jobs = job_state.shape[1]
    mask[:] = 0
    best = np.iinfo(np.int64).max
    best_job = -1
    for j in range(n_jobs):
        if job_state[NEXT, j] >= job_state[N_OPS, j]:
            continue
        if scheme == INSERTION:
            mask[j] = 1
            best_job = j
            continue
        start = earliest_start(static, job_state, mach_state, j)
        key = start
        if scheme == ACTIVE:
            key = start + static[DURATION, j, job_state[NEXT, j]]
        if key < best:
            best = key
            best_job = j
    if best_job < 0:
        return 0
    if scheme == INSERTION:
        return int(mask.sum())
    count = 0
    machine = static[MACHINE, best_job, job_state[NEXT, best_job]]
    for j in range(n_jobs):
        if job_state[NEXT, j] >= job_state[N_OPS, j]:
            continue
        start = earliest_start(static, job_state, mach_state, j)
        if scheme == NON_DELAY:
            legal = start == best
        else:
            # the operation that completes first is in its own conflict set even when it lasts
            # 0 (its start is then not before its completion)
            legal = static[MACHINE, j, job_state[NEXT, j]] == machine and (
                start < best or j == best_job)
        if legal:
            mask[j] = 1
            count += 1
    return count


@njit(cache=True)
def dispatch(scheme, j, static, job_state, op_start, mach_state, mach_slots, counters):
    """Schedule job ``j``'s next operation; return its start, or -1 if the job is finished.

    Legality under the scheme is the caller's to check (``legal_mask``); this only places.
    """
    k = job_state[NEXT, j]
    if k >= job_state[N_OPS, j]:
        return -1
    machine = static[MACHINE, j, k]
    duration = static[DURATION, j, k]
    count = mach_state[M_COUNT, machine]
    start = max(job_state[READY, j], static[RELEASE, j, k])
    position = count
    if scheme == INSERTION:
        for s in range(count):
            slot_start = mach_slots[0, machine, s]
            slot_end = mach_slots[1, machine, s]
            if slot_end <= start:
                continue
            if start + duration <= slot_start:
                position = s
                break
            start = slot_end
    else:
        start = max(start, mach_state[M_READY, machine])
    for s in range(count, position, -1):
        mach_slots[0, machine, s] = mach_slots[0, machine, s - 1]
        mach_slots[1, machine, s] = mach_slots[1, machine, s - 1]
    end = start + duration
    mach_slots[0, machine, position] = start
    mach_slots[1, machine, position] = end
    mach_state[M_COUNT, machine] = count + 1
    mach_state[M_READY, machine] = max(mach_state[M_READY, machine], end)
    mach_state[M_LOAD_LEFT, machine] -= duration
    mach_state[M_BUSY, machine] += duration
    op_start[j, k] = start
    job_state[NEXT, j] = k + 1
    job_state[READY, j] = end
    job_state[WORK_LEFT, j] -= duration
    job_state[LB_END, j] = _chain_end(static, job_state, j)
    counters[SCHEDULED] += 1
    counters[MAKESPAN] = max(counters[MAKESPAN], end)
    lower_bound = 0
    for i in range(job_state.shape[1]):
        lower_bound = max(lower_bound, job_state[LB_END, i])
    counters[LOWER_BOUND] = lower_bound
    return start


@njit(cache=True)
def rule_choice(rule, static, job_state, mask):
    """The legal job that ``rule`` prefers (smallest key, lowest index on ties)."""
    best_job = -1
    best_key = np.inf
    n_legal = 0
    for j in range(job_state.shape[1]):
        if mask[j] == 0:
            continue
        n_legal += 1
        k = job_state[NEXT, j]
        duration = static[DURATION, j, k]
        work_left = job_state[WORK_LEFT, j]
        if rule == SPT:
            key = float(duration)
        elif rule == LPT:
            key = -float(duration)
        elif rule == MWKR:
            key = -float(work_left)
        elif rule == LWKR:
            key = float(work_left)
        elif rule == MOPNR:
            key = -float(job_state[N_OPS, j] - k)
        elif rule == FIFO:
            # A job's first operation is not ready before its release date.
            key = float(max(job_state[READY, j], static[RELEASE, j, k]))
        elif rule == FDD_MWKR:
            done = 0
            for i in range(k + 1):
                done += static[DURATION, j, i]
            # a job whose remaining operations all last 0 has an infinite ratio: last in line,
            # yet still chosen when it is the only legal job
            key = done / work_left if work_left > 0 else _LAST_IN_LINE
        else:
            key = 0.0
        if key < best_key:
            best_key = key
            best_job = j
    if rule == RANDOM and n_legal > 0:
        pick = np.random.randint(n_legal)
        for j in range(job_state.shape[1]):
            if mask[j] == 1:
                if pick == 0:
                    return j
                pick -= 1
    return best_job


@njit(cache=True)
def run_rule(rule, scheme, seed, static, job_state, op_start, mach_state, mach_slots, counters):
    """Build a whole schedule from the current state with a dispatching rule; return makespan."""
    np.random.seed(seed)
    mask = np.zeros(job_state.shape[1], dtype=np.int8)
    while legal_mask(scheme, static, job_state, mach_state, mask) > 0:
        j = rule_choice(rule, static, job_state, mask)
        dispatch(scheme, j, static, job_state, op_start, mach_state, mach_slots, counters)
    return counters[MAKESPAN]


@njit(cache=True)
def write_job_row(j, static, job_state, op_start, scales, op_obs):
    """Refresh the operation features of job ``j`` (only its row changes when it is dispatched)."""
    time_scale, duration_scale = scales[0], scales[1]
    n_ops = job_state[N_OPS, j]
    nxt = job_state[NEXT, j]
    t = job_state[READY, j]
    work_left = job_state[WORK_LEFT, j]
    for k in range(op_obs.shape[1]):
        if k >= n_ops:
            op_obs[j, k, :] = 0.0
            continue
        duration = static[DURATION, j, k]
        if k < nxt:
            start = op_start[j, k]
        else:
            start = max(t, static[RELEASE, j, k])
            t = start + duration
        op_obs[j, k, 0] = duration / duration_scale
        op_obs[j, k, 1] = start / time_scale
        op_obs[j, k, 2] = (start + duration) / time_scale
        op_obs[j, k, 3] = 1.0 if k < nxt else 0.0
        op_obs[j, k, 4] = 1.0 if k == nxt else 0.0
        op_obs[j, k, 5] = work_left / time_scale if k >= nxt else 0.0
        op_obs[j, k, 6] = k / n_ops
        op_obs[j, k, 7] = 1.0
        if k >= nxt:
            work_left -= duration


@njit(cache=True)
def write_summaries(scheme, static, job_state, mach_state, scales, job_obs, mach_obs, mask):
    """Refresh the job and machine features and the action mask."""
    time_scale, duration_scale = scales[0], scales[1]
    # the instance's own job count, not the padded one, so padding leaves the features alone
    n_jobs = 0
    for j in range(job_state.shape[1]):
        n_ops = job_state[N_OPS, j]
        if n_ops > 0:
            n_jobs += 1
        k = job_state[NEXT, j]
        if k >= n_ops:
            job_obs[j, :] = 0.0
            job_obs[j, 3] = job_state[READY, j] / time_scale
            continue
        job_obs[j, 0] = 1.0
        job_obs[j, 1] = static[DURATION, j, k] / duration_scale
        job_obs[j, 2] = earliest_start(static, job_state, mach_state, j) / time_scale
        job_obs[j, 3] = job_state[READY, j] / time_scale
        job_obs[j, 4] = job_state[WORK_LEFT, j] / time_scale
        job_obs[j, 5] = (n_ops - k) / n_ops
    n_jobs = max(n_jobs, 1)
    for m in range(mach_state.shape[1]):
        mach_obs[m, 0] = mach_state[M_READY, m] / time_scale
        mach_obs[m, 1] = mach_state[M_LOAD_LEFT, m] / time_scale
        mach_obs[m, 2] = mach_state[M_BUSY, m] / time_scale
        mach_obs[m, 3] = (mach_state[M_TOTAL, m] - mach_state[M_COUNT, m]) / n_jobs
    legal_mask(scheme, static, job_state, mach_state, mask)


@njit(cache=True)
def write_observation(scheme, static, job_state, op_start, mach_state, scales, op_obs, job_obs,
                      mach_obs, mask):
    """Write every observation array from scratch (after a reset)."""
    for j in range(job_state.shape[1]):
        write_job_row(j, static, job_state, op_start, scales, op_obs)
    write_summaries(scheme, static, job_state, mach_state, scales, job_obs, mach_obs, mask)


@njit(cache=True)
def step_observed(scheme, j, static, job_state, op_start, mach_state, mach_slots, counters,
                  scales, op_obs, job_obs, mach_obs, mask):
    """Dispatch job ``j`` and update the observation incrementally; return the start time."""
    start = dispatch(scheme, j, static, job_state, op_start, mach_state, mach_slots, counters)
    write_job_row(j, static, job_state, op_start, scales, op_obs)
    write_summaries(scheme, static, job_state, mach_state, scales, job_obs, mach_obs, mask)
    return start


@njit(cache=True)
def step_batch(scheme, actions, static, job_state, op_start, mach_state, mach_slots, counters,
               scales, op_obs, job_obs, mach_obs, mask, lower_bound_before, needs_reset):
    """Step every instance of a batch (leading axis); instances flagged in ``needs_reset`` are
    reset instead of stepped. ``lower_bound_before`` receives each lower bound before the step.
    """
    for b in range(actions.shape[0]):
        if needs_reset[b]:
            reset_state(static[b], job_state[b], op_start[b], mach_state[b], mach_slots[b],
                        counters[b])
            write_observation(scheme, static[b], job_state[b], op_start[b], mach_state[b],
                              scales[b], op_obs[b], job_obs[b], mach_obs[b], mask[b])
            lower_bound_before[b] = counters[b, LOWER_BOUND]
            continue
        lower_bound_before[b] = counters[b, LOWER_BOUND]
        step_observed(scheme, actions[b], static[b], job_state[b], op_start[b], mach_state[b],
                      mach_slots[b], counters[b], scales[b], op_obs[b], job_obs[b], mach_obs[b],
                      mask[b])
