"""A native vector env: many job-shop instances stepped in one numba call.

``gym.make_vec("decisiongym/JobShop-v0", num_envs=N, vectorization_mode="vector_entry_point")``
builds it. Spaces, observations and rewards are those of ``JobShopEnv`` with a leading batch
axis; sub-environments reset themselves on the step after they terminate (Gymnasium's
``NEXT_STEP`` autoreset), and with a generator each draws a new instance when it does.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from decisiongym.envs.core.errors import InvalidActionError
from decisiongym.envs.jobshop import sim
from decisiongym.envs.jobshop.encoding import encode
from decisiongym.envs.jobshop.env import (
    REWARDS,
    InstanceSource,
    empty_observation,
    instance_scales,
    observation_space,
    padded_shape,
    resolve_source,
)
from decisiongym.envs.jobshop.ids import DEFAULT_SCHEME
from decisiongym.envs.jobshop.instance import JobShopInstance
from decisiongym.envs.jobshop.simulator import load, scheme_code
from decisiongym.envs.jobshop.solution import Schedule


class JobShopVectorEnv(VectorEnv):
    """``num_envs`` job-shop dispatching episodes advanced together.

    :param num_envs: number of sub-environments.
    :param instance: name, ``JobShopInstance`` or generator, as for ``JobShopEnv``; with a
        generator every sub-environment draws its own instance at each reset.
    :param scheme: schedule-generation scheme, as for ``JobShopEnv``.
    :param reward: ``"lb-decrease"`` or ``"sparse"``, as for ``JobShopEnv``.
    :param max_jobs: observation size in jobs (from the instance or generator by default).
    :param max_machines: observation size in machines.
    :param copy: return copies of the observation buffers (default). With ``False`` the arrays
        returned are overwritten by the next ``step``; faster when the caller consumes them at
        once.

    An illegal action raises ``InvalidActionError`` naming the sub-environment and the job.
    """

    metadata = {"render_modes": [], "autoreset_mode": AutoresetMode.NEXT_STEP}

    def __init__(
        self,
        num_envs: int = 1,
        instance: InstanceSource = "ta01",
        scheme: str = DEFAULT_SCHEME,
        reward: str = "lb-decrease",
        max_jobs: int | None = None,
        max_machines: int | None = None,
        copy: bool = True,
    ) -> None:
        if num_envs < 1:
            raise ValueError(f"num_envs must be >= 1, got {num_envs}")
        if reward not in REWARDS:
            raise ValueError(f"reward must be one of {REWARDS}, got {reward!r}")
        self.num_envs = num_envs
        self.scheme = scheme
        self._scheme_code = scheme_code(scheme)
        self.reward_mode = reward
        self.copy = copy
        self._source, self._fixed = resolve_source(instance)
        self.max_jobs, self.max_ops, self.max_machines = padded_shape(
            self._source, self._fixed, max_jobs, max_machines
        )
        self.single_action_space = spaces.Discrete(self.max_jobs)
        self.action_space = spaces.MultiDiscrete(np.full(num_envs, self.max_jobs))
        self.single_observation_space = observation_space(
            self.max_jobs, self.max_ops, self.max_machines
        )
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        n, jobs, ops, machines = num_envs, self.max_jobs, self.max_ops, self.max_machines
        slots = jobs * ops
        self._static = np.zeros((n, 3, jobs, ops), np.int64)
        self._job_state = np.zeros((n, 5, jobs), np.int64)
        self._op_start = np.full((n, jobs, ops), -1, np.int64)
        self._mach_state = np.zeros((n, 5, machines), np.int64)
        self._mach_slots = np.zeros((n, 2, machines, slots), np.int64)
        self._counters = np.zeros((n, 3), np.int64)
        self._scales = np.ones((n, 2), np.float64)
        self._obs = empty_observation(jobs, ops, machines, batch=(n,))
        self._instances: list[JobShopInstance | None] = [None] * n
        self._needs_reset = np.zeros(n, np.bool_)
        self._lower_bound_before = np.zeros(n, np.int64)
        self._actions = np.zeros(n, np.int64)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        super().reset(seed=seed)
        for i in range(self.num_envs):
            self._load(i)
        self._needs_reset[:] = True
        sim.step_batch(self._scheme_code, self._actions, self._static, self._job_state,
                       self._op_start, self._mach_state, self._mach_slots, self._counters,
                       self._scales, *self._obs_arrays(), self._lower_bound_before,
                       self._needs_reset)
        self._needs_reset[:] = False
        return self._observation(), self._info()

    def step(
        self, actions: Any
    ) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        actions = np.asarray(actions)
        if actions.shape != (self.num_envs,):
            raise InvalidActionError(
                actions.shape, f"expected {self.num_envs} actions, one per sub-environment"
            )
        self._actions[:] = actions
        stepping = ~self._needs_reset
        bad = stepping & (
            (self._actions < 0) | (self._actions >= self.max_jobs)
            | (self._obs["action_mask"][np.arange(self.num_envs),
                                        np.clip(self._actions, 0, self.max_jobs - 1)] == 0)
        )
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            legal = np.flatnonzero(self._obs["action_mask"][i]).tolist()
            raise InvalidActionError(
                int(self._actions[i]),
                f"sub-environment {i}: job {int(self._actions[i])} is not legal now under the "
                f"{self.scheme} scheme; legal jobs are {legal}",
            )
        resetting = self._needs_reset.copy()
        if self._fixed is None:
            for index in np.flatnonzero(resetting):
                self._load(int(index))
        sim.step_batch(self._scheme_code, self._actions, self._static, self._job_state,
                       self._op_start, self._mach_state, self._mach_slots, self._counters,
                       self._scales, *self._obs_arrays(), self._lower_bound_before,
                       self._needs_reset)
        scheduled = self._counters[:, sim.SCHEDULED]
        terminated = (scheduled == self._n_operations) & ~resetting
        if self.reward_mode == "lb-decrease":
            rewards = (self._lower_bound_before - self._counters[:, sim.LOWER_BOUND]).astype(
                np.float64)
        else:
            rewards = np.where(terminated, -self._counters[:, sim.MAKESPAN], 0).astype(np.float64)
        rewards[resetting] = 0.0
        self._needs_reset = terminated.copy()
        truncated = np.zeros(self.num_envs, np.bool_)
        return self._observation(), rewards, terminated, truncated, self._info()

    def action_masks(self) -> np.ndarray:
        """``(num_envs, max_jobs)`` boolean masks of the legal jobs."""
        return self._obs["action_mask"].astype(bool)

    def schedule(self, index: int) -> Schedule:
        """The (partial) schedule of sub-environment ``index``."""
        instance = self._instances[index]
        if instance is None:
            raise RuntimeError("call reset() first")
        return Schedule(instance, self._op_start[index, : instance.n_jobs, : instance.n_ops])

    def _load(self, i: int) -> None:
        instance = self._fixed if self._fixed is not None else self._source(self.np_random)
        if (instance.n_jobs > self.max_jobs or instance.n_ops > self.max_ops
                or instance.n_machines > self.max_machines):
            raise ValueError(
                f"instance {instance.name!r} exceeds the observation size {self.max_jobs} jobs "
                f"x {self.max_ops} ops, {self.max_machines} machines"
            )
        self._instances[i] = instance
        load(encode(instance), self._static[i], self._job_state[i])
        self._scales[i] = instance_scales(instance)
        self._obs["op_machine"][i] = 0
        self._obs["op_machine"][i, : instance.n_jobs, : instance.n_ops] = instance.machines

    @property
    def _n_operations(self) -> np.ndarray:
        return self._job_state[:, sim.N_OPS].sum(axis=1)

    def _obs_arrays(self) -> tuple[np.ndarray, ...]:
        o = self._obs
        return o["operations"], o["jobs"], o["machines"], o["action_mask"]

    def _observation(self) -> dict[str, np.ndarray]:
        if not self.copy:
            return self._obs
        return {key: value.copy() for key, value in self._obs.items()}

    def _info(self) -> dict[str, Any]:
        return {
            "makespan": self._counters[:, sim.MAKESPAN].copy(),
            "lower_bound": self._counters[:, sim.LOWER_BOUND].copy(),
        }
