"""``decisiongym/JobShop-v0``: dispatch job-shop operations one at a time."""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from decisiongym.envs.core.errors import InvalidActionError
from decisiongym.envs.jobshop import sim
from decisiongym.envs.jobshop.catalog import load_instance
from decisiongym.envs.jobshop.ids import DEFAULT_SCHEME
from decisiongym.envs.jobshop.instance import JobShopInstance
from decisiongym.envs.jobshop.simulator import Simulator, scheme_code
from decisiongym.envs.jobshop.solution import Schedule

InstanceSource = str | JobShopInstance | Callable[[np.random.Generator], JobShopInstance]

REWARDS = ("lb-decrease", "sparse")
INVALID_ACTIONS = ("raise", "penalize")


class JobShopEnv(gym.Env):
    """Job-shop scheduling by dispatching, one operation per step.

    ## Description
    ``n`` jobs each run a chain of operations, every operation on one machine for a fixed time;
    a machine runs one operation at a time. Each step the agent picks a job, and its next
    operation is placed on its machine by the *schedule-generation scheme*:

    * ``"non-delay"`` (default, ``ids.DEFAULT_SCHEME``, as for the rules and the command line):
      only jobs whose next operation can start at the earliest time any operation can start; no
      machine is left idle when it could work.
    * ``"insertion"``: any unfinished job may be picked; its operation starts at the earliest
      time its job and machine allow, filling an idle gap on the machine where it fits
      (left-shift, as in L2D). Every active schedule, hence an optimal one, is reachable.
    * ``"active"`` (Giffler-Thompson): only jobs that compete, on the machine of the earliest
      completing operation, for a start before that completion.

    The problem is read from the instance's constraint model (``encoding.SchedulingModel``), the
    same one CP-SAT solves.

    ## Action Space
    ``Discrete(max_jobs)``: the job whose next operation to dispatch. ``action_masks()`` (and the
    observation's ``action_mask``) marks the legal jobs under the scheme, for sb3-contrib's
    ``MaskablePPO``. An illegal action (a padding job, a finished job, a job the scheme does
    not offer now, or anything but an integer in range) changes nothing and pays a penalty
    (Rewards) by default, so unmasked agents and environment checkers can step the env;
    ``invalid_action="raise"`` makes it raise ``InvalidActionError`` instead.

    ## Observation Space
    A ``Dict`` of fixed-shape arrays (times are divided by the instance's trivial lower bound,
    durations by its longest operation; padding is all zeros):

    * ``operations`` ``(max_jobs, max_ops, 8)``: duration, earliest start, earliest end (the
      actual ones once scheduled; otherwise the job's remaining chain run back to back),
      scheduled flag, ready flag (the job's next operation), work left in the job from this
      operation on, position in the job / ops per job, valid (not padding).
    * ``op_machine`` ``(max_jobs, max_ops)``: machine of each operation (0 for padding).
    * ``jobs`` ``(max_jobs, 6)``: unfinished flag, next operation's duration, its earliest start
      on its machine, the job's ready time, work left, operations left / ops per job.
    * ``machines`` ``(max_machines, 4)``: time the machine is free after its last operation,
      unscheduled work on it, scheduled work on it, operations left / the instance's jobs.
    * ``action_mask`` ``(max_jobs,)``: 1 for a legal job, else 0.

    ## Rewards
    ``reward="lb-decrease"`` (default): minus the increase of the makespan lower bound of L2D
    (each job's unscheduled operations run back to back after its last scheduled one, machine
    conflicts ignored). The bound starts at ``info["initial_lower_bound"]`` and ends at the
    makespan, so the episode return is ``initial_lower_bound - makespan``: maximising it
    minimises the makespan. ``reward="sparse"``: 0 until the last step, which pays
    ``-makespan``, so the episode return is exactly ``-makespan``. Under either, an illegal
    action with ``invalid_action="penalize"`` (default) pays ``-invalid_action_penalty``
    (default: the instance's longest operation) and leaves the state as it was.

    ## Starting State
    An empty schedule of the instance: given by name (``"ta41"``, ``"ft06"``), as a
    ``JobShopInstance``, or drawn at each reset from a generator (any callable taking the env's
    ``np_random``, such as ``RandomInstanceGenerator``). ``reset(options={"instance": ...})``
    swaps the instance for one episode.

    ## Episode End
    Terminates when every operation is scheduled (``n_jobs * n_ops`` legal steps); ``info`` then
    holds the ``schedule``. With ``invalid_action="penalize"`` (default) the episode is
    truncated after ``n_jobs * n_ops`` illegal actions, so an agent that never learns the mask
    still ends its episodes; ``info["invalid_action"]`` says why the last action was refused.
    With ``invalid_action="raise"`` an illegal action raises ``InvalidActionError``.

    ## Arguments
    * ``instance``: name, ``JobShopInstance`` or generator (default ``"ta01"``).
    * ``scheme``: ``"non-delay"`` (default), ``"insertion"`` or ``"active"``.
    * ``reward``: ``"lb-decrease"`` (default) or ``"sparse"``.
    * ``invalid_action``: ``"penalize"`` (default) or ``"raise"`` (strict: an illegal action
      raises ``InvalidActionError``); ``invalid_action_penalty`` sets the penalty.
    * ``max_jobs``, ``max_machines``: observation size; taken from the instance or from the
      generator's ``max_jobs`` / ``max_machines`` when omitted.
    * ``render_mode``: ``"ansi"`` (text) or ``"rgb_array"`` (a Gantt chart).

    ## Example
    >>> import gymnasium as gym
    >>> import numpy as np
    >>> import decisiongym
    >>> env = gym.make("decisiongym/JobShop-v0", instance="ft06", scheme="non-delay")
    >>> obs, info = env.reset(seed=0)
    >>> done = False
    >>> while not done:
    ...     action = int(np.flatnonzero(obs["action_mask"])[0])
    ...     obs, reward, done, truncated, info = env.step(action)
    >>> info["makespan"]
    68

    ## Version History
    * v0: initial version; illegal actions pay a penalty by default (they raised before).
    """

    metadata = {"render_modes": ["ansi", "rgb_array"], "render_fps": 4}

    def __init__(
        self,
        instance: InstanceSource = "ta01",
        scheme: str = DEFAULT_SCHEME,
        reward: str = "lb-decrease",
        invalid_action: str = "penalize",
        invalid_action_penalty: float | None = None,
        max_jobs: int | None = None,
        max_machines: int | None = None,
        render_mode: str | None = None,
    ) -> None:
        scheme_code(scheme)
        if reward not in REWARDS:
            raise ValueError(f"reward must be one of {REWARDS}, got {reward!r}")
        if invalid_action not in INVALID_ACTIONS:
            raise ValueError(f"invalid_action must be one of {INVALID_ACTIONS}, got "
                             f"{invalid_action!r}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']} or "
                             f"None, got {render_mode!r}")
        self.scheme = scheme
        self.reward_mode = reward
        self.invalid_action = invalid_action
        self.invalid_action_penalty = invalid_action_penalty
        self.render_mode = render_mode
        self._source, first = resolve_source(instance)
        self.max_jobs, self.max_ops, self.max_machines = padded_shape(
            self._source, first, max_jobs, max_machines
        )
        self.action_space = spaces.Discrete(self.max_jobs)
        self.observation_space = observation_space(self.max_jobs, self.max_ops, self.max_machines)
        self._sim: Simulator | None = None
        self._pending = first
        self._obs = empty_observation(self.max_jobs, self.max_ops, self.max_machines)
        self._scales = np.ones(2, dtype=np.float64)
        self._initial_lower_bound = 0
        self._invalid_steps = 0
        self._n_operations = 0
        self._kernel_args: tuple[np.ndarray, ...] = ()

    # -- Gymnasium API -------------------------------------------------------------------------
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        super().reset(seed=seed)
        instance = (options or {}).get("instance")
        if instance is not None:
            instance = load_instance(instance) if isinstance(instance, str) else instance
        elif self._pending is not None:
            instance, self._pending = self._pending, None
        else:
            instance = self._source(self.np_random)
        if self._sim is None or self._sim.instance is not instance:
            self._load(instance)
        else:
            self._sim.reset()
        assert self._sim is not None
        s = self._sim
        sim.write_observation(s.scheme_code, s.static, s.job_state, s.op_start, s.mach_state,
                              self._scales, *self._obs_arrays())
        self._initial_lower_bound = s.lower_bound
        self._invalid_steps = 0
        return self._observation(), self._info()

    def step(
        self, action: Any
    ) -> tuple[dict[str, np.ndarray], float, bool, bool, dict[str, Any]]:
        s = self._sim
        if s is None:
            raise RuntimeError("call reset() before step()")
        mask = self._obs["action_mask"]
        try:
            job = operator.index(action)
        except TypeError:
            job = -1
        if not 0 <= job < self.max_jobs or not mask[job]:
            return self._refuse(action)
        counters = s.counters
        lower_bound_before = counters[sim.LOWER_BOUND]
        sim.step_observed(s.scheme_code, job, *self._kernel_args)
        terminated = bool(counters[sim.SCHEDULED] == self._n_operations)
        if self.reward_mode == "lb-decrease":
            reward = float(lower_bound_before - counters[sim.LOWER_BOUND])
        else:
            reward = -float(counters[sim.MAKESPAN]) if terminated else 0.0
        info = self._info()
        if terminated:
            info["schedule"] = s.schedule()
        return self._observation(), reward, terminated, False, info

    def _refuse(
        self, action: Any
    ) -> tuple[dict[str, np.ndarray], float, bool, bool, dict[str, Any]]:
        """Raise, or apply the documented penalty, for an illegal action."""
        assert self._sim is not None
        reason = self._illegal_reason(action)
        if self.invalid_action == "raise":
            raise InvalidActionError(action, reason)
        self._invalid_steps += 1
        penalty = self.invalid_action_penalty
        if penalty is None:
            penalty = float(self._sim.instance.durations.max())
        truncated = self._invalid_steps >= self._n_operations
        info = self._info()
        info["invalid_action"] = reason
        return self._observation(), -float(penalty), False, truncated, info

    def action_masks(self) -> np.ndarray:
        """Boolean mask of the legal jobs (the interface sb3-contrib's MaskablePPO reads)."""
        return self._obs["action_mask"].astype(bool)

    def render(self) -> str | np.ndarray | None:
        if self.render_mode is None or self._sim is None:
            return None
        from decisiongym.envs.jobshop.render import gantt_rgb, schedule_text

        schedule = self._sim.schedule()
        if self.render_mode == "ansi":
            return schedule_text(schedule)
        return gantt_rgb(schedule)

    # -- what the env exposes beyond Gymnasium ---------------------------------------------------
    @property
    def instance(self) -> JobShopInstance | None:
        return None if self._sim is None else self._sim.instance

    def schedule(self) -> Schedule:
        """The (partial) schedule built so far in this episode."""
        if self._sim is None:
            raise RuntimeError("call reset() before schedule()")
        return self._sim.schedule()

    # -- internals ---------------------------------------------------------------------------
    def _load(self, instance: JobShopInstance) -> None:
        if (instance.n_jobs > self.max_jobs or instance.n_ops > self.max_ops
                or instance.n_machines > self.max_machines):
            raise ValueError(
                f"instance {instance.name!r} ({instance.n_jobs} jobs x {instance.n_ops} ops, "
                f"{instance.n_machines} machines) exceeds the observation size "
                f"{self.max_jobs} x {self.max_ops}, {self.max_machines} machines; pass larger "
                "max_jobs / max_machines"
            )
        self._sim = Simulator(instance, self.scheme,
                              shape=(self.max_jobs, self.max_ops, self.max_machines))
        self._scales[:] = instance_scales(instance)
        self._n_operations = instance.n_operations
        s = self._sim
        self._kernel_args = (s.static, s.job_state, s.op_start, s.mach_state, s.mach_slots,
                             s.counters, self._scales, *self._obs_arrays())
        op_machine = self._obs["op_machine"]
        op_machine[:] = 0
        op_machine[: instance.n_jobs, : instance.n_ops] = instance.machines

    def _obs_arrays(self) -> tuple[np.ndarray, ...]:
        o = self._obs
        return o["operations"], o["jobs"], o["machines"], o["action_mask"]

    def _observation(self) -> dict[str, np.ndarray]:
        o = self._obs
        return {
            "operations": o["operations"].copy(),
            "op_machine": o["op_machine"].copy(),
            "jobs": o["jobs"].copy(),
            "machines": o["machines"].copy(),
            "action_mask": o["action_mask"].copy(),
        }

    def _info(self) -> dict[str, Any]:
        assert self._sim is not None
        counters = self._sim.counters
        return {
            "makespan": int(counters[sim.MAKESPAN]),
            "lower_bound": int(counters[sim.LOWER_BOUND]),
            "initial_lower_bound": self._initial_lower_bound,
            "scheduled": int(counters[sim.SCHEDULED]),
            "scheme": self.scheme,
        }

    def _illegal_reason(self, action: Any) -> str:
        assert self._sim is not None
        try:
            job = operator.index(action)
        except TypeError:
            return f"expected an integer job index, got {type(action).__name__} {action!r}"
        if not 0 <= job < self.max_jobs:
            return f"job must be an integer in [0, {self.max_jobs}), got {action!r}"
        s = self._sim
        inst = s.instance
        if job >= inst.n_jobs:
            return f"job {job} is padding: instance {inst.name!r} has {inst.n_jobs} jobs"
        if s.job_state[sim.NEXT, job] >= inst.n_ops:
            return f"job {job} has no operation left to dispatch"
        legal = np.flatnonzero(self._obs["action_mask"]).tolist()
        return (f"job {job} may not be dispatched now under the {self.scheme} scheme; legal "
                f"jobs are {legal}")


