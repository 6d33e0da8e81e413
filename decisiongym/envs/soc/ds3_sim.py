"""The SoC simulator's DS3-compatible mode: numba kernels that run a whole stream under DS3's
own scheduling semantics (``SoCSimulator(..., mode="ds3")`` is their Python face).

The default mode (:mod:`decisiongym.envs.soc.sim`) fixes a task's start when it is committed
and runs each PE's tasks in commit order. DS3 (github.com/segemena/DS3, ``DASH_Sim_core.py``,
``scheduler.py``, ``job_generator.py`` and ``processing_element.py``) does not; this mode follows
it on every point below, in continuous time (DS3 ticks every µs).

Scheduling points
-----------------
DS3 calls its scheduler whenever its ready list is not empty, whether or not a PE is idle, and
the scheduler maps *every* ready task to a PE. Here that happens at every event time at which
tasks became ready: completions are applied first (the successors whose last predecessor
finished join the ready list in task order, as DS3 scans its outstanding list), then arrivals
(a new job's entry tasks in task order), then the rule maps the ready list.

Back-filling, oldest job first
------------------------------
A mapped task joins DS3's *executable list*, stamped with the time its data reach its PE
(``max over predecessors of finish + transfer``, the arrival time for an entry task). The list
is kept sorted by job (a stable sort: within a job, in mapping order). At every event time,
after mapping, the list is scanned in that order and each task whose stamp has passed starts
at once if its PE is not running a task. So a PE takes, whenever it falls idle, the first
task mapped to it of the oldest job whose data are there: a task of an older job, or one whose
data arrived first, overtakes tasks mapped earlier. Stamps are events of their own.

Jobs in flight
--------------
At most :data:`DS3_MAX_JOBS_IN_FLIGHT` jobs (DS3's ``max_jobs_in_parallel``) are in the system.
A job due while that many are in flight is *delayed*, not dropped: it enters when a job
completes. DS3's generator draws the gap to the next job after each injection, so every later
job is delayed by the same amount: job ``j + 1`` is due ``arrival[j + 1] - arrival[j]`` after
job ``j`` actually entered. A job's latency runs from its entry (DS3's ``job_start``).

The rules (DS3's ``scheduler.py``)
----------------------------------
``met``  each ready task, in ready-list order, to a PE of least mean cost. With several such
         PEs, when some are running a task and some are not, DS3 means to drop the busy ones
         but drops, once per busy PE, the entry at the position of the *first* busy one in the
         shrinking list (``list.index`` on the unchanged flags), so an idle PE can go and a busy
         one stay; among the PEs left, the one given fewest tasks in this call, the first on
         ties. "Busy" is running a task now; tasks waiting in the executable list do not count.
``stf``  DS3 picks tasks shortest first but only writes each one's PE, never reordering the
         list it hands on, so tasks enter the executable list in ready-list order; each goes to
         the lowest-numbered PE of least mean cost, busy or not.
``etf``  over all (ready task, PE) pairs, the pair of least estimated finish
         ``max(now, available(q), data_ready(t, q)) + cost(t, q)``; ties to the task earlier in
         the ready list, then the lower PE; the PE's ``available`` becomes that finish; repeat.
         Tasks enter the executable list in the order they were picked.
``eft``  each ready task in ready-list order to its PE of least estimated finish (lowest PE on
         ties); ``available`` updated the same way.

``available(q)`` is DS3's ``available_time``: the estimate written at mapping, never corrected
when the PE actually finishes (it starts at 0). Schedulers see mean costs; tasks run for their
noisy durations as in the default mode.

What is not modelled: DS3's 1 µs tick (its transfer times are truncated to whole µs, a
zero-time task's successors wait for the next tick, and tasks finishing at the same tick are
applied in SimPy's event order, here in row order), DVFS and thermal management (DS3's
performance governor keeps the highest frequency, which this platform's costs are).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from decisiongym.envs.soc.sim import (
    ARRIVAL,
    AT,
    BLOCKED,
    BUSY_UNTIL,
    COMMIT_ORDER,
    COMMITTED,
    COMPLETION,
    DONE,
    EST_FINISH,
    EST_FREE,
    FINISH,
    FINISHED,
    FLOOR,
    HEAP_ROW,
    HEAP_SIZE,
    HORIZON,
    HORIZON_REACHED,
    JOB,
    LOCAL,
    MULT,
    N_COMMITTED,
    N_DONE,
    N_DONE_JOBS,
    N_READY,
    NEXT_JOB,
    NOW,
    PE,
    READY,
    READY_LIST,
    START,
    STATUS,
    WAITING,
    _heap_pop,
    _heap_push,
    data_ready,
)

DS3_MAX_JOBS_IN_FLIGHT = 12
"""DS3's ``max_jobs_in_parallel`` (``config_file.ini``): jobs allowed in the system at once."""

