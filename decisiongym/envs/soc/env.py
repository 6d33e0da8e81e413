"""``decisiongym/SoC-v0`` and ``decisiongym/SoC-TaskOnly-v0``: map streaming task-DAG jobs onto
the processing elements of a heterogeneous system-on-chip, one assignment per step."""

from __future__ import annotations

import operator
from collections.abc import Mapping, Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from decisiongym.envs.core.errors import InvalidActionError
from decisiongym.envs.soc import sim as kernel
from decisiongym.envs.soc.builtin import DS3_APPLICATIONS, load_application, load_platform
from decisiongym.envs.soc.graph import TaskGraph
from decisiongym.envs.soc.observation import (
    NOT_ADVANCED,
    US_PER_MS,
    AppTables,
    ObservationWriter,
    latency_sum_us,
)
from decisiongym.envs.soc.platform import Platform
from decisiongym.envs.soc.simulator import SoCSimulator
from decisiongym.envs.soc.workload import (
    DS3_JOB_PROBABILITIES,
    NOISE_MODELS,
    Workload,
    poisson_workload,
)

MODES = ("task-pe", "task")
INVALID_ACTIONS = ("raise", "penalize")

TASK_FEATURES = ("valid", "assignable", "job_age_ms", "successors", "upward_rank_ms",
                 "job_unscheduled_ms", "data_ready_ms")
"""Columns of ``tasks`` before the per-PE-type costs (class docstring)."""
PE_FEATURES = ("busy", "until_free_ms", "committed_tasks")
"""Columns of ``pes`` before the PE-type one-hot."""
JOB_FEATURES = ("valid", "age_ms", "tasks_left_fraction", "unscheduled_ms")
"""Columns of ``jobs``."""
JOB_TASK_FEATURES = ("valid", "ready", "committed", "done", "mean_cost_ms", "upward_rank_ms")
"""Columns of ``job_tasks``."""

MixSpec = str | TaskGraph | Sequence[Any] | Mapping[Any, float]


