"""Simulator speed: our job-shop env single and batched, beside the peer envs, in one run.

Every env is driven by the same loop: uniformly random legal actions read from its mask, a
reset at each episode end, only the stepping timed.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from decisiongym.bench.jobshop.peer_envs import (
    available_peers,
    measure_job_shop_lib,
    measure_jssenv,
    timed_rollout,
)
from decisiongym.envs.jobshop.catalog import load_instance
from decisiongym.envs.jobshop.formats import write_orlib
from decisiongym.envs.jobshop.generator import RandomInstanceGenerator

OURS = "decisiongym"


def measure_single(name: str, seconds: float = 3.0, seed: int = 0,
                   scheme: str = "insertion") -> dict[str, Any]:
    """Steps per second of one ``decisiongym/JobShop-v0`` made with ``gym.make``."""
    import gymnasium as gym

    import decisiongym  # noqa: F401  (registers the ids)

    instance = load_instance(name)
    env = gym.make("decisiongym/JobShop-v0", instance=instance, scheme=scheme,
                   invalid_action="raise")
    rng = np.random.default_rng(seed)
    obs, _ = env.reset(seed=seed)

    def step() -> tuple[bool, bool]:
        nonlocal obs
        legal = np.flatnonzero(obs["action_mask"])
        obs, _, done, _, _ = env.step(int(legal[rng.integers(legal.size)]))
        return bool(done), True

    def reset() -> None:
        nonlocal obs
        obs, _ = env.reset()

    steps, episodes, elapsed = timed_rollout(step, reset, instance.n_operations, seconds, None)
    env.close()
    return _record(f"{OURS} (single)", name, steps / elapsed, episodes, "steps/s")


def measure_batched(name: str, num_envs: int = 64, seconds: float = 3.0, seed: int = 0,
                    scheme: str = "insertion") -> dict[str, Any]:
    """Operations dispatched per second by the native vector env over ``num_envs`` copies."""
    import gymnasium as gym

    import decisiongym  # noqa: F401

    envs = gym.make_vec("decisiongym/JobShop-v0", num_envs=num_envs,
                        vectorization_mode="vector_entry_point", instance=name, scheme=scheme,
                        copy=False)
    rng = np.random.default_rng(seed)
    obs, _ = envs.reset(seed=seed)
    steps = episodes = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        # A uniform legal job per env: the argmax of uniform noise over the legal entries.
        noise = rng.random(obs["action_mask"].shape) * obs["action_mask"]
        obs, _, terminated, _, _ = envs.step(noise.argmax(axis=1))
        steps += num_envs
        episodes += int(terminated.sum())
    elapsed = time.perf_counter() - start
    envs.close()
    return _record(f"{OURS} (vector, {num_envs} envs)", name, steps / elapsed, episodes,
                   "operations/s")


def measure_reset(n_jobs: int = 100, n_machines: int = 20, repeats: int = 50,
                  seed: int = 0) -> list[dict[str, Any]]:
    """Milliseconds per ``reset``: the same instance again, and a new instance each time."""
    from decisiongym.envs.jobshop.env import JobShopEnv

    generator = RandomInstanceGenerator(n_jobs=n_jobs, n_machines=n_machines)
    size = f"{n_jobs}x{n_machines}"
    fresh = JobShopEnv(instance=generator, scheme="insertion")
    fresh.reset(seed=seed)
    t0 = time.perf_counter()
    for _ in range(repeats):
        fresh.reset()
    new_ms = 1e3 * (time.perf_counter() - t0) / repeats
    same = JobShopEnv(instance=generator.sample(seed), scheme="insertion")
    same.reset(seed=seed)
    t0 = time.perf_counter()
    for _ in range(repeats):
        same.reset()
    same_ms = 1e3 * (time.perf_counter() - t0) / repeats
    return [
        _record(f"{OURS} reset, new instance", size, new_ms, repeats, "ms"),
        _record(f"{OURS} reset, same instance", size, same_ms, repeats, "ms"),
    ]


def measure_all(instances: tuple[str, ...] = ("ta41", "ta71"), seconds: float = 3.0,
                seed: int = 0) -> list[dict[str, Any]]:
    """Every speed record of the job-shop benchmark."""
    records = []
    peers = available_peers()
    for name in instances:
        records.append(measure_single(name, seconds, seed))
        records.append(measure_batched(name, 64, seconds, seed))
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"{name}.txt"
            write_orlib(load_instance(name), path)
            for peer, measure in (("JSSEnv", measure_jssenv),
                                  ("job-shop-lib", measure_job_shop_lib)):
                if peer not in peers:
                    continue
                rate = measure(path, seconds, seed)
                records.append(_record(f"{peer} {rate.version}", name, rate.steps_per_s,
                                       rate.episodes, "steps/s"))
    records.extend(measure_reset(seed=seed))
    return records


def _record(env: str, instance: str, value: float, episodes: int, unit: str) -> dict[str, Any]:
    return {"env": env, "instance": instance, "value": value, "unit": unit, "episodes": episodes}