def resolve_source(
    instance: InstanceSource,
) -> tuple[Callable[[np.random.Generator], JobShopInstance], JobShopInstance | None]:
    """Turn the ``instance`` argument into a per-reset source and a first instance, if fixed."""
    if isinstance(instance, str):
        fixed = load_instance(instance)
    elif isinstance(instance, JobShopInstance):
        fixed = instance
    elif callable(instance):
        return instance, None
    else:
        raise TypeError(
            "instance must be a name, a JobShopInstance or a generator callable, got "
            f"{type(instance).__name__}"
        )
    return (lambda rng: fixed), fixed


def padded_shape(
    source: object, first: JobShopInstance | None, max_jobs: int | None,
    max_machines: int | None,
) -> tuple[int, int, int]:
    """``(jobs, ops, machines)`` of the observation arrays."""
    if first is not None:
        jobs = max_jobs or first.n_jobs
        machines = max_machines or first.n_machines
        ops = max(first.n_ops, machines) if max_machines else first.n_ops
        return jobs, ops, machines
    generator_jobs = max_jobs or getattr(source, "max_jobs", None)
    generator_machines = max_machines or getattr(source, "max_machines", None)
    if generator_jobs is None or generator_machines is None:
        raise ValueError(
            "a generator needs max_jobs and max_machines (as arguments or as attributes of the "
            "generator) to fix the observation size"
        )
    ops = getattr(source, "max_ops", None) or generator_machines
    return int(generator_jobs), int(ops), int(generator_machines)