RUNNING = 4
"""Row status of a task that has started and not finished (the default mode has no such
state: there a committed task's start is fixed at once)."""

DS3_MET, DS3_ETF, DS3_EFT, DS3_STF = 0, 1, 2, 3
DS3_RULES: dict[str, int] = {"met": DS3_MET, "etf": DS3_ETF, "eft": DS3_EFT, "stf": DS3_STF}
"""DS3's schedulers this mode runs, by name (module docstring)."""

# ds3_counters
N_EXECUTABLE, IN_FLIGHT = 0, 1
N_DS3_COUNTERS = 2


@njit(cache=True)
def _make_ready(r, row_state, queue, counters):
    row_state[STATUS, r] = READY
    queue[READY_LIST, counters[N_READY]] = r
    counters[N_READY] += 1


@njit(cache=True)
def _complete(r, row_static, row_state, job_left, job_time, queue, counters, ds3_counters,
              clock, succ_ptr, succ_local):
    """Finish row ``r``: its successors that became ready join the ready list in row order."""
    now = clock[NOW]
    row_state[STATUS, r] = DONE
    counters[N_DONE] += 1
    at = row_static[AT, r]
    base = r - row_static[LOCAL, r]
    first_new = counters[N_READY]
    for i in range(succ_ptr[at], succ_ptr[at + 1]):
        s = base + succ_local[i]
        row_state[WAITING, s] -= 1
        if row_state[WAITING, s] == 0:
            # insertion into row order among this completion's new ready tasks
            k = counters[N_READY]
            while k > first_new and queue[READY_LIST, k - 1] > s:
                queue[READY_LIST, k] = queue[READY_LIST, k - 1]
                k -= 1
            queue[READY_LIST, k] = s
            row_state[STATUS, s] = READY
            counters[N_READY] += 1
    j = row_static[JOB, r]
    job_left[j] -= 1
    if job_left[j] == 0:
        job_time[COMPLETION, j] = now
        counters[N_DONE_JOBS] += 1
        ds3_counters[IN_FLIGHT] -= 1


@njit(cache=True)
def _due(j, nominal, job_time):
    """When job ``j`` is due: its arrival for the first job, else the previous job's entry
    plus the nominal gap between the two."""
    if j == 0:
        return nominal[0]
    return job_time[ARRIVAL, j - 1] + (nominal[j] - nominal[j - 1])


@njit(cache=True)
def _to_executable(r, q, ready_at, row_static, row_state, stamp, executable, queue, counters,
                   ds3_counters):
    """Map row ``r`` to PE ``q`` and insert it after the last executable task of its job or
    an older one (DS3's stable sort by job)."""
    row_state[STATUS, r] = COMMITTED
    row_state[PE, r] = q
    stamp[r] = ready_at
    job = row_static[JOB, r]
    k = ds3_counters[N_EXECUTABLE]
    while k > 0 and row_static[JOB, executable[k - 1]] > job:
        executable[k] = executable[k - 1]
        k -= 1
    executable[k] = r
    ds3_counters[N_EXECUTABLE] += 1
    queue[COMMIT_ORDER, counters[N_COMMITTED]] = r
    counters[N_COMMITTED] += 1


