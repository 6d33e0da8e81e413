"""``decisiongym/MemoryAllocation-v0``: place buffers with fixed live ranges in one memory, one
buffer per step (MiniMalloc's problem, or peak minimisation)."""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from numba import njit

from decisiongym.envs.core.errors import InputError, InvalidActionError
from decisiongym.envs.memory.best_fit import fit_offset
from decisiongym.envs.memory.generator import TightAllocationGenerator
from decisiongym.envs.memory.problem import (
    FREE,
    MAX_VALUE,
    AllocationProblem,
    validate_allocation,
)
from decisiongym.envs.memory.program import Program

OBJECTIVES = ("feasibility", "peak")
INVALID_ACTIONS = ("raise", "penalize")

BUFFER_FEATURES = ("valid", "placed", "legal", "lower", "upper", "size", "offset",
                   "candidate_offset", "pressure")
"""Columns of the observation's ``buffers`` array (class docstring)."""

MEMORY_FEATURES = ("peak", "placed_fraction", "placed_area_fraction")
"""Entries of the observation's ``memory`` array."""

ProblemSource = (AllocationProblem | Program | str
                 | Callable[[np.random.Generator], AllocationProblem] | None)


@njit(cache=True)
def refresh_candidates(lower: np.ndarray, upper: np.ndarray, size: np.ndarray,
                       offsets: np.ndarray, candidate: np.ndarray, placed: int, capacity: int,
                       alignment: int) -> None:
    """Update ``candidate`` (the first-fit offset of each unplaced buffer, ``-1`` when it fits
    nowhere under ``capacity``) after buffer ``placed`` was placed (``-1``: compute them all).

    Placing a buffer only takes addresses away from the buffers it meets in time, so only their
    candidates change, and a buffer that fits nowhere never fits again.
    """
    for j in range(lower.shape[0]):
        if offsets[j] != FREE:
            candidate[j] = FREE
            continue
        if placed >= 0:
            if candidate[j] == FREE:
                continue
            if not (lower[j] < upper[placed] and lower[placed] < upper[j]):
                continue
        candidate[j] = fit_offset(lower, upper, size, offsets, j, capacity, alignment, False)


DEFAULT_GENERATOR = TightAllocationGenerator(n_buffers=12, capacity=64, horizon=32, alignment=1)
"""The default source of problems: 12 buffers cut from a full 32 x 64 strip (optimum exactly
64), a fresh one at each reset."""


