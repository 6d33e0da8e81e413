"""SoC task DAGs and platforms shared by the list-scheduling tests."""

from __future__ import annotations

import numpy as np

from decisiongym.envs.soc.generator import RandomDAGGenerator, random_platform
from decisiongym.envs.soc.graph import TaskGraph
from decisiongym.envs.soc.platform import Platform


def uniform_platform(n_pes: int, bandwidth: float = 1.0, startup: float = 0.0) -> Platform:
    """``n_pes`` PEs, one type each (``P1``...), every link at the same bandwidth."""
    return Platform(
        name=f"uniform{n_pes}",
        type_names=tuple(f"P{q + 1}" for q in range(n_pes)),
        pe_type=np.arange(n_pes),
        frequency_mhz=np.full(n_pes, 1000.0),
        busy_power_w=np.ones(n_pes),
        idle_power_w=np.zeros(n_pes),
        bandwidth=np.full((n_pes, n_pes), bandwidth),
        startup_latency=startup,
    )


def random_instance(seed: int, n_tasks: tuple[int, int] = (10, 12),
                    n_pes: int = 4) -> tuple[TaskGraph, Platform]:
    generator = RandomDAGGenerator(n_tasks=n_tasks, p_unsupported=0.3, heterogeneity=1.5,
                                   ccr=0.5 + seed % 3)
    platform = random_platform(n_pes, 3, seed, startup_latency=0.5 * (seed % 2))
    return generator.sample(seed), platform
