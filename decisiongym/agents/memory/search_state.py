"""A copyable state of the mapping game for tree search: the mapping env's episode as a few
arrays, stepped by the same numba kernels.

:class:`MappingGame` holds what stays fixed during an episode (the program's arrays, the chip,
the candidate windows, the visit order), read from a reset
:class:`~decisiongym.envs.memory.mapping_env.MemoryMappingEnv` through its public attributes, so
the game and the env can never disagree about a move. :class:`SearchState` holds what a move
changes (the windows and offsets placed, the copies outstanding per operation, the buffers
decided, the simulated time); :meth:`SearchState.clone` copies four small arrays, which is what
lets a search branch without copying the env.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from decisiongym.agents.memory.search_kernels import complete_greedily, window_offsets
from decisiongym.envs.core.errors import InvalidActionError
from decisiongym.envs.memory.hardware import Hardware
from decisiongym.envs.memory.mapping import Mapping
from decisiongym.envs.memory.mapping_env import (
    BUFFER_FEATURES,
    GLOBAL_FEATURES,
    OBSERVATION_HIGH,
    MemoryMappingEnv,
)
from decisiongym.envs.memory.program import Program
from decisiongym.envs.memory.roofline import ProgramArrays, simulate_windows
from decisiongym.envs.memory.windows import place_window

N_KINDS = 4


@dataclass(frozen=True, eq=False)
class MappingGame:
    """The fixed part of one mapping episode (see the module docstring).

    :param program: the scheduled program.
    :param hardware: the chip, with the episode's fast capacity.
    :param mode: the env's mode (``"basic"`` or ``"full"``).
    :param order: the env's visit order (``"benefit"`` or ``"first-use"``).
    :param arrays: the program's kernel arrays.
    :param window_start: per buffer and window, the boundary it opens at (``-1``: none).
    :param window_end: per buffer and window, the boundary it closes at.
    :param visit: the buffers in the order they are decided.
    :param savings: microseconds each buffer saves alone in fast memory.
    :param time_all_slow: microseconds with every buffer in slow memory.
    :param lower: first use of each buffer.
    :param upper: one past its last use.
    :param kind: each buffer's :class:`~decisiongym.envs.memory.program.BufferKind` value.
    """

    program: Program
    hardware: Hardware
    mode: str
    order: str
    arrays: ProgramArrays
    window_start: np.ndarray
    window_end: np.ndarray
    visit: np.ndarray
    savings: np.ndarray
    time_all_slow: float
    lower: np.ndarray
    upper: np.ndarray
    kind: np.ndarray

    @classmethod
    def from_env(cls, env: MemoryMappingEnv) -> MappingGame:
        """The game of the env's current episode (call after ``reset``)."""
        return cls(env.program, env.hardware, env.mode, env.order, env.arrays,
                   env.window_start, env.window_end, env.order_of_visit, env.savings,
                   env.time_all_slow, env.lower, env.upper,
                   np.asarray(env.program.buffer_kind, dtype=np.int64))

    @classmethod
    def build(cls, program: Program, hardware: Hardware, mode: str = "full",
              order: str = "benefit") -> MappingGame:
        """The game of ``program`` on ``hardware`` (its fast capacity as given).

        :raises InputError: for an unknown mode or order, as the env does.
        """
        env = MemoryMappingEnv(program=program, hardware=hardware,
                               capacity=hardware.fast_capacity, mode=mode, order=order)
        env.reset(seed=0)
        return cls.from_env(env)

    @property
    def n_actions(self) -> int:
        """Slow memory plus one action per candidate window."""
        return 1 + int(self.window_start.shape[1])

    @property
    def n_buffers(self) -> int:
        """Decisions in an episode."""
        return self.program.n_buffers

    @property
    def observation_size(self) -> int:
        """Length of :meth:`SearchState.observation` (the env's observation)."""
        return len(GLOBAL_FEATURES) + len(BUFFER_FEATURES) + 4 * self.n_actions

    def initial_state(self) -> SearchState:
        """Every buffer undecided."""
        n = self.program.n_buffers
        none = np.full(n, -1, dtype=np.int64)
        outstanding = np.zeros(self.program.n_operations + 1, dtype=np.int64)
        state = SearchState(self, none, none.copy(), none.copy(), outstanding, 0,
                            self.simulate(none, none))
        state.evaluate_windows()
        return state

    def simulate(self, fast_start: np.ndarray, fast_end: np.ndarray) -> float:
        """Microseconds under the given windows."""
        return simulate_windows(self.arrays, self.hardware, fast_start, fast_end)