class MemoryAllocationEnv(gym.Env):
    """Static memory allocation, one buffer per step.

    ## Description
    Buffers live over fixed half-open time ranges ``[lower, upper)`` and need ``size``
    contiguous units; the agent gives each an offset so that buffers live at the same time
    never share an address, in a memory of ``capacity`` units (exactly MiniMalloc's problem;
    with ``objective="peak"``, the highest address used is minimised instead). Each step the
    agent picks an unplaced buffer, which goes to its *first-fit* offset: the lowest aligned
    address free over its whole live range, given the buffers placed so far.

    This loses no packing: take any packing and visit its buffers by increasing offset, moving
    each one down to its first-fit offset among those already visited. A buffer not yet visited
    that meets it in time lay wholly above its old place, hence above its new one, so every
    move keeps the packing valid and never raises the peak; at the end each buffer rests at
    its first-fit offset among the buffers before it, which is what this env produces for that
    order. Some order of actions therefore reaches an optimal packing (MiniMalloc's
    "canonical" solutions rest on the same fact).

    ## Action Space
    ``Discrete(max_buffers)``: the buffer to place next. ``action_masks()`` (and the
    observation's ``action_mask``) marks the unplaced buffers that fit somewhere under the
    capacity (in peak mode: every unplaced buffer), for sb3-contrib's ``MaskablePPO``. Picking
    an unplaced buffer that fits nowhere ends the episode as a failure (Rewards). Any other
    illegal action (padding, a placed buffer, not an integer in range) changes nothing and pays
    ``invalid_action_penalty`` by default; ``invalid_action="raise"`` raises
    ``InvalidActionError`` instead.

    ## Observation Space
    A ``Dict`` of fixed-shape arrays, padded with zeros to ``max_buffers`` rows; times are
    divided by the horizon (the last ``upper``), sizes and addresses by the capacity:

    * ``buffers`` ``(max_buffers, 9)``, columns :data:`BUFFER_FEATURES`: valid (not padding),
      placed, legal (as in the mask), lower, upper, size, offset (placed buffers), candidate
      offset (the first-fit offset an unplaced buffer would get now; 0 when it fits nowhere),
      pressure (the most units live at one time during the buffer's range).
    * ``memory`` ``(3,)``, :data:`MEMORY_FEATURES`: the peak so far, the fraction of buffers
      placed, the fraction of the total area (size x live length) placed.
    * ``action_mask`` ``(max_buffers,)``: 1 for a legal buffer, else 0.

    ## Rewards
    * ``objective="feasibility"`` (default): 0 per step; +1 on the step that places the last
      buffer (a packing under the capacity). When the chosen buffer fits nowhere, or after a
      step no unplaced buffer fits anywhere, the episode ends with minus the fraction of the
      total area left unplaced (in ``[-1, 0)``), so nearer misses cost less.
    * ``objective="peak"``: minus the growth of the peak (the highest address used) divided by
      the capacity, so the return is ``-(final peak - initial peak) / capacity`` (the initial
      peak is that of the fixed buffers, 0 without them). The offset search has no upper limit
      here, so every unplaced buffer is legal.

    ## Starting State
    The problem with nothing placed but its fixed buffers (``fixed_offsets``), which sit at
    their offsets from the start. ``problem`` is an :class:`AllocationProblem`, a
    :class:`Program` (its buffers over their live ranges), a workload name or file (see
    ``workloads.load_workload``), or a callable drawing an :class:`AllocationProblem` from the
    env's ``np_random`` at each reset (the default, :data:`DEFAULT_GENERATOR`, draws 12
    buffers cut from a full 32 x 64 strip, optimum exactly 64).
    ``reset(options={"problem": ...})`` swaps the problem for one episode.

    ## Episode End
    Terminates when every buffer is placed (``info["peak"]`` then holds the peak, re-checked by
    ``validate_allocation``, and ``info["success"]`` whether it is at most the capacity) or, in
    feasibility mode, on a failure (``info["failed"]`` names the buffer that fit nowhere, or
    ``"no legal buffer left"``). With ``invalid_action="penalize"`` the episode is truncated
    after as many illegal actions as the problem has buffers. ``info["offsets"]`` always holds
    the offsets so far (``-1``: not placed).

    ## Arguments
    * ``problem``: see Starting State (default: a random strip instance per reset).
    * ``objective``: ``"feasibility"`` (default) or ``"peak"``.
    * ``capacity``: overrides the problem's capacity: an integer in units, or a float as a
      fraction of the problem's max-live lower bound (``1.0``: the bound itself). Needed for a
      program (default: its peak live bytes).
    * ``max_buffers``: rows of the observation (default: the problem's buffers, or the
      generator's ``max_buffers`` attribute, or 12 for the default generator).
    * ``invalid_action``: ``"penalize"`` (default) or ``"raise"``;
      ``invalid_action_penalty`` (default 1.0) is paid per illegal action.

    ## Example
    >>> import gymnasium as gym
    >>> import numpy as np
    >>> import decisiongym
    >>> env = gym.make("decisiongym/MemoryAllocation-v0")
    >>> obs, info = env.reset(seed=0)
    >>> done = False
    >>> while not done:
    ...     action = int(np.flatnonzero(obs["action_mask"])[0])
    ...     obs, reward, done, truncated, info = env.step(action)
    >>> sorted(info)[-2:]  # and "peak" on success, "failed" when a buffer fits nowhere
    ['placed', 'success']

    ## Version History
    * v0: initial version.
    """

    metadata: dict[str, Any] = {"render_modes": []}

    def __init__(self, problem: ProblemSource = None, objective: str = "feasibility",
                 capacity: int | float | None = None, max_buffers: int | None = None,
                 invalid_action: str = "penalize", invalid_action_penalty: float = 1.0,
                 render_mode: str | None = None) -> None:
        if objective not in OBJECTIVES:
            raise InputError(f"must be one of {', '.join(OBJECTIVES)}, got {objective!r}",
                             field="objective")
        if invalid_action not in INVALID_ACTIONS:
            raise InputError(f"must be one of {', '.join(INVALID_ACTIONS)}, got "
                             f"{invalid_action!r}", field="invalid_action")
        if render_mode is not None:
            raise InputError(f"this env draws nothing; got {render_mode!r}", field="render_mode")
        _check_capacity(capacity)
        self.objective = objective
        self.capacity_override = capacity
        self.invalid_action = invalid_action
        self.invalid_action_penalty = float(invalid_action_penalty)
        self.render_mode = render_mode
        self._source, first = self._resolve(problem)
        if max_buffers is None:
            max_buffers = first.n_buffers if first is not None else \
                int(getattr(self._source, "max_buffers", 12))
        if max_buffers < 1:
            raise InputError(f"must be at least 1, got {max_buffers}", field="max_buffers")
        if first is not None and first.n_buffers > max_buffers:
            raise InputError(f"problem {first.name!r} has {first.n_buffers} buffers, more than "
                             f"max_buffers = {max_buffers}", field="max_buffers")
        self.max_buffers = int(max_buffers)
        self.action_space = spaces.Discrete(self.max_buffers)
        inf = np.float32(np.inf)
        self.observation_space = spaces.Dict({
            "buffers": spaces.Box(0.0, inf, (self.max_buffers, len(BUFFER_FEATURES)),
                                  np.float32),
            "memory": spaces.Box(0.0, inf, (len(MEMORY_FEATURES),), np.float32),
            "action_mask": spaces.Box(0, 1, (self.max_buffers,), np.int8),
        })
        self._pending = first
        self._problem: AllocationProblem | None = None
        self._offsets = np.zeros(0, dtype=np.int64)
        self._candidate = np.zeros(0, dtype=np.int64)
        self._static = np.zeros((self.max_buffers, len(BUFFER_FEATURES)), dtype=np.float32)
        self._area = np.zeros(0, dtype=np.float64)
        self._peak = 0
        self._initial_peak = 0
        self._invalid_steps = 0
        self._done = False

    # -- Gymnasium API -------------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None
              ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        super().reset(seed=seed)
        chosen = (options or {}).get("problem")
        if chosen is not None:
            problem = self._prepared(chosen)
        elif self._pending is not None:
            problem = self._pending
        else:
            problem = self._prepared(self._source(self.np_random))
        if problem.n_buffers > self.max_buffers:
            raise InputError(f"problem {problem.name!r} has {problem.n_buffers} buffers, more "
                             f"than max_buffers = {self.max_buffers}", field="problem")
        self._load(problem)
        return self._observation(), self._info()

    def step(self, action: Any) -> tuple[dict[str, np.ndarray], float, bool, bool,
                                         dict[str, Any]]:
        problem = self._problem
        if problem is None:
            raise RuntimeError("call reset() before step()")
        try:
            i = operator.index(action)
        except TypeError:
            i = -1
        if self._done or not 0 <= i < problem.n_buffers or self._offsets[i] != FREE:
            return self._refuse(action)
        offset = int(self._candidate[i])
        if offset == FREE:
            if self.objective == "peak":  # unreachable: the search has no upper limit
                raise AssertionError("a buffer found no place in an unbounded memory")
            return self._fail(f"buffer {problem.names[i]!r} fits nowhere under the capacity")
        self._offsets[i] = offset
        refresh_candidates(problem.lower, problem.upper, problem.size, self._offsets,
                           self._candidate, i, self._limit(), problem.alignment)
        before = self._peak
        self._peak = max(self._peak, offset + int(problem.size[i]))
        reward = 0.0
        if self.objective == "peak":
            reward = -(self._peak - before) / problem.capacity
        if (self._offsets != FREE).all():
            self._done = True
            info = self._info()
            info["peak"] = validate_allocation(problem, self._offsets,
                                               capacity=self._limit())
            info["success"] = info["peak"] <= problem.capacity
            if self.objective == "feasibility":
                reward = 1.0
            return self._observation(), reward, True, False, info
        if self.objective == "feasibility" and (self._candidate == FREE).all():
            return self._fail("no legal buffer left")
        return self._observation(), reward, False, False, self._info()

    def action_masks(self) -> np.ndarray:
        """Boolean mask of the legal buffers (the interface sb3-contrib's MaskablePPO reads)."""
        return self._mask().astype(bool)

    # -- what the env exposes beyond Gymnasium ---------------------------------------------------
    @property
    def problem(self) -> AllocationProblem | None:
        """The problem of the current episode."""
        return self._problem

    def offsets(self) -> np.ndarray:
        """The offsets so far (``-1``: not placed)."""
        return self._offsets.copy()

    # -- internals ---------------------------------------------------------------------------
    def _resolve(self, problem: ProblemSource
                 ) -> tuple[Callable[[np.random.Generator], Any], AllocationProblem | None]:
        if problem is None:
            return DEFAULT_GENERATOR, None
        if isinstance(problem, (AllocationProblem, Program, str)):
            fixed = self._prepared(problem)
            return (lambda rng: fixed), fixed
        if callable(problem):
            return problem, None
        raise InputError(f"expected an AllocationProblem, a Program, a workload name or a "
                         f"generator, got {type(problem).__name__}", field="problem")

    def _prepared(self, problem: Any) -> AllocationProblem:
        """The problem at the capacity the env's arguments ask for."""
        if isinstance(problem, str):
            from decisiongym.envs.memory.workloads import load_workload

            problem = load_workload(problem)
        if isinstance(problem, Program):
            problem = problem.allocation_problem(MAX_VALUE)
            if self.capacity_override is None:
                return problem.with_capacity(max(problem.max_live(), 1))
        if not isinstance(problem, AllocationProblem):
            raise InputError(f"expected an AllocationProblem, got {type(problem).__name__}",
                             field="problem")
        capacity = self.capacity_override
        if capacity is None:
            return problem
        if isinstance(capacity, float):
            capacity = max(int(capacity * problem.max_live()), 1)
        return problem.with_capacity(int(capacity))

    def _limit(self) -> int:
        """The highest address a buffer may reach: the capacity, or none in peak mode."""
        assert self._problem is not None
        return MAX_VALUE if self.objective == "peak" else self._problem.capacity

    def _load(self, problem: AllocationProblem) -> None:
        self._problem = problem
        n = problem.n_buffers
        self._offsets = np.full(n, FREE, dtype=np.int64)
        if problem.fixed_offsets is not None:
            self._offsets[:] = problem.fixed_offsets
        self._candidate = np.full(n, FREE, dtype=np.int64)
        refresh_candidates(problem.lower, problem.upper, problem.size, self._offsets,
                           self._candidate, -1, self._limit(), problem.alignment)
        placed = self._offsets != FREE
        self._peak = int((self._offsets + problem.size)[placed].max()) if placed.any() else 0
        self._initial_peak = self._peak
        self._area = (problem.size * (problem.upper - problem.lower)).astype(np.float64)
        self._static[:] = 0.0
        horizon = max(problem.horizon, 1)
        live = problem.live_bytes()
        pressure = np.array([live[lo:hi].max() for lo, hi in zip(problem.lower, problem.upper)],
                            dtype=np.float64) if n else np.zeros(0)
        columns = {name: k for k, name in enumerate(BUFFER_FEATURES)}
        self._static[:n, columns["valid"]] = 1.0
        self._static[:n, columns["lower"]] = problem.lower / horizon
        self._static[:n, columns["upper"]] = problem.upper / horizon
        self._static[:n, columns["size"]] = problem.size / problem.capacity
        self._static[:n, columns["pressure"]] = pressure / problem.capacity
        self._invalid_steps = 0
        self._done = n == 0 or bool(placed.all())

    def _mask(self) -> np.ndarray:
        mask = np.zeros(self.max_buffers, dtype=np.int8)
        if self._problem is not None and not self._done:
            n = self._problem.n_buffers
            mask[:n] = (self._offsets == FREE) & (self._candidate != FREE)
        return mask

    def _observation(self) -> dict[str, np.ndarray]:
        problem = self._problem
        assert problem is not None
        n = problem.n_buffers
        buffers = self._static.copy()
        mask = self._mask()
        placed = self._offsets != FREE
        capacity = float(problem.capacity)
        buffers[:n, 1] = placed
        buffers[:, 2] = mask
        buffers[:n, 6] = np.where(placed, self._offsets, 0) / capacity
        buffers[:n, 7] = np.where(self._candidate != FREE, self._candidate, 0) / capacity
        total_area = float(self._area.sum()) or 1.0
        memory = np.array([self._peak / capacity, placed.mean() if n else 1.0,
                           self._area[placed].sum() / total_area], dtype=np.float32)
        return {"buffers": buffers, "memory": memory, "action_mask": mask}

    def _info(self) -> dict[str, Any]:
        return {"offsets": self._offsets.copy(), "placed": int((self._offsets != FREE).sum())}

    def _fail(self, reason: str) -> tuple[dict[str, np.ndarray], float, bool, bool,
                                          dict[str, Any]]:
        self._done = True
        placed = self._offsets != FREE
        total_area = float(self._area.sum()) or 1.0
        reward = -float(self._area[~placed].sum()) / total_area
        info = self._info()
        info["failed"] = reason
        info["success"] = False
        return self._observation(), reward, True, False, info

    def _refuse(self, action: Any) -> tuple[dict[str, np.ndarray], float, bool, bool,
                                            dict[str, Any]]:
        reason = self._illegal_reason(action)
        if self.invalid_action == "raise":
            raise InvalidActionError(action, reason)
        assert self._problem is not None
        self._invalid_steps += 1
        truncated = self._invalid_steps >= max(self._problem.n_buffers, 1)
        info = self._info()
        info["invalid_action"] = reason
        return self._observation(), -self.invalid_action_penalty, False, truncated, info

    def _illegal_reason(self, action: Any) -> str:
        assert self._problem is not None
        try:
            i = operator.index(action)
        except TypeError:
            return f"expected an integer buffer index, got {type(action).__name__} {action!r}"
        if self._done:
            return "the episode has ended; call reset()"
        if not 0 <= i < self.max_buffers:
            return f"buffer must be an integer in [0, {self.max_buffers}), got {action!r}"
        if i >= self._problem.n_buffers:
            return (f"buffer {i} is padding: problem {self._problem.name!r} has "
                    f"{self._problem.n_buffers} buffers")
        return f"buffer {self._problem.names[i]!r} is already placed"


def _check_capacity(capacity: int | float | None) -> None:
    if capacity is None:
        return
    if isinstance(capacity, bool) or not isinstance(capacity, (int, float, np.integer)):
        raise InputError(f"expected units (an integer) or a fraction of the max-live bound (a "
                         f"float), got {capacity!r}", field="capacity")
    if not 0 < capacity <= MAX_VALUE or capacity != capacity:
        raise InputError(f"must be positive and at most 2**62, got {capacity}",
                         field="capacity")
