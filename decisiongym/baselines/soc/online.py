"""Online schedulers for streams of task DAGs on an SoC: MET, ETF, EFT, STF, HEFT_RT, random and
round-robin, in the simulator's default mode, and DS3's MET, ETF, EFT and STF in its ``ds3``
mode.

Every scheduler here drives :class:`~decisiongym.envs.soc.simulator.SoCSimulator` and returns its
:class:`~decisiongym.envs.soc.metrics.SimulationResult`, so they are compared on the same
trace, validator and metrics as any learned policy.

``met-soonest``, ``etf``, ``eft``, ``stf-soonest``, ``random``, ``round-robin``
    built into the simulator's kernel (their exact rules are in
    :mod:`decisiongym.envs.soc.sim`); a whole stream runs in one numba call. ``met-soonest``
    and ``stf-soonest`` are this library's MET and STF (the fastest PE free soonest), not
    DS3's.
``met``, ``etf``, ``eft``, ``stf`` with ``mode="ds3"``
    DS3's own rules with its tie-breaks, its back-filling from the oldest job and its cap of 12
    jobs in flight (:mod:`decisiongym.envs.soc.ds3_sim`); :data:`DS3_SCHEDULERS`.
``heft-rt``
    HEFT re-planned at every job arrival, the baseline DeepSoCS compares against (Sung et
    al., Electronics 9(6):936, 2020). At each arrival, every task of the jobs in the system
    that is not yet committed (ready or still waiting for predecessors) is ranked by HEFT's
    upward rank on the subgraph those tasks induce, and placed by earliest finish with
    insertion (:func:`~decisiongym.baselines.soc.ranks.heft_order` and
    :func:`~decisiongym.baselines.soc.placement.schedule_tasks`) on top of what is already
    committed: PEs are free from the scheduler's estimate of when their queues drain, finished
    predecessors sit where they ran, committed ones where they will run at their estimated
    finish, and nothing starts before now. Between arrivals the plan is followed: each PE
    takes its planned tasks in the order of their planned starts, committing a task once it
    is ready and every task planned before it on that PE is committed. With a single job and
    no noise this reproduces static HEFT exactly. DS3Gym's ``HEFT_RT`` differs: it ranks only
    the ready tasks, with no edges between them, at every scheduling call.

:data:`ONLINE_SCHEDULERS` maps each name to its kernel code or, for ``heft-rt``, to the Python
function that drives the simulator; :func:`simulate` runs any of them.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from decisiongym.baselines.soc.placement import schedule_tasks
from decisiongym.baselines.soc.ranks import heft_order
from decisiongym.envs.core.errors import InputError
from decisiongym.envs.soc.ds3_sim import DS3_RULES
from decisiongym.envs.soc.graph import TaskGraph
from decisiongym.envs.soc.metrics import SimulationResult
from decisiongym.envs.soc.platform import Platform
from decisiongym.envs.soc.sim import AT, RULES
from decisiongym.envs.soc.simulator import SoCSimulator, scheduler_mode_hint
from decisiongym.envs.soc.workload import Workload


def heft_rt(simulator: SoCSimulator) -> SimulationResult:
    """Run HEFT_RT over the simulator's whole workload (module docstring).

    :param simulator: the stream to schedule; it is reset first.
    """
    platform = simulator.platform
    apps = simulator.workload.applications
    by_type = [_cost_by_type(g, platform) for g in apps]
    sequences: list[list[int]] = [[] for _ in range(platform.n_pes)]
    position = [0] * platform.n_pes
    planned_for = -1
    done = simulator.reset()
    while not done:
        if simulator.arrived_jobs != planned_for:
            planned_for = simulator.arrived_jobs
            sequences = _replan(simulator, by_type)
            position = [0] * platform.n_pes
        for q, sequence in enumerate(sequences):
            # committing never makes another task ready, so one pass per PE is enough
            while position[q] < len(sequence) and simulator.is_ready(sequence[position[q]]):
                simulator.assign(sequence[position[q]], q)
                position[q] += 1
        done = simulator.advance()
    return simulator.result("heft-rt")


def _cost_by_type(graph: TaskGraph, platform: Platform) -> np.ndarray:
    """The graph's cost columns in the platform's type order (``inf`` for a missing type)."""
    table = np.full((graph.n_tasks, platform.n_types), np.inf)
    for k, name in enumerate(platform.type_names):
        if name in graph.type_names:
            table[:, k] = graph.cost[:, graph.type_names.index(name)]
    return table


def _replan(simulator: SoCSimulator, by_type: list[np.ndarray]) -> list[list[int]]:
    """HEFT over the uncommitted tasks of the jobs in the system; each PE's planned tasks
    (task ids) in order of planned start."""
    platform = simulator.platform
    workload = simulator.workload
    jobs = simulator.unfinished_jobs()
    sequences: list[list[int]] = [[] for _ in range(platform.n_pes)]
    if jobs.size == 0:
        return sequences
    job_first = workload.job_first
    graphs = [workload.applications[int(workload.job_app[j])] for j in jobs.tolist()]
    rows = np.concatenate([np.arange(job_first[j], job_first[j + 1]) for j in jobs.tolist()])
    offsets = np.cumsum([0] + [g.n_tasks for g in graphs])
    merged = TaskGraph(
        name="in-system",
        task_names=tuple(f"{j}:{name}" for j, g in zip(jobs.tolist(), graphs)
                         for name in g.task_names),
        type_names=platform.type_names,
        cost=np.concatenate([by_type[int(workload.job_app[j])] for j in jobs.tolist()]),
        edges=np.concatenate([g.edges + offsets[k] for k, g in enumerate(graphs)]),
        volume=np.concatenate([g.volume for g in graphs]),
    )
    cost = np.ascontiguousarray(simulator.cost[simulator.row_static[AT, rows]])
    pe, estimate, finish = simulator.committed()
    finished = simulator.finished_mask()
    placed_pe = pe[rows]
    # a scheduler knows when a finished task finished, and only estimates the others
    placed_finish = np.where(finished[rows], finish[rows], estimate[rows])
    placed_finish = np.nan_to_num(placed_finish, nan=0.0)
    open_tasks = np.flatnonzero(placed_pe < 0)
    if open_tasks.size == 0:
        return sequences
    order = heft_order(merged, platform, tasks=open_tasks, cost=cost)
    placement = schedule_tasks(
        merged, platform, order, cost=cost, pe_free=simulator.estimated_free(),
        placed_pe=placed_pe, placed_finish=placed_finish, release=simulator.now,
    )
    by_start = np.lexsort((np.arange(placement.tasks.size), placement.start))
    for k in by_start.tolist():
        sequences[int(placement.pe[k])].append(int(rows[placement.tasks[k]]))
    return sequences


OnlineScheduler = int | Callable[[SoCSimulator], SimulationResult]

ONLINE_SCHEDULERS: dict[str, OnlineScheduler] = {**RULES, "heft-rt": heft_rt}
"""Scheduler name -> kernel code (built-in rules) or the function driving the simulator."""


DS3_SCHEDULERS: tuple[str, ...] = tuple(DS3_RULES)
"""DS3's schedulers, run by the simulator's ``ds3`` mode."""


def scheduler_key(name: str, mode: str = "default") -> str:
    """The key of a name: ``"HEFT_RT"`` -> ``"heft-rt"``, in :data:`ONLINE_SCHEDULERS` (the
    default mode) or :data:`DS3_SCHEDULERS` (``mode="ds3"``).

    :raises InputError: (a ``ValueError``) for a name the mode does not run, or an unknown
        mode.
    """
    if mode not in ("default", "ds3"):
        raise InputError(f"must be default or ds3, got {mode!r}", "mode")
    key = name.lower().replace("_", "-")
    names, other = ((DS3_SCHEDULERS, tuple(ONLINE_SCHEDULERS)) if mode == "ds3"
                    else (tuple(ONLINE_SCHEDULERS), DS3_SCHEDULERS))
    if key not in names:
        hint = scheduler_mode_hint(key, mode) if key in other else ""
        raise InputError(f"unknown online scheduler {name!r} in the {mode} mode; choose one of "
                         f"{', '.join(names)}{hint}", "scheduler")
    return key


def simulate(
    platform: Platform,
    workload: Workload,
    scheduler: str,
    *,
    seed: int = 0,
    warmup_jobs: int = 0,
    warmup_us: float = 0.0,
    horizon_us: float | None = None,
    mode: str = "default",
) -> SimulationResult:
    """Simulate a workload on a platform under one online scheduler.

    :param platform: the PEs and links.
    :param workload: the jobs.
    :param scheduler: a name of :data:`ONLINE_SCHEDULERS`, or of :data:`DS3_SCHEDULERS` in the
        ``ds3`` mode (case and ``_``/``-`` do not matter).
    :param seed: seed of the ``random`` scheduler.
    :param warmup_jobs: leading jobs left out of the metrics.
    :param warmup_us: jobs arriving before this time are left out of the metrics.
    :param horizon_us: stop at this time; ``None`` runs until every job has finished.
    :param mode: the simulator's mode, ``"default"`` or ``"ds3"`` (DS3's semantics,
        :mod:`decisiongym.envs.soc.ds3_sim`; latencies count from each job's entry).
    """
    key = scheduler_key(scheduler, mode)
    simulator = SoCSimulator(platform, workload, warmup_jobs=warmup_jobs, warmup_us=warmup_us,
                             horizon_us=horizon_us, mode=mode)
    if mode == "ds3":
        return simulator.run(key)
    entry = ONLINE_SCHEDULERS[key]
    if isinstance(entry, int):
        return simulator.run(key, seed=seed)
    return entry(simulator)