class SearchState:
    """What a move changes (see the module docstring); cheap to :meth:`clone`."""

    __slots__ = ("game", "fast_start", "fast_end", "offset", "outstanding", "position", "time",
                 "offsets_now")

    def __init__(self, game: MappingGame, fast_start: np.ndarray, fast_end: np.ndarray,
                 offset: np.ndarray, outstanding: np.ndarray, position: int,
                 time: float) -> None:
        self.game = game
        self.fast_start = fast_start
        self.fast_end = fast_end
        self.offset = offset
        self.outstanding = outstanding
        self.position = position
        self.time = time
        self.offsets_now = np.full(game.n_actions - 1, -1, dtype=np.int64)

    def clone(self) -> SearchState:
        """An independent copy."""
        copy = SearchState(self.game, self.fast_start.copy(), self.fast_end.copy(),
                           self.offset.copy(), self.outstanding.copy(), self.position,
                           self.time)
        copy.offsets_now = self.offsets_now.copy()
        return copy

    @property
    def terminal(self) -> bool:
        """Every buffer decided."""
        return self.position >= self.game.n_buffers

    @property
    def buffer(self) -> int:
        """The buffer the next move decides (``-1`` when terminal)."""
        return -1 if self.terminal else int(self.game.visit[self.position])

    def evaluate_windows(self) -> None:
        """Recompute the offsets of the current buffer's windows (``-1``: illegal)."""
        if self.terminal:
            self.offsets_now[:] = -1
            return
        g, a, hw = self.game, self.game.arrays, self.game.hardware
        self.offsets_now = window_offsets(
            self.buffer, g.window_start, g.window_end, self.fast_start, self.fast_end,
            self.offset, a.size, self.outstanding, a.use_ptr, a.use_op, a.use_writes,
            a.starts_in_slow, a.ends_in_slow, hw.fast_capacity, hw.alignment,
            hw.max_outstanding_copies)

    def legal_mask(self) -> np.ndarray:
        """A boolean per action, as the env's ``action_masks()``."""
        return np.concatenate([[True], self.offsets_now >= 0])

    def step(self, action: int) -> float:
        """Decide the current buffer; return the env's reward (microseconds saved).

        :raises InvalidActionError: for an illegal action or a terminal state.
        """
        if self.terminal:
            raise InvalidActionError(action, "every buffer is decided already")
        w = int(action) - 1
        if w >= self.offsets_now.size or (w >= 0 and self.offsets_now[w] < 0) or w < -1:
            raise InvalidActionError(action, f"not legal for buffer {self.buffer}")
        reward = 0.0
        if w >= 0:
            g, a, b = self.game, self.game.arrays, self.buffer
            place_window(b, int(g.window_start[b, w]), int(g.window_end[b, w]),
                         int(self.offsets_now[w]), self.fast_start, self.fast_end, self.offset,
                         self.outstanding, a.use_ptr, a.use_op, a.use_writes, a.starts_in_slow,
                         a.ends_in_slow)
            before, self.time = self.time, g.simulate(self.fast_start, self.fast_end)
            reward = before - self.time
        self.position += 1
        self.evaluate_windows()
        return reward

    def mapping(self) -> Mapping:
        """The mapping decided so far (undecided buffers in slow memory)."""
        return Mapping(self.fast_start.copy(), self.fast_end.copy(), self.offset.copy())

    def greedy_completion(self) -> tuple[float, Mapping]:
        """The XLA-style greedy's decisions for the undecided buffers: ``(time, mapping)``.
        This state is left as it was."""
        g, a, hw = self.game, self.game.arrays, self.game.hardware
        fast_start, fast_end = self.fast_start.copy(), self.fast_end.copy()
        offset, outstanding = self.offset.copy(), self.outstanding.copy()
        complete_greedily(self.position, g.visit, g.savings, g.window_start, g.window_end,
                          fast_start, fast_end, offset, outstanding, a.size, a.use_ptr,
                          a.use_op, a.use_writes, a.starts_in_slow, a.ends_in_slow,
                          hw.fast_capacity, hw.alignment, hw.max_outstanding_copies)
        return g.simulate(fast_start, fast_end), Mapping(fast_start, fast_end, offset)

    def observation(self) -> np.ndarray:
        """The env's observation of this state (see ``MemoryMappingEnv``'s manual)."""
        g, a = self.game, self.game.arrays
        n, n_ops = g.program.n_buffers, g.program.n_operations
        capacity = float(g.hardware.fast_capacity)
        n_windows = g.n_actions - 1
        values = np.zeros(g.observation_size, dtype=np.float64)
        values[0] = self.position / n
        values[1] = self.time / g.time_all_slow if g.time_all_slow else 0.0
        if self.position:
            values[2] = int((self.fast_start >= 0).sum()) / self.position
        b = self.buffer
        if b >= 0:
            lower, upper = int(g.lower[b]), int(g.upper[b])
            meets = (self.fast_start >= 0) & (self.fast_start < upper) & (self.fast_end > lower)
            if meets.any():
                values[3] = float((self.offset[meets] + a.size[meets]).max()) / capacity
            size = float(a.size[b])
            uses = a.use_op[a.use_ptr[b]:a.use_ptr[b + 1]]
            values[4] = np.log2(size + 1.0) / 40.0
            values[5] = size / capacity
            values[6 + int(g.kind[b])] = 1.0
            values[6 + N_KINDS] = (upper - lower) / n_ops
            values[7 + N_KINDS] = lower / n_ops
            values[8 + N_KINDS] = uses.size / n_ops
            values[9 + N_KINDS] = (10.0 * g.savings[b] / g.time_all_slow
                                   if g.time_all_slow else 0.0)
            base = len(GLOBAL_FEATURES) + len(BUFFER_FEATURES)
            values[base] = 1.0
            for w in range(n_windows):
                at = int(self.offsets_now[w])
                if at < 0:
                    continue
                start, end = int(g.window_start[b, w]), int(g.window_end[b, w])
                inside = int(((uses >= start) & (uses < end)).sum())
                column = base + 4 * (1 + w)
                values[column:column + 4] = (1.0, at / capacity, (end - start) / n_ops,
                                             inside / uses.size)
        return np.clip(values, 0.0, OBSERVATION_HIGH).astype(np.float32)
