"""``decisiongym/MemoryMapping-v0``: put a program's buffers in fast or slow memory, one a step."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from decisiongym.envs.core.errors import InputError, InvalidActionError
from decisiongym.envs.memory.hardware import Hardware, hardware_preset
from decisiongym.envs.memory.mapping import Mapping, validate_mapping
from decisiongym.envs.memory.program import BufferKind, Program
from decisiongym.envs.memory.program_generator import SyntheticProgramGenerator
from decisiongym.envs.memory.roofline import (
    ProgramArrays,
    buffer_savings,
    op_times_all_slow,
    program_arrays,
    simulate_windows,
)
from decisiongym.envs.memory.windows import (
    N_WINDOWS,
    candidate_windows,
    place_window,
    try_window,
    visit_order,
)

MODES = ("basic", "full")
INVALID_ACTIONS = ("penalize", "raise")
GLOBAL_FEATURES = ("progress", "time", "fast_buffers", "occupancy")
BUFFER_FEATURES = ("log_size", "size_vs_capacity", "parameter", "input", "activation", "output",
                   "live_length", "first_use", "uses", "benefit")
ACTION_FEATURES = ("valid", "offset", "window_length", "uses_inside")
OBSERVATION_HIGH = 10.0


class MemoryMappingEnv(gym.Env):
    """Memory mapping in the spirit of DeepMind's mallocGame: buffer by buffer, slow memory or a
    window in fast memory.

    ## Description
    A program (a schedule of operations over buffers, see
    :class:`~decisiongym.envs.memory.program.Program`) runs on a chip with a small fast memory
    and a large slow one (:class:`~decisiongym.envs.memory.hardware.Hardware`). The buffers are
    visited once each in a fixed order (``order="benefit"``: XLA's decreasing time saved per
    square root of size; ``"first-use"``: by first use). For each, the agent keeps it in slow
    memory or gives it a *fast window* (:mod:`decisiongym.envs.memory.mapping`): the buffer then
    takes the best-fit offset among the gaps the earlier buffers left over that window, and the
    copies the window implies (prefetch, eviction) go through the chip's copy engine. The time is
    the roofline simulator's (:mod:`decisiongym.envs.memory.roofline`).

    ## Action Space
    ``Discrete(1 + K)``: 0 keeps the buffer in slow memory; ``1 + w`` takes candidate window
    ``w`` of :mod:`decisiongym.envs.memory.windows`. ``mode="basic"``: ``K = 1`` (the whole live
    range, prefetch at the preferred lead). ``mode="full"`` (default): ``K = 5`` (whole range at
    three prefetch leads, the uses before the longest gap with an eviction, the uses after it
    with a prefetch back). ``action_masks()`` marks the legal actions: slow memory always; a
    window when it exists (not a repeat of an earlier one), a gap holds the buffer over it and
    its copies keep within the limit of outstanding copies. An illegal action puts the buffer in
    slow memory and pays ``invalid_action_penalty`` (default 0) with
    ``invalid_action="penalize"`` (default); ``invalid_action="raise"`` raises
    ``InvalidActionError``.

    ## Observation Space
    ``Box(0, 10, (4 + 10 + 4 (1 + K),), float32)``, each value clipped to ``[0, 10]``:

    ========  =====================================================================
    index     meaning
    ========  =====================================================================
    0         buffers decided / buffers
    1         current simulated time / time with every buffer in slow memory
    2         buffers in fast memory / buffers decided (0 at the start)
    3         highest fast address in use over the buffer's live range / capacity
    4         log2(size + 1) / 40
    5         size / fast capacity
    6-9       kind one-hot: parameter, input, activation, output
    10        live range length / operations
    11        first use / operations
    12        uses / operations
    13        time the buffer saves alone in fast memory / all-slow time, times 10
    14 + 4a   per action ``a``: legal (0/1); then, for a window, its offset / capacity,
              its length / operations and the share of the buffer's uses inside it
    ========  =====================================================================

    ## Rewards
    The simulated time before the step minus the time after it, in microseconds (the buffers
    not decided yet count as in slow memory). The episode return is therefore the time saved
    against all-slow memory, ``info["time_all_slow_us"] - info["time_us"]`` (less any
    penalties). A window can cost time (a copy that stalls), so a reward may be negative.

    ## Starting State
    Every buffer undecided. The program is given (``program=``), or drawn at each reset from
    ``generator`` (default: a :class:`SyntheticProgramGenerator` of 8 layers) with the env's
    ``np_random``, so the same seed gives the same program. ``reset(options={"program": p})``
    swaps the program for one episode.

    ## Episode End
    Terminates when every buffer is decided (``n_buffers`` steps); ``info["mapping"]`` is then
    the complete :class:`~decisiongym.envs.memory.mapping.Mapping` and
    ``info["validated_time_us"]`` the time :func:`validate_mapping` recomputes. Never truncated.

    ## Arguments
    * ``program``: a ``Program`` (default ``None``: drawn from ``generator``).
    * ``generator``: an object with ``generate(rng) -> Program``.
    * ``hardware``: a preset name (``"tpu-like"`` default, ``"gpu-like"``) or a ``Hardware``.
    * ``capacity``: fast memory in bytes (int) or as a fraction of the program's peak live
      bytes (float, default 0.5).
    * ``mode``: ``"full"`` (default) or ``"basic"``; ``order``: ``"benefit"`` or ``"first-use"``.
    * ``invalid_action``, ``invalid_action_penalty``: see Action Space.

    ## Example
    >>> import gymnasium as gym
    >>> import numpy as np
    >>> import decisiongym.envs.memory.mapping_env as mapping_env
    >>> env = mapping_env.MemoryMappingEnv()
    >>> obs, info = env.reset(seed=0)
    >>> total, done = 0.0, False
    >>> while not done:
    ...     action = int(np.flatnonzero(env.action_masks())[-1])
    ...     obs, reward, done, truncated, info = env.step(action)
    ...     total += reward
    >>> bool(abs(total - (info["time_all_slow_us"] - info["validated_time_us"])) < 1e-6)
    True

    ## Version History
    * v0: initial version.
    """

    metadata = {"render_modes": ["ansi"], "render_fps": 4}

    def __init__(self, program: Program | None = None, generator: Any = None,
                 hardware: str | Hardware = "tpu-like", capacity: int | float = 0.5,
                 mode: str = "full", order: str = "benefit",
                 invalid_action: str = "penalize", invalid_action_penalty: float = 0.0,
                 render_mode: str | None = None) -> None:
        if mode not in MODES:
            raise InputError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}",
                             field="mode")
        if invalid_action not in INVALID_ACTIONS:
            raise InputError(f"unknown choice {invalid_action!r}; choose one of "
                             f"{', '.join(INVALID_ACTIONS)}", field="invalid_action")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise InputError(f"unknown render mode {render_mode!r}; choose 'ansi'",
                             field="render_mode")
        if program is not None and not isinstance(program, Program):
            raise InputError(f"expected a Program, got {type(program).__name__}",
                             field="program")
        visit_order(np.zeros(1), np.ones(1, dtype=np.int64), np.zeros(1, dtype=np.int64),
                    np.ones(1, dtype=np.int64), order)
        self.hardware_template = (hardware_preset(hardware) if isinstance(hardware, str)
                                  else hardware)
        if not isinstance(self.hardware_template, Hardware):
            raise InputError(f"expected a preset name or a Hardware, got {hardware!r}",
                             field="hardware")
        self.capacity = capacity
        self.program_template = program
        self.generator = generator if generator is not None else SyntheticProgramGenerator()
        self.mode, self.order = mode, order
        self.invalid_action = invalid_action
        self.invalid_action_penalty = float(invalid_action_penalty)
        self.render_mode = render_mode
        self.n_windows = N_WINDOWS if mode == "full" else 1
        self.action_space = spaces.Discrete(1 + self.n_windows)
        size = len(GLOBAL_FEATURES) + len(BUFFER_FEATURES) + len(ACTION_FEATURES) * (
            1 + self.n_windows)
        self.observation_space = spaces.Box(0.0, OBSERVATION_HIGH, (size,), np.float32)
        self._load(program if program is not None else self.generator.generate(
            np.random.default_rng(0)))

    # -- episode state ---------------------------------------------------------------------

    def _load(self, program: Program) -> None:
        self.program = program
        self.hardware = self.hardware_template.with_capacity(self.capacity,
                                                             program.peak_live_bytes())
        self.arrays: ProgramArrays = program_arrays(program)
        a, hw = self.arrays, self.hardware
        self.est_times = op_times_all_slow(a.op_flops, a.read_ptr, a.read_idx, a.write_ptr,
                                           a.write_idx, a.size, hw.compute, hw.slow_bandwidth)
        self.savings = buffer_savings(a, hw)
        self.lower, self.upper = program.live_ranges()
        self.order_of_visit = visit_order(self.savings, a.size, self.lower, self.upper,
                                          self.order)
        self.window_start, self.window_end = candidate_windows(
            a.use_ptr, a.use_op, a.use_writes, a.starts_in_slow, a.ends_in_slow, a.size,
            self.est_times, hw.copy_bandwidth, self.n_windows)
        self.time_all_slow = float(self.est_times.sum())

    def _start_episode(self) -> None:
        n = self.program.n_buffers
        self.fast_start = np.full(n, -1, dtype=np.int64)
        self.fast_end = np.full(n, -1, dtype=np.int64)
        self.offset = np.full(n, -1, dtype=np.int64)
        self.outstanding = np.zeros(self.program.n_operations + 1, dtype=np.int64)
        self.position = 0
        self.time = self.simulated_time()
        self._evaluate_current()

    def simulated_time(self) -> float:
        """Microseconds the program takes with the windows placed so far."""
        return simulate_windows(self.arrays, self.hardware, self.fast_start, self.fast_end)

    def _evaluate_current(self) -> None:
        """Offsets (``-1``: illegal) of the current buffer's windows."""
        self.window_offsets = np.full(self.n_windows, -1, dtype=np.int64)
        if self.position >= self.program.n_buffers:
            return
        b = int(self.order_of_visit[self.position])
        a, hw = self.arrays, self.hardware
        for w in range(self.n_windows):
            start, end = int(self.window_start[b, w]), int(self.window_end[b, w])
            if start < 0:
                continue
            self.window_offsets[w] = try_window(
                b, start, end, self.fast_start, self.fast_end, self.offset, a.size,
                self.outstanding, a.use_ptr, a.use_op, a.use_writes, a.starts_in_slow,
                a.ends_in_slow, hw.fast_capacity, hw.alignment, hw.max_outstanding_copies)

    @property
    def current_buffer(self) -> int:
        """The index of the buffer the next action decides (``-1`` once all are decided)."""
        if self.position >= self.program.n_buffers:
            return -1
        return int(self.order_of_visit[self.position])

    def action_masks(self) -> np.ndarray:
        """A boolean per action: legal now (for sb3-contrib's ``MaskablePPO``)."""
        return np.concatenate([[True], self.window_offsets >= 0])

    def mapping(self) -> Mapping:
        """The mapping decided so far (undecided buffers in slow memory)."""
        return Mapping(self.fast_start.copy(), self.fast_end.copy(), self.offset.copy())

    # -- Gymnasium API ---------------------------------------------------------------------

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None
              ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        program = (options or {}).get("program")
        if program is not None:
            if not isinstance(program, Program):
                raise InputError(f"expected a Program, got {type(program).__name__}",
                                 field="options['program']")
            self._load(program)
        elif self.program_template is None:
            self._load(self.generator.generate(self.np_random))
        self._start_episode()
        return self._observation(), self._info()

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        if self.position >= self.program.n_buffers:
            raise InvalidActionError(action, "the episode is over; call reset()")
        masks = self.action_masks()
        legal = (isinstance(action, (int, np.integer)) and not isinstance(action, bool)
                 and 0 <= int(action) < masks.size and bool(masks[int(action)]))
        penalty = 0.0
        if not legal:
            if self.invalid_action == "raise":
                raise InvalidActionError(action, "not a legal choice for buffer "
                                         f"{self.program.buffer_names[self.current_buffer]!r}; "
                                         "see action_masks()")
            action, penalty = 0, self.invalid_action_penalty
        b = self.current_buffer
        w = int(action) - 1
        if w >= 0:
            a = self.arrays
            place_window(b, int(self.window_start[b, w]), int(self.window_end[b, w]),
                         int(self.window_offsets[w]), self.fast_start, self.fast_end,
                         self.offset, self.outstanding, a.use_ptr, a.use_op, a.use_writes,
                         a.starts_in_slow, a.ends_in_slow)
            before, self.time = self.time, self.simulated_time()
            reward = before - self.time
        else:
            reward = 0.0
        self.position += 1
        self._evaluate_current()
        info = self._info()
        if not legal:
            info["invalid_action"] = True
        terminated = self.position >= self.program.n_buffers
        if terminated:
            info["validated_time_us"] = validate_mapping(self.program, self.hardware,
                                                         info["mapping"])
        return self._observation(), reward - penalty, terminated, False, info

    def _info(self) -> dict[str, Any]:
        return {"mapping": self.mapping(), "time_us": self.time,
                "time_all_slow_us": self.time_all_slow, "action_mask": self.action_masks(),
                "buffer": self.current_buffer, "capacity": self.hardware.fast_capacity}

    def _observation(self) -> np.ndarray:
        n, n_ops = self.program.n_buffers, self.program.n_operations
        capacity = float(self.hardware.fast_capacity)
        decided = self.position
        in_fast = int((self.fast_start >= 0).sum())
        values = [decided / n, self.time / self.time_all_slow if self.time_all_slow else 0.0,
                  in_fast / decided if decided else 0.0]
        b = self.current_buffer
        if b < 0:
            values += [0.0] * (1 + len(BUFFER_FEATURES) + len(ACTION_FEATURES) * (
                1 + self.n_windows))
            return np.clip(np.array(values, dtype=np.float32), 0.0, OBSERVATION_HIGH)
        lower, upper = int(self.lower[b]), int(self.upper[b])
        meets = (self.fast_start >= 0) & (self.fast_start < upper) & (self.fast_end > lower)
        top = float((self.offset[meets] + self.arrays.size[meets]).max()) if meets.any() else 0.0
        size = float(self.arrays.size[b])
        kind = np.zeros(4)
        kind[int(BufferKind(int(self.program.buffer_kind[b])))] = 1.0
        uses = self.arrays.use_op[self.arrays.use_ptr[b]:self.arrays.use_ptr[b + 1]]
        benefit = self.savings[b] / self.time_all_slow if self.time_all_slow else 0.0
        values += [top / capacity, np.log2(size + 1.0) / 40.0, size / capacity, *kind,
                   (upper - lower) / n_ops, lower / n_ops, uses.size / n_ops, 10.0 * benefit]
        values += [1.0, 0.0, 0.0, 0.0]
        for w in range(self.n_windows):
            start, end = int(self.window_start[b, w]), int(self.window_end[b, w])
            if self.window_offsets[w] < 0:
                values += [0.0, 0.0, 0.0, 0.0]
                continue
            inside = ((uses >= start) & (uses < end)).sum()
            values += [1.0, self.window_offsets[w] / capacity, (end - start) / n_ops,
                       inside / uses.size]
        return np.clip(np.array(values, dtype=np.float32), 0.0, OBSERVATION_HIGH)

    def render(self) -> str | None:
        if self.render_mode != "ansi":
            return None
        lines = [f"{self.program.name}: {self.position}/{self.program.n_buffers} buffers decided,"
                 f" {self.time:.3f} us (all slow {self.time_all_slow:.3f} us)"]
        for b in np.flatnonzero(self.fast_start >= 0):
            lines.append(f"  {self.program.buffer_names[b]}: fast [{self.fast_start[b]}, "
                         f"{self.fast_end[b]}) at {self.offset[b]}")
        return "\n".join(lines)
