"""The event-driven SoC simulator's numba kernels: plain functions over state arrays
(:class:`~decisiongym.envs.soc.simulator.SoCSimulator` is their Python face).

Model
-----
Jobs (task DAGs) arrive over time (a :class:`~decisiongym.envs.soc.workload.Workload`). A task
is *ready* once all its predecessors have finished; the data they send still has to cross the
links, so on PE ``q`` it cannot start before its *data-ready* time
``max_u finish(u) + transfer(u -> q)``, with ``transfer = startup_latency + volume / bandwidth``
between two different PEs and nothing on the same PE (:meth:`Platform.transfer_time`). That
time is computed on demand for the PE in question, as the predecessors' PEs and finish times
are known once a task is ready.

A scheduler *commits* a ready task to a PE that can run it, idle or busy. Each PE runs the tasks
committed to it one at a time in the order they were committed (a FIFO queue, no preemption,
no back-filling; DS3 back-fills from the oldest job instead, which the ``ds3`` mode of
:mod:`decisiongym.envs.soc.ds3_sim` reproduces): a task starts at
``max(commit time, end of the PE's previous task, data-ready time on that PE)`` and takes its
actual duration (the mean cost times the row's noise multiplier, see
:mod:`decisiongym.envs.soc.workload`). Since everything that decides the start is known when
the task is committed, its start and finish are fixed at that moment; the PE is *busy* until
the finish of the last task committed to it, and *idle* otherwise.

Time jumps from event to event, never tick by tick. Events are job arrivals and task
completions; all events at one time are applied together (completions first, then arrivals).
A *decision point* is a time at which at least one ready task is not committed and at least
one idle PE can run one of them. At a decision point the scheduler commits any number of
(task, PE) pairs; then time moves on to the next event, and ready tasks left uncommitted are
offered again at the next decision point.

Schedulers only see mean costs: each PE keeps an *estimated* free time, advanced by the mean
cost at each commit and reset to the true time whenever the PE runs out of work. Without noise
it is exact.

Built-in online schedulers
--------------------------
They run inside the kernel (integer codes in :data:`RULES`), so a whole stream simulates in one
call. At every decision point each commits *every* ready task (DS3's schedulers map the whole
ready list at each call, in ``scheduler.py`` of github.com/segemena/DS3). With ``EF(t, q) =
max(now, est_free(q), data_ready(t, q)) + cost(t, q)``, the estimated finish of ``t`` on ``q``:

``met-soonest``  minimum execution time, this library's variant (not DS3's MET, which the
                 ``ds3`` mode of :mod:`decisiongym.envs.soc.ds3_sim` runs): each ready task, in
                 ready-list order, goes to a PE of least mean cost, the one free soonest
                 (lowest index on ties), waiting for it if busy. DS3 prefers an idle PE, then
                 the one given fewest tasks in this call; free-soonest orders the busy ones too.
``etf``          earliest task first (DS3's ``ETF``): over all pairs of a ready task and a PE
                 that can run it, idle or busy, commit the pair of least ``EF``, update that
                 PE's estimated free time, repeat until no task is left. Ties go to the task
                 earlier in the ready list, then the lower PE index, as DS3's strict ``<`` and
                 ``list.index(min)`` do.
``eft``          earliest finish time (DS3's ``EFT``): each ready task in ready-list order to
                 the PE of least ``EF`` (lowest index on ties).
``stf-soonest``  shortest task first, this library's variant (not DS3's ``STF``): repeatedly
                 the ready task of least minimum mean cost (earlier in the list on ties), to its
                 fastest PE that is free soonest (as ``met-soonest``). DS3 takes the
                 lowest-numbered fastest PE whether busy or not, and its shortest-first order
                 never reaches its PEs (see :mod:`decisiongym.envs.soc.ds3_sim`).
``random``       each ready task to a PE drawn uniformly among those that can run it (seeded).
``round-robin``  each ready task to the first PE after the last one used, cyclically, that can
                 run it.

The ready list is in the order tasks became ready: completions in time order (lower row on
ties), each finished task's successors in edge order, and a new job's entry tasks in task
order. HEFT_RT re-plans in Python around this kernel
(:mod:`decisiongym.baselines.soc.online`).

State arrays
------------
Rows are the tasks of all jobs, job by job (:attr:`Workload.job_first`); an *app-task* is a task
of one application, numbered application by application (``app_first``).

``row_static``  ``(3, N)`` rows ``AT`` (app-task), ``LOCAL`` (task index in its graph),
                ``JOB``
``row_state``   ``(3, N)`` rows ``STATUS`` (``BLOCKED``, ``READY``, ``COMMITTED``, ``DONE``),
                ``WAITING`` (unfinished predecessors), ``PE`` (-1 until committed)
``row_time``    ``(4, N)`` rows ``MULT`` (noise multiplier), ``START``, ``FINISH``,
                ``EST_FINISH`` (the scheduler's estimate at commit)
``job_first``   ``(J + 1,)`` first row of each job; ``job_left`` ``(J,)`` unfinished tasks
``job_time``    ``(2, J)`` rows ``ARRIVAL``, ``COMPLETION`` (NaN until done)
``pe_time``     ``(2, P)`` rows ``BUSY_UNTIL`` (true end of the last committed task),
                ``EST_FREE`` (the scheduler's estimate of it)
``queue``       ``(3, N)`` rows ``READY_LIST`` (the first ``N_READY`` entries), ``HEAP_ROW``
                (completion heap, keyed by ``heap_time``), ``COMMIT_ORDER``
``counters``    ``NEXT_JOB`` (first job not yet arrived), ``N_READY``, ``HEAP_SIZE``,
                ``N_COMMITTED``, ``N_DONE``, ``N_DONE_JOBS``, ``LAST_PE`` (round-robin)
``clock``       ``NOW``, ``STARTUP`` (link startup latency), ``FLOOR`` (noise floor, µs),
                ``HORIZON`` (no event after it is applied)

and the static tables ``cost`` ``(AT, P)`` (mean µs, ``inf`` where a PE cannot run the task),
``min_cost`` ``(AT,)``, the predecessor and successor lists of every app-task in CSR form
(``pred_ptr``, ``pred_local``, ``pred_volume``, ``succ_ptr``, ``succ_local``) and
``bandwidth`` ``(P, P)``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

AT, LOCAL, JOB = 0, 1, 2
STATUS, WAITING, PE = 0, 1, 2
BLOCKED, READY, COMMITTED, DONE = 0, 1, 2, 3
MULT, START, FINISH, EST_FINISH = 0, 1, 2, 3
ARRIVAL, COMPLETION = 0, 1
BUSY_UNTIL, EST_FREE = 0, 1
READY_LIST, HEAP_ROW, COMMIT_ORDER = 0, 1, 2
NEXT_JOB, N_READY, HEAP_SIZE, N_COMMITTED, N_DONE, N_DONE_JOBS, LAST_PE = 0, 1, 2, 3, 4, 5, 6
N_COUNTERS = 7
NOW, STARTUP, FLOOR, HORIZON = 0, 1, 2, 3

# what advance() reports
DECISION, FINISHED, STALLED, HORIZON_REACHED = 0, 1, 2, 3

MET, ETF, EFT, STF, RANDOM, ROUND_ROBIN = 0, 1, 2, 3, 4, 5
RULES: dict[str, int] = {
    "met-soonest": MET,
    "etf": ETF,
    "eft": EFT,
    "stf-soonest": STF,
    "random": RANDOM,
    "round-robin": ROUND_ROBIN,
}
"""The schedulers built into the kernel, by name (module docstring)."""


# ---------------------------------------------------------------------------------------------
# numba kernels


@njit(cache=True)
def reset_state(row_static, row_state, row_time, job_first, job_left, job_time, pe_time,
                counters, clock, pred_ptr):
    """Nothing arrived, nothing committed, time 0; the static arrays are left as they are."""
    n_rows = row_static.shape[1]
    for r in range(n_rows):
        at = row_static[AT, r]
        row_state[STATUS, r] = BLOCKED
        row_state[WAITING, r] = pred_ptr[at + 1] - pred_ptr[at]
        row_state[PE, r] = -1
        row_time[START, r] = np.nan
        row_time[FINISH, r] = np.nan
        row_time[EST_FINISH, r] = np.nan
    for j in range(job_left.shape[0]):
        job_left[j] = job_first[j + 1] - job_first[j]
        job_time[COMPLETION, j] = np.nan
    pe_time[:, :] = 0.0
    counters[:] = 0
    counters[LAST_PE] = -1
    clock[NOW] = 0.0


@njit(cache=True)
def _heap_before(heap_time, heap_row, a, b):
    return heap_time[a] < heap_time[b] or (
        heap_time[a] == heap_time[b] and heap_row[a] < heap_row[b])


@njit(cache=True)
def _heap_push(heap_time, heap_row, counters, t, r):
    i = counters[HEAP_SIZE]
    counters[HEAP_SIZE] = i + 1
    heap_time[i] = t
    heap_row[i] = r
    while i > 0:
        parent = (i - 1) // 2
        if _heap_before(heap_time, heap_row, i, parent):
            heap_time[i], heap_time[parent] = heap_time[parent], heap_time[i]
            heap_row[i], heap_row[parent] = heap_row[parent], heap_row[i]
            i = parent
        else:
            break


@njit(cache=True)
def _heap_pop(heap_time, heap_row, counters):
    top = heap_row[0]
    size = counters[HEAP_SIZE] - 1
    counters[HEAP_SIZE] = size
    heap_time[0] = heap_time[size]
    heap_row[0] = heap_row[size]
    i = 0
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        if child + 1 < size and _heap_before(heap_time, heap_row, child + 1, child):
            child += 1
        if _heap_before(heap_time, heap_row, child, i):
            heap_time[i], heap_time[child] = heap_time[child], heap_time[i]
            heap_row[i], heap_row[child] = heap_row[child], heap_row[i]
            i = child
        else:
            break
    return top


@njit(cache=True)
def data_ready(r, q, row_static, row_state, row_time, pred_ptr, pred_local, pred_volume,
               bandwidth, clock):
    """When the data of every predecessor of row ``r`` (all finished) has reached PE ``q``."""
    at = row_static[AT, r]
    base = r - row_static[LOCAL, r]
    startup = clock[STARTUP]
    ready = 0.0
    for i in range(pred_ptr[at], pred_ptr[at + 1]):
        u = base + pred_local[i]
        arrival = row_time[FINISH, u]
        a = row_state[PE, u]
        v = pred_volume[i]
        if a != q and v > 0.0:
            # the same expression as Platform.transfer_time, so validate agrees exactly
            arrival = arrival + (startup + v / bandwidth[a, q])
        if arrival > ready:
            ready = arrival
    return ready


@njit(cache=True)
def _make_ready(r, row_state, queue, counters):
    row_state[STATUS, r] = READY
    queue[READY_LIST, counters[N_READY]] = r
    counters[N_READY] += 1


@njit(cache=True)
def commit(r, q, ready_at, cost, row_static, row_state, row_time, pe_time, queue, heap_time,
           counters, clock):
    """Commit ready row ``r`` to PE ``q`` whose data-ready time there is ``ready_at``; fixes its
    start and finish. The caller removes ``r`` from the ready list."""
    at = row_static[AT, r]
    mean = cost[at, q]
    now = clock[NOW]
    start = max(now, pe_time[BUSY_UNTIL, q], ready_at)
    duration = max(mean * row_time[MULT, r], min(clock[FLOOR], mean))
    finish = start + duration
    pe_time[BUSY_UNTIL, q] = finish
    estimate = max(now, pe_time[EST_FREE, q], ready_at) + mean
    pe_time[EST_FREE, q] = estimate
    row_state[STATUS, r] = COMMITTED
    row_state[PE, r] = q
    row_time[START, r] = start
    row_time[FINISH, r] = finish
    row_time[EST_FINISH, r] = estimate
    queue[COMMIT_ORDER, counters[N_COMMITTED]] = r
    counters[N_COMMITTED] += 1
    _heap_push(heap_time, queue[HEAP_ROW], counters, finish, r)


@njit(cache=True)
def _complete(r, row_static, row_state, job_left, job_time, pe_time, queue, counters, clock,
              succ_ptr, succ_local):
    now = clock[NOW]
    row_state[STATUS, r] = DONE
    counters[N_DONE] += 1
    q = row_state[PE, r]
    if pe_time[BUSY_UNTIL, q] <= now:
        # the PE ran out of work: from here the scheduler knows its free time exactly
        pe_time[EST_FREE, q] = now
    at = row_static[AT, r]
    base = r - row_static[LOCAL, r]
    for i in range(succ_ptr[at], succ_ptr[at + 1]):
        s = base + succ_local[i]
        row_state[WAITING, s] -= 1
        if row_state[WAITING, s] == 0:
            _make_ready(s, row_state, queue, counters)
    j = row_static[JOB, r]
    job_left[j] -= 1
    if job_left[j] == 0:
        job_time[COMPLETION, j] = now
        counters[N_DONE_JOBS] += 1


@njit(cache=True)
def at_decision_point(cost, row_static, pe_time, queue, counters, clock):
    """Whether some ready, uncommitted task can go to some idle PE now."""
    n_ready = counters[N_READY]
    if n_ready == 0:
        return False
    now = clock[NOW]
    for q in range(cost.shape[1]):
        if pe_time[BUSY_UNTIL, q] > now:
            continue
        for k in range(n_ready):
            if np.isfinite(cost[row_static[AT, queue[READY_LIST, k]], q]):
                return True
    return False


@njit(cache=True)
def advance(cost, row_static, row_state, row_time, job_first, job_left, job_time, pe_time,
            queue, heap_time, counters, clock, succ_ptr, succ_local):
    """Apply the events of the next event time, and of the following ones until a decision
    point; return ``DECISION``, ``FINISHED`` (every task done), ``STALLED`` (ready tasks left
    uncommitted and no event to come) or ``HORIZON_REACHED``."""
    n_jobs = job_left.shape[0]
    while True:
        t = np.inf
        if counters[HEAP_SIZE] > 0:
            t = heap_time[0]
        nxt = counters[NEXT_JOB]
        if nxt < n_jobs and job_time[ARRIVAL, nxt] < t:
            t = job_time[ARRIVAL, nxt]
        if t == np.inf:
            return FINISHED if counters[N_READY] == 0 else STALLED
        if t > clock[HORIZON]:
            clock[NOW] = max(clock[NOW], clock[HORIZON])
            return HORIZON_REACHED
        if t > clock[NOW]:
            clock[NOW] = t
        now = clock[NOW]
        while counters[HEAP_SIZE] > 0 and heap_time[0] <= now:
            r = _heap_pop(heap_time, queue[HEAP_ROW], counters)
            _complete(r, row_static, row_state, job_left, job_time, pe_time, queue, counters,
                      clock, succ_ptr, succ_local)
        while counters[NEXT_JOB] < n_jobs and job_time[ARRIVAL, counters[NEXT_JOB]] <= now:
            j = counters[NEXT_JOB]
            for r in range(job_first[j], job_first[j + 1]):
                if row_state[WAITING, r] == 0:
                    _make_ready(r, row_state, queue, counters)
            counters[NEXT_JOB] = j + 1
        if at_decision_point(cost, row_static, pe_time, queue, counters, clock):
            return DECISION


@njit(cache=True)
def remove_ready(r, queue, counters):
    """Drop row ``r`` from the ready list, keeping the others in order; False if absent."""
    n = counters[N_READY]
    for k in range(n):
        if queue[READY_LIST, k] == r:
            for i in range(k, n - 1):
                queue[READY_LIST, i] = queue[READY_LIST, i + 1]
            counters[N_READY] = n - 1
            return True
    return False


@njit(cache=True)
def assign(r, q, cost, row_static, row_state, row_time, pe_time, queue, heap_time, counters,
           clock, pred_ptr, pred_local, pred_volume, bandwidth):
    """Commit ready row ``r`` to PE ``q`` (checks are the caller's); return its start."""
    ready_at = data_ready(r, q, row_static, row_state, row_time, pred_ptr, pred_local,
                          pred_volume, bandwidth, clock)
    remove_ready(r, queue, counters)
    commit(r, q, ready_at, cost, row_static, row_state, row_time, pe_time, queue, heap_time,
           counters, clock)
    return row_time[START, r]


@njit(cache=True)
def _fastest_free_soonest(at, cost, min_cost, pe_time, now):
    """Among the PEs of least mean cost for app-task ``at``, the one free soonest."""
    best = -1
    best_free = np.inf
    for q in range(cost.shape[1]):
        if cost[at, q] != min_cost[at]:
            continue
        free = max(pe_time[EST_FREE, q], now)
        if free < best_free:
            best = q
            best_free = free
    return best


@njit(cache=True)
def _best_pe(ef_row):
    best = -1
    value = np.inf
    for q in range(ef_row.shape[0]):
        if ef_row[q] < value:
            value = ef_row[q]
            best = q
    return best


@njit(cache=True)
def decide(rule, cost, min_cost, row_static, row_state, row_time, pe_time, queue, heap_time,
           counters, clock, pred_ptr, pred_local, pred_volume, bandwidth):
    """Commit every ready task with a built-in rule (module docstring)."""
    n = counters[N_READY]
    if n == 0:
        return
    n_pes = cost.shape[1]
    now = clock[NOW]
    rows = queue[READY_LIST, :n].copy()
    if rule == ETF or rule == EFT:
        ready_at = np.full((n, n_pes), np.inf)
        ef = np.full((n, n_pes), np.inf)
        for k in range(n):
            r = rows[k]
            at = row_static[AT, r]
            for q in range(n_pes):
                if np.isfinite(cost[at, q]):
                    ready_at[k, q] = data_ready(r, q, row_static, row_state, row_time, pred_ptr,
                                                pred_local, pred_volume, bandwidth, clock)
        if rule == EFT:
            for k in range(n):
                at = row_static[AT, rows[k]]
                for q in range(n_pes):
                    if np.isfinite(cost[at, q]):
                        ef[k, q] = max(now, pe_time[EST_FREE, q], ready_at[k, q]) + cost[at, q]
                q = _best_pe(ef[k])
                commit(rows[k], q, ready_at[k, q], cost, row_static, row_state, row_time,
                       pe_time, queue, heap_time, counters, clock)
        else:
            best_pe = np.empty(n, dtype=np.int64)
            for k in range(n):
                at = row_static[AT, rows[k]]
                for q in range(n_pes):
                    if np.isfinite(cost[at, q]):
                        ef[k, q] = max(now, pe_time[EST_FREE, q], ready_at[k, q]) + cost[at, q]
                best_pe[k] = _best_pe(ef[k])
            alive = np.ones(n, dtype=np.bool_)
            for _ in range(n):
                pick = -1
                for k in range(n):
                    if alive[k] and (pick < 0 or ef[k, best_pe[k]] < ef[pick, best_pe[pick]]):
                        pick = k
                q = best_pe[pick]
                commit(rows[pick], q, ready_at[pick, q], cost, row_static, row_state, row_time,
                       pe_time, queue, heap_time, counters, clock)
                alive[pick] = False
                free = pe_time[EST_FREE, q]
                # only PE q's estimate moved, and only later: a task whose best PE was another
                # keeps it, one whose best was q is re-scanned
                for k in range(n):
                    if not alive[k]:
                        continue
                    at = row_static[AT, rows[k]]
                    if np.isfinite(cost[at, q]):
                        ef[k, q] = max(now, free, ready_at[k, q]) + cost[at, q]
                        if best_pe[k] == q:
                            best_pe[k] = _best_pe(ef[k])
    elif rule == MET or rule == STF:
        alive = np.ones(n, dtype=np.bool_)
        for step in range(n):
            pick = step
            if rule == STF:
                pick = -1
                for k in range(n):
                    if alive[k] and (pick < 0 or min_cost[row_static[AT, rows[k]]]
                                     < min_cost[row_static[AT, rows[pick]]]):
                        pick = k
            alive[pick] = False
            r = rows[pick]
            q = _fastest_free_soonest(row_static[AT, r], cost, min_cost, pe_time, now)
            ready = data_ready(r, q, row_static, row_state, row_time, pred_ptr, pred_local,
                               pred_volume, bandwidth, clock)
            commit(r, q, ready, cost, row_static, row_state, row_time, pe_time, queue,
                   heap_time, counters, clock)
    else:
        for k in range(n):
            r = rows[k]
            at = row_static[AT, r]
            q = -1
            if rule == RANDOM:
                count = 0
                for p in range(n_pes):
                    if np.isfinite(cost[at, p]):
                        count += 1
                pick = np.random.randint(0, count)
                for p in range(n_pes):
                    if np.isfinite(cost[at, p]):
                        if pick == 0:
                            q = p
                            break
                        pick -= 1
            else:
                last = counters[LAST_PE]
                for step in range(1, n_pes + 1):
                    p = (last + step) % n_pes
                    if np.isfinite(cost[at, p]):
                        q = p
                        break
                counters[LAST_PE] = q
            ready = data_ready(r, q, row_static, row_state, row_time, pred_ptr, pred_local,
                               pred_volume, bandwidth, clock)
            commit(r, q, ready, cost, row_static, row_state, row_time, pe_time, queue,
                   heap_time, counters, clock)
    counters[N_READY] = 0


@njit(cache=True)
def run_rule(rule, seed, cost, min_cost, row_static, row_state, row_time, job_first, job_left,
             job_time, pe_time, queue, heap_time, counters, clock, pred_ptr, pred_local,
             pred_volume, succ_ptr, succ_local, bandwidth):
    """Simulate from the current state to the end with a built-in rule; return the final
    ``advance`` status (``FINISHED`` or ``HORIZON_REACHED``)."""
    np.random.seed(seed)
    if at_decision_point(cost, row_static, pe_time, queue, counters, clock):
        status = DECISION
    else:
        status = advance(cost, row_static, row_state, row_time, job_first, job_left, job_time,
                         pe_time, queue, heap_time, counters, clock, succ_ptr, succ_local)
    while status == DECISION:
        decide(rule, cost, min_cost, row_static, row_state, row_time, pe_time, queue,
               heap_time, counters, clock, pred_ptr, pred_local, pred_volume, bandwidth)
        status = advance(cost, row_static, row_state, row_time, job_first, job_left, job_time,
                         pe_time, queue, heap_time, counters, clock, succ_ptr, succ_local)
    return status
