"""The SoC methods' first-call cost, paid on a tiny instance before a timed call: the static
schedulers on Topcuoglu's 10-task DAG, the online ones on a 4-job stream."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from decisiongym.bench.warmup import warm_once
from decisiongym.envs.soc.ids import AGENT_NAMES

if TYPE_CHECKING:
    from decisiongym.envs.soc.graph import TaskGraph
    from decisiongym.envs.soc.platform import Platform

TINY_STREAM_JOBS = 4


def _static(method: str) -> None:
    from decisiongym.envs.soc.builtin import topcuoglu_graph, topcuoglu_platform

    graph, platform = topcuoglu_graph(), topcuoglu_platform()
    if method == "cpsat":
        from decisiongym.baselines.soc.cpsat import solve_dag_cpsat

        solve_dag_cpsat(graph, platform, time_limit=1.0, workers=1, seed=0)
    else:
        from decisiongym.baselines.soc.list_scheduling import SCHEDULERS

        SCHEDULERS[method](graph, platform)


def warm_static(method: str) -> float:
    """Run the static ``method`` once on Topcuoglu's DAG unless done in this process; return
    the seconds it took (0.0 when already warm).

    :param method: ``heft``, ``peft``, ``cpop`` or ``cpsat``.
    """
    return warm_once(("soc", "static", method), lambda: _static(method))


def warm_stream(scheduler: str, platform: Platform, applications: Sequence[TaskGraph],
                probabilities: Sequence[float] | None, rate_jobs_per_ms: float,
                noise_model: str = "none", sigma: float = 0.0,
                checkpoint: str | os.PathLike[str] | None = None,
                mode: str = "default") -> float:
    """Run ``scheduler`` once on a :data:`TINY_STREAM_JOBS`-job stream of the same kind unless
    done in this process; return the seconds it took (0.0 when already warm).

    :param scheduler: an online heuristic or ``learned``.
    :param checkpoint: the learned policy's file; the shipped one when None.
    :param mode: the simulator's mode (``default`` or ``ds3``).
    """
    from decisiongym.envs.soc.workload import poisson_workload

    def run() -> None:
        workload = poisson_workload(applications, probabilities, rate_jobs_per_ms,
                                    TINY_STREAM_JOBS, np.random.default_rng(0),
                                    noise=noise_model, sigma=sigma)
        if scheduler in AGENT_NAMES:
            from decisiongym.agents.soc.policy import simulate_learned

            simulate_learned(platform, workload, checkpoint)
        else:
            from decisiongym.baselines.soc.online import simulate

            simulate(platform, workload, scheduler, seed=0, mode=mode)

    return warm_once(("soc", "stream", scheduler, mode, os.fspath(checkpoint or "")), run)
