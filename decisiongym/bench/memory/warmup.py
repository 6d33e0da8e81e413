"""The memory methods' first-call cost, paid on a tiny instance before a timed call: the
allocation methods on a 12-buffer strip, the mapping methods on a 2-layer program."""

from __future__ import annotations

from dataclasses import replace

from decisiongym.bench.memory.methods import SolveOptions, method_for
from decisiongym.bench.warmup import warm_once

TINY_TIME_LIMIT = 1.0
"""Seconds a search gets on the tiny instance."""


def warm_allocation(method: str, options: SolveOptions) -> float:
    """Run the allocation ``method`` once on a 12-buffer strip unless done in this process;
    return the seconds it took (0.0 when already warm)."""
    from decisiongym.envs.memory.generator import TightAllocationGenerator

    def run() -> None:
        tiny = TightAllocationGenerator(12, capacity=64, horizon=32, alignment=1).sample(0)
        method_for("allocation", method)(tiny, replace(options, time_limit=TINY_TIME_LIMIT,
                                                       workers=1))

    return warm_once(("memory", "allocation", method, options.objective), run)


def warm_mapping(method: str, options: SolveOptions) -> float:
    """Run the mapping ``method`` once on a 2-layer program unless done in this process; return
    the seconds it took (0.0 when already warm)."""
    from decisiongym.envs.memory.hardware import hardware_preset
    from decisiongym.envs.memory.program_generator import SyntheticProgramGenerator

    def run() -> None:
        tiny = SyntheticProgramGenerator(n_layers=2).generate(0)
        chip = hardware_preset("tpu-like").with_capacity(0.5, tiny.peak_live_bytes())
        method_for("mapping", method)(tiny, chip, replace(options, time_limit=TINY_TIME_LIMIT,
                                                          workers=1))

    return warm_once(("memory", "mapping", method), run)