@njit(cache=True)
def _met_pe(at, cost, min_cost, pe_time, now, assigned):
    """DS3's MET choice for app-task ``at`` (module docstring), its list removal included."""
    n_pes = cost.shape[1]
    candidates = np.empty(n_pes, dtype=np.int64)
    n = 0
    for q in range(n_pes):
        if cost[at, q] == min_cost[at]:
            candidates[n] = q
            n += 1
    if n > 1:
        first_busy = -1
        n_busy = 0
        for i in range(n):
            if pe_time[BUSY_UNTIL, candidates[i]] > now:
                n_busy += 1
                if first_busy < 0:
                    first_busy = i
        if 0 < n_busy < n:
            # n_busy removals, each at the first busy PE's original position
            for i in range(first_busy, n - n_busy):
                candidates[i] = candidates[i + n_busy]
            n -= n_busy
    best = candidates[0]
    for i in range(1, n):
        if assigned[candidates[i]] < assigned[best]:
            best = candidates[i]
    return best


@njit(cache=True)
def _lowest_fastest_pe(at, cost, min_cost):
    for q in range(cost.shape[1]):
        if cost[at, q] == min_cost[at]:
            return q
    return -1


@njit(cache=True)
def map_ready(rule, cost, min_cost, row_static, row_state, row_time, pe_time, queue, stamp,
              executable, counters, ds3_counters, clock, pred_ptr, pred_local, pred_volume,
              bandwidth):
    """Map every ready task to a PE with one of DS3's rules and move it to the executable
    list (module docstring)."""
    n = counters[N_READY]
    if n == 0:
        return
    n_pes = cost.shape[1]
    now = clock[NOW]
    rows = queue[READY_LIST, :n].copy()
    if rule == DS3_MET or rule == DS3_STF:
        assigned = np.zeros(n_pes, dtype=np.int64)
        for k in range(n):
            r = rows[k]
            at = row_static[AT, r]
            if rule == DS3_MET:
                q = _met_pe(at, cost, min_cost, pe_time, now, assigned)
            else:
                q = _lowest_fastest_pe(at, cost, min_cost)
            assigned[q] += 1
            ready_at = max(now, data_ready(r, q, row_static, row_state, row_time, pred_ptr,
                                           pred_local, pred_volume, bandwidth, clock))
            _to_executable(r, q, ready_at, row_static, row_state, stamp, executable, queue,
                           counters, ds3_counters)
    else:
        ready_at = np.full((n, n_pes), np.inf)
        for k in range(n):
            at = row_static[AT, rows[k]]
            for q in range(n_pes):
                if np.isfinite(cost[at, q]):
                    ready_at[k, q] = max(now, data_ready(rows[k], q, row_static, row_state,
                                                         row_time, pred_ptr, pred_local,
                                                         pred_volume, bandwidth, clock))
        alive = np.ones(n, dtype=np.bool_)
        for step in range(n):
            pick, pick_q, pick_ef = -1, -1, np.inf
            for k in range(n):
                if not alive[k] or (rule == DS3_EFT and k != step):
                    continue
                at = row_static[AT, rows[k]]
                for q in range(n_pes):
                    if not np.isfinite(cost[at, q]):
                        continue
                    ef = max(now, pe_time[EST_FREE, q], ready_at[k, q]) + cost[at, q]
                    # strict: the earlier task, then the lower PE, keep a tie
                    if ef < pick_ef:
                        pick, pick_q, pick_ef = k, q, ef
            alive[pick] = False
            pe_time[EST_FREE, pick_q] = pick_ef
            row_time[EST_FINISH, rows[pick]] = pick_ef
            _to_executable(rows[pick], pick_q, ready_at[pick, pick_q], row_static, row_state,
                           stamp, executable, queue, counters, ds3_counters)
    counters[N_READY] = 0