class SoCSchedulingEnv(gym.Env):
    """Online scheduling of streaming task-DAG jobs on a heterogeneous SoC.

    ## Description
    Jobs (instances of applications such as DS3's WiFi-TX/RX, each a DAG of tasks with a mean
    execution time per PE type and a data volume per edge) arrive as a Poisson stream and run on
    the PEs of a platform (default: DS3's 16-PE big.LITTLE SoC with FFT, Viterbi and
    matrix-multiply accelerators). The event-driven :class:`~decisiongym.envs.soc.sim.
    SoCSimulator` holds the state; its module docstring states the model (data-ready times,
    per-PE FIFO queues, noise). Time stops at *decision points*: times at which a ready task
    that is not yet committed could start on an idle PE that can run it. Each step commits one
    ready task; when no legal action is left the simulator runs on to the next decision point.

    ## Action Space
    The ready tasks are shown in ``max_ready`` *slots*: the ready-list order of the simulator
    (the order tasks became ready), except that in ``"task-pe"`` mode the tasks with a legal PE
    come first, so a long ready list never hides every legal action. Tasks beyond ``max_ready``
    wait for a free slot.

    * ``mode="task-pe"`` (``decisiongym/SoC-v0``): ``Discrete(max_ready * n_pes)``; action
      ``slot * n_pes + pe`` commits the task in ``slot`` to PE ``pe``. Legal when the slot holds
      a task, the PE is idle (nothing running or queued) and the PE's type can run the task.
      Committing to a busy PE is not offered: a PE is given work only when it is free.
    * ``mode="task"`` (``decisiongym/SoC-TaskOnly-v0``, the DeepSoCS split of ordering and
      mapping): ``Discrete(max_ready)``; the agent picks a slot and the PE is the one of earliest
      estimated finish ``EF(t, q) = max(now, est_free(q), data_ready(t, q)) + cost(t, q)`` over
      every PE that can run the task, idle or busy (a busy PE queues it), lowest index on ties:
      the simulator's built-in ``"eft"`` rule. Every occupied slot is legal, and time moves on
      only once the ready list is empty, so always picking slot 0 reproduces
      ``SoCSimulator.run("eft")`` exactly.

    ``action_masks()`` (and the observation's ``action_mask``) marks the legal actions, for
    sb3-contrib's ``MaskablePPO``. An illegal action (an empty slot, a PE that cannot run the
    task or is busy, anything but an integer in range) changes nothing and pays a penalty
    (Rewards) by default, so unmasked agents and environment checkers can step the env;
    ``invalid_action="raise"`` makes it raise ``InvalidActionError`` naming the slot and the PE.

    ## Observation Space
    A ``Dict`` of fixed-shape arrays. Times are in ms and relative to now; the scheduler sees
    mean costs and estimated free times only, never the noisy actual durations. ``T`` is the
    number of PE types, ``J = max_jobs_in_system`` and ``K`` the largest task count of the mix.

    * ``tasks`` ``(max_ready, 7 + T)`` float32, one row per slot (zeros when empty): 0 valid,
      1 assignable (an idle PE can run it now), 2 age of its job, 3 number of successors in its
      graph, 4 upward rank (the longest path of mean costs from the task to an exit task, the
      mean taken over the PEs that can run each task, transfers left out), 5 mean cost of its
      job's tasks not yet committed, 6 earliest data-ready delay over the PEs that can run it;
      then its mean cost on each PE type, ``-1`` where the type cannot run it.
    * ``estimated_finish`` ``(max_ready, n_pes)`` float32: ``EF(t, q) - now`` for each slot and
      PE, ``-1`` where the PE cannot run the task or the slot is empty.
    * ``pes`` ``(n_pes, 3 + T)`` float32: 0 busy flag, 1 estimated time until free, 2 tasks
      committed to it and not finished; then the one-hot of its type.
    * ``jobs`` ``(J, 4)`` float32: the jobs in the system (arrived, not finished), oldest first:
      0 valid, 1 age, 2 fraction of its tasks not finished, 3 mean cost of its tasks not yet
      committed.
    * ``job_tasks`` ``(J, K, 6)`` float32, each task of those jobs: 0 valid, 1 ready, 2 committed
      (running or queued), 3 done, 4 mean cost, 5 upward rank.
    * ``job_adjacency`` ``(J, K, K)`` int8: ``[j, u, v] = 1`` for an edge ``u -> v`` of job
      ``j``'s graph.
    * ``ready_ref`` ``(max_ready, 2)`` int64: for each slot, the index of its job in ``jobs``
      and its task index in ``job_tasks``; ``-1`` when the slot is empty or its job is beyond
      the ``J`` oldest.
    * ``action_mask`` ``(action_space.n,)`` int8: 1 for a legal action.

    ## Rewards
    Minus the job latency accrued since the previous step, in ms: each job in the system adds
    the time that passed while it was there, i.e. ``-(jobs in system) x (elapsed time)``
    integrated over the events in between. A step that does not let time pass pays 0. Every job
    counts, warm-up jobs included, so the undiscounted return of a finished episode is exactly
    ``-sum(completion - arrival) / 1000`` over all jobs: maximising it minimises the mean job
    latency. With ``invalid_action="penalize"`` (default) an illegal action pays
    ``-invalid_action_penalty`` (ms, default 1) instead, lets no time pass and leaves the state
    as it was.

    ## Starting State
    A fresh workload drawn from ``self.np_random`` at every reset: ``n_jobs`` jobs of the mix,
    Poisson arrivals at ``rate_jobs_per_ms`` (the first at time 0), execution-time multipliers
    under ``noise``/``sigma``. The episode starts at the first decision point.
    ``reset(options={"workload": w})`` runs a given :class:`Workload` for one episode instead.

    ## Episode End
    Terminates when every job has finished; ``info`` then holds ``result`` (the
    :class:`~decisiongym.envs.soc.metrics.SimulationResult`), its scalar metrics
    (``latency_mean_us``...) and ``trace``, which
    ``validate(platform, workload.applications, trace, result.job_app, result.arrival,
    result.durations)`` accepts. With ``invalid_action="penalize"`` (default) the episode is
    truncated after as many illegal actions as the workload has tasks, so an agent that never
    learns the mask still ends its episodes; ``info["invalid_action"]`` says why the last
    action was refused. With ``invalid_action="raise"`` an illegal action raises
    ``InvalidActionError``.

    ## Arguments
    * ``platform``: a built-in platform name (``"default"``, ``"topcuoglu"``), a file path or a
      :class:`Platform`.
    * ``mix``: ``"ds3"`` (DS3's six applications with its job probabilities), one application
      (name or :class:`TaskGraph`), a sequence of them (uniform), a sequence of
      ``(application, probability)`` pairs, or a mapping application -> probability.
    * ``rate_jobs_per_ms``: injection rate; ``n_jobs``: jobs per episode.
    * ``noise`` (``"none"``, ``"gaussian"``, ``"lognormal"``) and ``sigma``: execution-time
      noise (:mod:`decisiongym.envs.soc.workload`).
    * ``mode``: ``"task-pe"`` (default) or ``"task"``.
    * ``max_ready``: task slots; ``max_jobs_in_system``: jobs shown in the DAG arrays.
    * ``invalid_action``: ``"penalize"`` (default) or ``"raise"`` (strict: an illegal action
      raises ``InvalidActionError``); ``invalid_action_penalty`` in ms.
    * ``warmup_jobs``: the first jobs left out of the metrics in ``info`` (not of the reward).
    * ``render_mode``: ``"ansi"`` (text) or ``None``.

    ## Example
    >>> import numpy as np
    >>> from decisiongym.envs.soc.env import SoCSchedulingEnv
    >>> env = SoCSchedulingEnv(mix="sc_tx", n_jobs=3)
    >>> obs, info = env.reset(seed=0)
    >>> done, total = False, 0.0
    >>> while not done:
    ...     action = int(np.flatnonzero(obs["action_mask"])[0])
    ...     obs, reward, done, truncated, info = env.step(action)
    ...     total += reward
    >>> bool(np.isclose(total, -np.sum(info["result"].latency_us) / 1000))
    True

    ## Version History
    * v0: initial version; illegal actions pay a penalty by default (they raised before).
    """

    metadata = {"render_modes": ["ansi"], "render_fps": 4}

    def __init__(
        self,
        platform: str | Platform = "default",
        mix: MixSpec = "ds3",
        rate_jobs_per_ms: float = 2.0,
        n_jobs: int = 100,
        noise: str = "none",
        sigma: float = 0.0,
        mode: str = "task-pe",
        max_ready: int = 32,
        max_jobs_in_system: int = 8,
        invalid_action: str = "penalize",
        invalid_action_penalty: float = 1.0,
        warmup_jobs: int = 0,
        render_mode: str | None = None,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        if invalid_action not in INVALID_ACTIONS:
            raise ValueError(f"invalid_action must be one of {INVALID_ACTIONS}, got "
                             f"{invalid_action!r}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']} or "
                             f"None, got {render_mode!r}")
        if noise not in NOISE_MODELS:
            raise ValueError(f"noise must be one of {NOISE_MODELS}, got {noise!r}")
        if not (np.isfinite(rate_jobs_per_ms) and rate_jobs_per_ms > 0):
            raise ValueError(f"rate_jobs_per_ms must be > 0, got {rate_jobs_per_ms}")
        for name, value in (("n_jobs", n_jobs), ("max_ready", max_ready),
                            ("max_jobs_in_system", max_jobs_in_system)):
            if value < 1:
                raise ValueError(f"{name} must be >= 1, got {value}")
        if warmup_jobs < 0:
            raise ValueError(f"warmup_jobs must be >= 0, got {warmup_jobs}")
        self.platform = platform if isinstance(platform, Platform) else load_platform(platform)
        self.applications, self.mix_probabilities = resolve_mix(mix, self.platform)
        self.rate_jobs_per_ms = float(rate_jobs_per_ms)
        self.n_jobs = int(n_jobs)
        self.noise = noise
        self.sigma = float(sigma)
        self.mode = mode
        self.max_ready = int(max_ready)
        self.max_jobs_in_system = int(max_jobs_in_system)
        self.max_tasks = max(g.n_tasks for g in self.applications)
        self.invalid_action = invalid_action
        self.invalid_action_penalty = float(invalid_action_penalty)
        self.warmup_jobs = int(warmup_jobs)
        self.render_mode = render_mode
        self.n_pes = self.platform.n_pes
        self.pe_names = self.platform.pe_names()
        n_actions = self.max_ready * self.n_pes if mode == "task-pe" else self.max_ready
        self.n_actions = n_actions
        self.action_space = spaces.Discrete(n_actions)
        self.observation_space = self.dict_space = observation_space(
            self.max_ready, self.n_pes, self.platform.n_types, self.max_jobs_in_system,
            self.max_tasks, n_actions)
        # the writer owns the observation and slot arrays for the life of the env and
        # rewrites them in place; these names are views of them, never rebound
        self._writer = ObservationWriter(self.dict_space, task_pe=mode == "task-pe")
        self._obs = self._writer.arrays
        self._slot_rows = self._writer.slot_rows
        self._legal = self._writer.legal
        self._finish = self._writer.finish
        self._sim: SoCSimulator | None = None
        self._workload: Workload | None = None
        self._tables = AppTables.empty()
        self._accrued_ms = 0.0
        self._invalid_steps = 0

    # -- Gymnasium API -------------------------------------------------------------------------
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        super().reset(seed=seed)
        workload = (options or {}).get("workload")
        if workload is None:
            workload = poisson_workload(
                self.applications, self.mix_probabilities, self.rate_jobs_per_ms, self.n_jobs,
                self.np_random, noise=self.noise, sigma=self.sigma)
        elif not isinstance(workload, Workload):
            raise TypeError(f"options['workload'] must be a Workload, got "
                            f"{type(workload).__name__}")
        self.start_episode(workload)
        return self._observation(), self.episode_info()

    def step(
        self, action: Any
    ) -> tuple[dict[str, np.ndarray], float, bool, bool, dict[str, Any]]:
        pair = self._decode(action)
        if pair is None:
            return self._refuse(action)
        before = self._accrued_ms
        slot, pe = pair
        # commit, and wait when no legal action is left, in one kernel call
        status, latency_us = self._writer.commit_and_write(slot, pe)
        if status != NOT_ADVANCED:
            s = self.simulator
            s.status = status
            if status == kernel.STALLED:
                s.advance()  # stalled again, at once: raises the simulator's own error
            self._accrued_ms = latency_us / US_PER_MS
        reward = before - self._accrued_ms
        terminated = self.simulator.done
        return self._observation(), reward, terminated, False, self.episode_info()

    def action_masks(self) -> np.ndarray:
        """Boolean mask of the legal actions (the interface sb3-contrib's MaskablePPO reads)."""
        return self._obs["action_mask"].astype(bool)

    def render(self) -> str | None:
        if self.render_mode is None or self._sim is None:
            return None
        s = self._sim
        lines = [f"t = {s.now:.3f} us, jobs in system {s.unfinished_jobs().size}, "
                 f"ready {int(s.counters[kernel.N_READY])}, done jobs "
                 f"{int(s.counters[kernel.N_DONE_JOBS])}/{s.workload.n_jobs}"]
        free = s.estimated_free()
        for q, name in enumerate(self.pe_names):
            state = f"busy until ~{free[q]:.3f} us" if s.pe_time[kernel.BUSY_UNTIL, q] > s.now \
                else "idle"
            lines.append(f"  {name:>8}: {state}")
        return "\n".join(lines)

    # -- what the env exposes beyond Gymnasium ---------------------------------------------------
    @property
    def simulator(self) -> SoCSimulator:
        """The simulator of the current episode."""
        if self._sim is None:
            raise RuntimeError("call reset() before stepping the environment")
        return self._sim

    @property
    def workload(self) -> Workload:
        """The workload of the current episode."""
        if self._workload is None:
            raise RuntimeError("call reset() before reading the workload")
        return self._workload

    @property
    def latency_accrued_ms(self) -> float:
        """Sum over the jobs arrived so far of the time each has spent in the system, ms."""
        return self._accrued_ms

    def slot_tasks(self) -> np.ndarray:
        """``(max_ready,)`` simulator task id in each slot, -1 where empty."""
        return self._slot_rows.copy()

    def legal_pairs(self) -> np.ndarray:
        """``(max_ready, n_pes)`` whether the task in each slot may go to each PE now (the
        ``"task-pe"`` rule: occupied slot, idle PE, PE able to run the task)."""
        return self._legal.copy()

    def estimated_finish_us(self) -> np.ndarray:
        """``(max_ready, n_pes)`` estimated finish ``EF`` of each slot's task on each PE, µs
        (``inf`` where it cannot run or the slot is empty)."""
        return self._finish.copy()

    def earliest_finish_pe(self, slot: int) -> int:
        """The PE the ``"task"`` mode would choose for the task in ``slot`` (-1 if empty)."""
        if self._slot_rows[slot] < 0:
            return -1
        return int(np.argmin(self._finish[slot]))

    def start_episode(self, workload: Workload) -> None:
        """Start a new episode on ``workload`` (``reset`` without the seeding), stopping at
        the first decision point.

        :param workload: the jobs; its graphs must fit ``max_tasks`` and run on the platform.
        """
        if workload.n_jobs == 0:
            raise ValueError("the workload has no job")
        self.attach(SoCSimulator(self.platform, workload, warmup_jobs=self.warmup_jobs))

    def attach(self, simulator: SoCSimulator) -> bool:
        """Start a new episode on a simulator built elsewhere, so that its own settings
        (warm-up, horizon) hold, and stop at its first decision point. The simulator is reset
        first; from then on ``step`` drives it and ``simulator.result()`` reads the outcome.

        :param simulator: a simulator of this env's platform (or one with the same PE types
            and PEs); its workload's graphs must fit ``max_tasks``.
        :returns: whether the episode is already over (no decision to make).
        :raises ValueError: when the simulator's platform has other PEs than the env's, or a
            graph of the workload has more than ``max_tasks`` tasks.
        """
        theirs = simulator.platform
        if theirs is not self.platform and (
                theirs.type_names != self.platform.type_names
                or not np.array_equal(theirs.pe_type, self.platform.pe_type)):
            raise ValueError(f"the simulator's platform {theirs.name!r} has other PEs than the "
                             f"env's {self.platform.name!r}; make the env with "
                             "platform=simulator.platform")
        workload = simulator.workload
        too_big = [g.name for g in workload.applications if g.n_tasks > self.max_tasks]
        if too_big:
            raise ValueError(f"applications {too_big} have more than max_tasks="
                             f"{self.max_tasks} tasks, the size of the observation's DAG arrays")
        self._workload = workload
        self._sim = simulator
        self._tables = AppTables.build(workload.applications, self.platform, self.max_tasks)
        done = simulator.reset()
        self._accrued_ms = 0.0
        self._invalid_steps = 0
        self._refresh()
        return done

    def commit(self, pairs: Sequence[tuple[int, int]]) -> None:
        """Commit tasks to PEs now (no time passes); the caller checks legality. Every slot
        refers to the slots as they were before the first commit; they are re-read after the
        last.

        :param pairs: ``(slot, pe)`` pairs, occupied slots and PEs that can run their tasks.
        """
        task_ids = [int(self._slot_rows[slot]) for slot, _ in pairs]
        for task_id, (_, pe) in zip(task_ids, pairs):
            self.simulator.assign(task_id, pe)
        self._refresh()

    def wait(self) -> bool:
        """Let time run to the next decision point, accruing latency.

        :returns: whether the episode is over.
        """
        s = self.simulator
        done = s.advance()
        self._accrued_ms = float(latency_sum_us(s.job_time, s.counters, s.clock)) / US_PER_MS
        self._refresh()
        return done

    def nothing_to_wait_for(self) -> bool:
        """Whether no task is running or queued and no job is still to come, so waiting would
        never bring a new decision point."""
        s = self.simulator
        return (int(s.counters[kernel.HEAP_SIZE]) == 0
                and s.arrived_jobs == s.workload.n_jobs)

    def observation(self) -> dict[str, np.ndarray]:
        """A copy of the current observation."""
        return self._observation()

    # -- internals ---------------------------------------------------------------------------
    def _decode(self, action: Any) -> tuple[int, int] | None:
        """``(slot, pe)`` of a legal action, None for an illegal one; ``pe`` is -1 in
        ``"task"`` mode, where the commit itself takes the earliest-finish PE."""
        try:
            index = operator.index(action)
        except TypeError:
            return None
        if not 0 <= index < self.n_actions or not self._obs["action_mask"][index]:
            return None
        if self.mode == "task-pe":
            slot, pe = divmod(index, self.n_pes)
            return slot, pe
        return index, -1

    def _refuse(
        self, action: Any
    ) -> tuple[dict[str, np.ndarray], float, bool, bool, dict[str, Any]]:
        """Raise, or apply the documented penalty, for an illegal action."""
        s = self.simulator
        if s.done:
            raise RuntimeError("the episode is over; call reset()")
        reason = self._illegal_reason(action)
        if self.invalid_action == "raise":
            raise InvalidActionError(action, reason)
        self._invalid_steps += 1
        truncated = self._invalid_steps >= s.workload.n_rows
        info = self.episode_info()
        info["invalid_action"] = reason
        return self._observation(), -self.invalid_action_penalty, False, truncated, info

    def _illegal_reason(self, action: Any) -> str:
        try:
            index = operator.index(action)
        except TypeError:
            return f"expected an integer action, got {type(action).__name__} {action!r}"
        n = self.n_actions
        if not 0 <= index < n:
            return f"action must be an integer in [0, {n}), got {index}"
        slot, pe = divmod(index, self.n_pes) if self.mode == "task-pe" else (index, -1)
        filled = int(np.count_nonzero(self._slot_rows >= 0))
        if self._slot_rows[slot] < 0:
            return (f"slot {slot} is empty: the {filled} ready task(s) are in slots "
                    f"0-{filled - 1}" if filled else f"slot {slot} is empty: no task is ready")
        s = self.simulator
        job, task = s.task_of(int(self._slot_rows[slot]))
        graph = s.workload.applications[int(s.workload.job_app[job])]
        what = f"task {graph.task_names[task]!r} of job {job} in slot {slot}"
        name = self.pe_names[pe]
        if not np.isfinite(self._finish[slot, pe]):
            return f"PE {name} (index {pe}) cannot run {what}"
        return (f"PE {name} (index {pe}) is busy until about {s.estimated_free()[pe]:.3f} us; "
                f"{what} may go only to an idle PE")

    def _refresh(self) -> None:
        """Re-read the slots, the legal actions and the observation from the simulator."""
        writer = self._writer
        if writer.simulator is not self._sim or writer.tables is not self._tables:
            # a new episode, or a simulator handed over from outside
            writer.bind(self.simulator, self._tables)
        writer.write()

    def _observation(self) -> dict[str, np.ndarray]:
        return {key: value.copy() for key, value in self._obs.items()}

    def episode_info(self) -> dict[str, Any]:
        s = self.simulator
        info: dict[str, Any] = {
            "time_us": s.now,
            "jobs_in_system": self._writer.jobs_in_system,
            "completed_jobs": int(s.counters[kernel.N_DONE_JOBS]),
            "latency_accrued_ms": self._accrued_ms,
            "mode": self.mode,
        }
        if s.done:
            result = s.result(f"SoCSchedulingEnv/{self.mode}")
            info.update(result.metrics())
            info["result"] = result
            info["trace"] = result.trace
        return info


def observation_space(max_ready: int, n_pes: int, n_types: int, max_jobs: int, max_tasks: int,
                      n_actions: int) -> spaces.Dict:
    """The ``Dict`` observation space (class docstring of :class:`SoCSchedulingEnv`)."""
    inf = np.float32(np.inf)
    ref_high = np.tile(np.array([max_jobs - 1, max_tasks - 1], dtype=np.int64), (max_ready, 1))
    return spaces.Dict({
        "tasks": spaces.Box(-1.0, inf, (max_ready, len(TASK_FEATURES) + n_types), np.float32),
        "estimated_finish": spaces.Box(-1.0, inf, (max_ready, n_pes), np.float32),
        "pes": spaces.Box(0.0, inf, (n_pes, len(PE_FEATURES) + n_types), np.float32),
        "jobs": spaces.Box(0.0, inf, (max_jobs, len(JOB_FEATURES)), np.float32),
        "job_tasks": spaces.Box(0.0, inf, (max_jobs, max_tasks, len(JOB_TASK_FEATURES)),
                                np.float32),
        "job_adjacency": spaces.Box(0, 1, (max_jobs, max_tasks, max_tasks), np.int8),
        "ready_ref": spaces.Box(np.full((max_ready, 2), -1, dtype=np.int64), ref_high,
                                (max_ready, 2), np.int64),
        "action_mask": spaces.Box(0, 1, (n_actions,), np.int8),
    })


def resolve_mix(
    mix: MixSpec, platform: Platform
) -> tuple[tuple[TaskGraph, ...], tuple[float, ...] | None]:
    """The applications of a mix and their probabilities (None for uniform).

    :param mix: ``"ds3"``, one application (name, file or :class:`TaskGraph`), a sequence of
        applications, a sequence of ``(application, probability)`` pairs, or a mapping
        application -> probability.
    :param platform: every application must run on it.
    :raises ValueError: for an empty mix or an application the platform cannot run.
    """
    def load(app: Any) -> TaskGraph:
        if isinstance(app, TaskGraph):
            app.cost_on(platform)
            return app
        return load_application(app, platform)

    if isinstance(mix, str) and mix == "ds3":
        return tuple(load(a) for a in DS3_APPLICATIONS), DS3_JOB_PROBABILITIES
    if isinstance(mix, (str, TaskGraph)):
        return (load(mix),), None
    pairs: list[tuple[Any, float]] | None = None
    if isinstance(mix, Mapping):
        pairs = [(app, float(p)) for app, p in mix.items()]
    else:
        items = list(mix)
        if items and all(isinstance(i, tuple) and len(i) == 2 for i in items):
            pairs = [(app, float(p)) for app, p in items]
        elif items:
            return tuple(load(a) for a in items), None
    if not pairs:
        raise ValueError("the mix needs at least one application")
    return tuple(load(a) for a, _ in pairs), tuple(p for _, p in pairs)
