"""One stream of task-DAG jobs on a platform under one online scheduler, heuristic or learned,
as ``decisiongym simulate soc`` asks.

The mix is resolved by the env's own :func:`~decisiongym.envs.soc.env.resolve_mix`, so a mix
means the same jobs here as in ``decisiongym/SoC-v0``. The learned scheduler lives in
``decisiongym.agents.soc``; it is imported only when asked for.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from decisiongym.bench.soc.warmup import warm_stream
from decisiongym.envs.core.errors import InputError
from decisiongym.envs.soc.builtin import load_platform
from decisiongym.envs.soc.env import MixSpec, resolve_mix
from decisiongym.envs.soc.ids import (
    AGENT_NAMES,
    DS3_SCHEDULERS,
    ONLINE_SCHEDULERS,
    SIMULATOR_MODES,
)
from decisiongym.envs.soc.workload import poisson_workload

MAX_STREAM_US = 1e12
"""Longest span of arrivals a stream may have, µs (about 11.6 days): float64 times there still
resolve a nanosecond, so latencies and energies stay meaningful."""


@dataclass(frozen=True)
class StreamRecord:
    """The inputs and metrics of one stream simulation.

    :param platform: the platform's name.
    :param mix: the mix as given (``ds3`` or ``app[:weight],...``).
    :param scheduler: the online scheduler's name.
    :param rate_jobs_per_ms: the injection rate.
    :param jobs: jobs in the stream.
    :param warmup_jobs: leading jobs left out of the metrics.
    :param noise: execution-time noise sigma as a fraction of the mean.
    :param noise_model: the noise distribution (``"none"`` without noise).
    :param seed: seed of arrivals, mix and noise (and of the ``random`` scheduler).
    :param metrics: the simulation's scalar metrics (``SimulationResult.metrics()``).
    :param wall_s: wall time of the simulation (the learned policy's loading included).
    :param cpu_s: its CPU time.
    :param compile_s: what the scheduler's first run, on a tiny stream before the timed one,
        cost (numba compiling, the policy's first call).
    :param mode: the simulator's mode, ``default`` or ``ds3``.
    """

    platform: str
    mix: str
    scheduler: str
    rate_jobs_per_ms: float
    jobs: int
    warmup_jobs: int
    noise: float
    noise_model: str
    seed: int
    metrics: dict[str, float]
    wall_s: float
    cpu_s: float
    compile_s: float = 0.0
    mode: str = "default"

    def as_json(self) -> dict[str, Any]:
        """The record as ``decisiongym simulate soc --json`` prints it."""
        return {"platform": self.platform, "mix": self.mix, "scheduler": self.scheduler,
                "mode": self.mode,
                "rate_jobs_per_ms": self.rate_jobs_per_ms, "jobs": self.jobs,
                "warmup_jobs": self.warmup_jobs, "noise": self.noise,
                "noise_model": self.noise_model, "seed": self.seed, **self.metrics,
                "wall_s": round(self.wall_s, 6), "cpu_s": round(self.cpu_s, 6),
                "compile_s": round(self.compile_s, 6),
                "jobs_per_cpu_s": self.jobs / self.cpu_s if self.cpu_s > 0 else None}


def mix_from_text(text: str) -> MixSpec:
    """The mix a text names, in the form :func:`~decisiongym.envs.soc.env.resolve_mix` takes.

    :param text: ``ds3``, or a comma list ``app[:weight]`` of built-in application names or
        files (weight 1 when omitted); the weights are normalised to probabilities.
    :raises InputError: for an empty name, or a weight that is not a finite number >= 0, or
        weights that are all 0.
    """
    if text == "ds3":
        return text
    names, weights = [], []
    for item in text.split(","):
        name, _, weight = item.strip().partition(":")
        if not name:
            raise InputError(f"empty application name in {text!r}", "mix")
        try:
            value = float(weight) if weight else 1.0
        except ValueError:
            raise InputError(f"weight {weight!r} of {name} is not a number", "mix") from None
        if not math.isfinite(value) or value < 0:
            raise InputError(f"weight {weight!r} of {name} must be a finite number >= 0", "mix")
        names.append(name)
        weights.append(value)
    if sum(weights) <= 0:
        raise InputError(f"the weights of {text!r} are all 0", "mix")
    probabilities = np.asarray(weights) / np.sum(weights)
    return [(name, float(p)) for name, p in zip(names, probabilities)]


def simulate_stream(
    scheduler: str,
    *,
    platform: str | os.PathLike[str] = "default",
    mix: str = "ds3",
    rate_jobs_per_ms: float = 2.0,
    n_jobs: int = 1000,
    noise: float = 0.0,
    noise_model: str = "gaussian",
    warmup_jobs: int | None = None,
    seed: int = 0,
    checkpoint: str | os.PathLike[str] | None = None,
    mode: str = "default",
) -> StreamRecord:
    """Simulate a Poisson stream of jobs under one online scheduler, event by event.

    :param scheduler: a heuristic of :data:`decisiongym.envs.soc.ids.ONLINE_SCHEDULERS` or
        ``learned`` (:data:`decisiongym.envs.soc.ids.AGENT_NAMES`); in the ``ds3`` mode one of
        :data:`decisiongym.envs.soc.ids.DS3_SCHEDULERS`.
    :param platform: a built-in platform name or a platform file.
    :param mix: ``ds3`` or a comma list ``app[:weight]`` (:func:`mix_from_text`).
    :param rate_jobs_per_ms: injection rate, jobs per ms.
    :param n_jobs: jobs in the stream.
    :param noise: execution-time noise sigma as a fraction of the mean (0 for none).
    :param noise_model: ``gaussian`` or ``lognormal``, used when ``noise > 0``.
    :param warmup_jobs: leading jobs left out of the metrics; ``None`` for a tenth of the jobs.
    :param seed: seed of arrivals, mix and noise (and of the ``random`` scheduler).
    :param checkpoint: the learned policy's file; ``None`` for the shipped one.
    :param mode: the simulator's mode: ``default``, or ``ds3`` for DS3's semantics (its rules,
        back-filling from the oldest job, at most 12 jobs in flight;
        :mod:`decisiongym.envs.soc.ds3_sim`).
    :raises InputError: for a scheduler the mode does not run, an unknown mode, an unknown
        platform or application, or a stream that leaves
        nothing to measure: ``warmup_jobs`` not below ``n_jobs``, or arrivals so sparse that
        the stream spans more than :data:`MAX_STREAM_US` µs, where float64 times lose the
        resolution of a task.
    """
    if mode not in SIMULATOR_MODES:
        raise InputError(f"must be one of {', '.join(SIMULATOR_MODES)}, got {mode!r}", "mode")
    if mode != "default" and scheduler not in DS3_SCHEDULERS:
        raise InputError(f"the {mode} mode runs DS3's schedulers {', '.join(DS3_SCHEDULERS)}, "
                         f"not {scheduler!r}", "scheduler")
    if mode == "default" and scheduler in DS3_SCHEDULERS and scheduler not in ONLINE_SCHEDULERS:
        raise InputError(f"{scheduler!r} is DS3's rule and runs in the ds3 mode (mode=\"ds3\", "
                         f"--mode ds3); this library's own is {scheduler}-soonest", "scheduler")
    if warmup_jobs is not None and not 0 <= warmup_jobs < n_jobs:
        raise InputError(f"must be in [0, n_jobs - 1] = [0, {n_jobs - 1}], got {warmup_jobs}: "
                         "the warm-up would leave no job to measure", "warmup_jobs")
    if not math.isfinite(rate_jobs_per_ms) or rate_jobs_per_ms <= 0:
        raise InputError(f"must be a finite number > 0, got {rate_jobs_per_ms}",
                         "rate_jobs_per_ms")
    span_us = n_jobs * 1000.0 / rate_jobs_per_ms
    if span_us > MAX_STREAM_US:
        raise InputError(f"{rate_jobs_per_ms:g} jobs per ms spreads {n_jobs} jobs over about "
                         f"{span_us:.2g} µs, beyond {MAX_STREAM_US:.0e} µs where the times "
                         "lose their resolution; raise the rate or lower the jobs",
                         "rate_jobs_per_ms")
    try:
        on = load_platform(platform)
        applications, probabilities = resolve_mix(mix_from_text(mix), on)
    except KeyError as exc:
        raise InputError(exc.args[0]) from None
    drawn_noise = noise_model if noise > 0 else "none"
    workload = poisson_workload(applications, probabilities, rate_jobs_per_ms, n_jobs,
                                np.random.default_rng(seed), noise=drawn_noise, sigma=noise)
    warmup = warmup_jobs if warmup_jobs is not None else n_jobs // 10
    compile_s = warm_stream(scheduler, on, applications, probabilities, rate_jobs_per_ms,
                            drawn_noise, noise, checkpoint, mode=mode)
    t0, c0 = time.perf_counter(), time.process_time()
    if scheduler in AGENT_NAMES:
        from decisiongym.agents.soc.policy import simulate_learned

        result = simulate_learned(on, workload, checkpoint, warmup_jobs=warmup)
    else:
        from decisiongym.baselines.soc.online import simulate

        result = simulate(on, workload, scheduler, seed=seed, warmup_jobs=warmup, mode=mode)
    wall_s, cpu_s = time.perf_counter() - t0, time.process_time() - c0
    return StreamRecord(on.name, mix, scheduler, rate_jobs_per_ms, n_jobs, warmup, noise,
                        drawn_noise, seed, result.metrics(), wall_s, cpu_s, compile_s, mode)