@njit(cache=True)
def dispatch(cost, row_static, row_state, row_time, pe_time, queue, heap_time, stamp,
             executable, counters, ds3_counters, clock):
    """Start, in executable-list order, every task whose data are on its PE and whose PE is
    not running a task."""
    now = clock[NOW]
    kept = 0
    for i in range(ds3_counters[N_EXECUTABLE]):
        r = executable[i]
        q = row_state[PE, r]
        if stamp[r] <= now and pe_time[BUSY_UNTIL, q] <= now:
            mean = cost[row_static[AT, r], q]
            duration = max(mean * row_time[MULT, r], min(clock[FLOOR], mean))
            row_state[STATUS, r] = RUNNING
            row_time[START, r] = now
            row_time[FINISH, r] = now + duration
            pe_time[BUSY_UNTIL, q] = now + duration
            _heap_push(heap_time, queue[HEAP_ROW], counters, now + duration, r)
        else:
            executable[kept] = r
            kept += 1
    ds3_counters[N_EXECUTABLE] = kept


@njit(cache=True)
def _next_stamp(stamp, executable, ds3_counters, now):
    t = np.inf
    for i in range(ds3_counters[N_EXECUTABLE]):
        s = stamp[executable[i]]
        if now < s < t:
            t = s
    return t


@njit(cache=True)
def run_ds3(rule, cap, cost, min_cost, row_static, row_state, row_time, job_first, job_left,
            job_time, nominal, pe_time, queue, heap_time, stamp, executable, counters,
            ds3_counters, clock, pred_ptr, pred_local, pred_volume, succ_ptr, succ_local,
            bandwidth):
    """Simulate a whole stream from a reset state in DS3's semantics; ``job_time[ARRIVAL]``
    receives each job's entry time (NaN for jobs that never entered). Returns ``FINISHED`` or
    ``HORIZON_REACHED``.

    :param cap: most jobs in flight (:data:`DS3_MAX_JOBS_IN_FLIGHT`).
    :param nominal: ``(J,)`` the workload's arrival times, whose gaps are kept.
    """
    n_jobs = job_left.shape[0]
    job_time[ARRIVAL, :] = np.nan
    stamp[:] = np.nan
    ds3_counters[:] = 0
    pe_time[EST_FREE, :] = 0.0
    while True:
        t = np.inf
        if counters[HEAP_SIZE] > 0:
            t = heap_time[0]
        nxt = counters[NEXT_JOB]
        if nxt < n_jobs and ds3_counters[IN_FLIGHT] < cap:
            t = min(t, max(_due(nxt, nominal, job_time), clock[NOW]))
        t = min(t, _next_stamp(stamp, executable, ds3_counters, clock[NOW]))
        if t == np.inf:
            return FINISHED
        if t > clock[HORIZON]:
            clock[NOW] = max(clock[NOW], clock[HORIZON])
            return HORIZON_REACHED
        clock[NOW] = max(clock[NOW], t)
        now = clock[NOW]
        while counters[HEAP_SIZE] > 0 and heap_time[0] <= now:
            r = _heap_pop(heap_time, queue[HEAP_ROW], counters)
            _complete(r, row_static, row_state, job_left, job_time, queue, counters,
                      ds3_counters, clock, succ_ptr, succ_local)
        while (counters[NEXT_JOB] < n_jobs and ds3_counters[IN_FLIGHT] < cap
               and _due(counters[NEXT_JOB], nominal, job_time) <= now):
            j = counters[NEXT_JOB]
            job_time[ARRIVAL, j] = now
            for r in range(job_first[j], job_first[j + 1]):
                if row_state[WAITING, r] == 0 and row_state[STATUS, r] == BLOCKED:
                    _make_ready(r, row_state, queue, counters)
            counters[NEXT_JOB] = j + 1
            ds3_counters[IN_FLIGHT] += 1
        map_ready(rule, cost, min_cost, row_static, row_state, row_time, pe_time, queue, stamp,
                  executable, counters, ds3_counters, clock, pred_ptr, pred_local, pred_volume,
                  bandwidth)
        dispatch(cost, row_static, row_state, row_time, pe_time, queue, heap_time, stamp,
                 executable, counters, ds3_counters, clock)
