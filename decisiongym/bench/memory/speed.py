"""The memory speed table, measured in the benchmark's own run: steps per second of both envs
under uniformly random legal actions, and the greedies' milliseconds on 1,000 buffers (the
exact search's nodes per second come from the allocation records, see
:mod:`decisiongym.bench.memory.report`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

GREEDY_TARGET_MS = 10.0
"""The issue's bar: a greedy on a 1,000-buffer program in under 10 ms."""

GREEDY_BUFFERS = 1000
MAPPING_LAYERS = 250
"""Layers of the synthetic program of the greedy row: 250 give 1,033 buffers."""


def measure_speed(quick: bool = False) -> list[dict[str, Any]]:
    """The speed rows: ``what``, ``value``, ``unit``, ``target``, ``met``.

    :param quick: step each env for a fraction of a second only.
    """
    seconds = 0.3 if quick else 2.0
    return [_allocation_env(seconds), _mapping_env(seconds), _mapping_greedy(),
            _allocation_greedy()]


def _row(what: str, value: float, unit: str, target: str = "", met: str = "") -> dict[str, Any]:
    return {"what": what, "value": value, "unit": unit, "target": target, "met": met}


def _steps_per_second(env: Any, masks: Callable[[Any], np.ndarray], seconds: float) -> float:
    """Random legal actions from the env's mask, a reset at each episode end; stepping timed."""
    rng = np.random.default_rng(0)
    obs, _ = env.reset(seed=0)
    steps, elapsed = 0, 0.0
    while elapsed < seconds:
        legal = np.flatnonzero(masks(obs))
        start = time.perf_counter()
        obs, _, done, truncated, _ = env.step(int(legal[rng.integers(legal.size)]))
        elapsed += time.perf_counter() - start
        steps += 1
        if done or truncated:
            obs, _ = env.reset()
    return steps / elapsed


def _allocation_env(seconds: float) -> dict[str, Any]:
    from decisiongym.envs.memory.allocation_env import MemoryAllocationEnv
    from decisiongym.envs.memory.generator import tight_problem

    problem = tight_problem(200, 0)
    env = MemoryAllocationEnv(problem=problem, objective="peak")
    _steps_per_second(env, lambda obs: obs["action_mask"], 0.05)  # compiles the kernels
    rate = _steps_per_second(env, lambda obs: obs["action_mask"], seconds)
    return _row(f"MemoryAllocation-v0, {problem.n_buffers}-buffer tight strip, peak objective, "
                "random legal actions", rate, "steps/s")


def _mapping_env(seconds: float) -> dict[str, Any]:
    from decisiongym.envs.memory.mapping_env import MemoryMappingEnv
    from decisiongym.envs.memory.program_file import read_program
    from decisiongym.envs.memory.workloads import workload_path

    name = "train-encoder-b4-s64"
    env = MemoryMappingEnv(program=read_program(workload_path(name)))
    _steps_per_second(env, lambda _: env.action_masks(), 0.05)
    rate = _steps_per_second(env, lambda _: env.action_masks(), seconds)
    return _row(f"MemoryMapping-v0, {name} ({env.program.n_buffers} buffers), tpu-like at 50 %, "
                "full mode, random legal actions", rate, "steps/s")


def _best_ms(run: Callable[[], object], repeats: int = 5) -> float:
    run()  # the first call loads the compiled kernels
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return 1000.0 * float(np.median(times))


def _mapping_greedy() -> dict[str, Any]:
    from decisiongym.baselines.memory.xla_greedy import xla_greedy
    from decisiongym.envs.memory.hardware import hardware_preset
    from decisiongym.envs.memory.program_generator import SyntheticProgramGenerator

    program = SyntheticProgramGenerator(n_layers=MAPPING_LAYERS).generate(0)
    chip = hardware_preset("tpu-like").with_capacity(0.5, program.peak_live_bytes())
    # from the program itself: the kernels' arrays are built inside the timed call
    ms = _best_ms(lambda: xla_greedy(program, chip))
    return _row(f"xla-greedy mapping, synthetic {MAPPING_LAYERS}-layer program "
                f"({program.n_buffers:,} buffers, {program.n_operations:,} operations), tpu-like "
                "at 50 %, from the program, median of 5",
                ms, "ms", f"< {GREEDY_TARGET_MS:g} ms", "yes" if ms < GREEDY_TARGET_MS else "no")


def _allocation_greedy() -> dict[str, Any]:
    from decisiongym.baselines.memory.greedy import greedy_allocation
    from decisiongym.envs.memory.generator import tight_problem

    problem = tight_problem(GREEDY_BUFFERS, 0)
    ms = _best_ms(lambda: greedy_allocation(problem, "size"))
    return _row(f"greedy allocation (best fit by size), {problem.n_buffers:,}-buffer tight strip, "
                "median of 5", ms, "ms", f"< {GREEDY_TARGET_MS:g} ms",
                "yes" if ms < GREEDY_TARGET_MS else "no")