def observation_space(n_jobs: int, n_ops: int, n_machines: int) -> spaces.Dict:
    """The ``Dict`` observation space of one instance of the given padded size."""
    inf = np.float32(np.inf)
    return spaces.Dict({
        "operations": spaces.Box(0.0, inf, (n_jobs, n_ops, len(sim.OP_FEATURES)), np.float32),
        "op_machine": spaces.Box(0, max(n_machines - 1, 0), (n_jobs, n_ops), np.int64),
        "jobs": spaces.Box(0.0, inf, (n_jobs, len(sim.JOB_FEATURES)), np.float32),
        "machines": spaces.Box(0.0, inf, (n_machines, len(sim.MACHINE_FEATURES)), np.float32),
        "action_mask": spaces.Box(0, 1, (n_jobs,), np.int8),
    })


def empty_observation(n_jobs: int, n_ops: int, n_machines: int,
                      batch: tuple[int, ...] = ()) -> dict[str, np.ndarray]:
    """Zeroed observation buffers (with an optional leading batch shape)."""
    return {
        "operations": np.zeros(batch + (n_jobs, n_ops, len(sim.OP_FEATURES)), np.float32),
        "op_machine": np.zeros(batch + (n_jobs, n_ops), np.int64),
        "jobs": np.zeros(batch + (n_jobs, len(sim.JOB_FEATURES)), np.float32),
        "machines": np.zeros(batch + (n_machines, len(sim.MACHINE_FEATURES)), np.float32),
        "action_mask": np.zeros(batch + (n_jobs,), np.int8),
    }


def instance_scales(instance: JobShopInstance) -> tuple[float, float]:
    """``(time_scale, duration_scale)``: the trivial lower bound and the longest operation."""
    return float(instance.trivial_lower_bound), float(instance.durations.max())
