"""The SoC speed table, measured in the benchmark's own run: the stream simulator against DS3's
quoted figure, env decisions per second, HEFT against a plain-Python reference, and the learned
scheduler's compiled copy against its torch module."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

# DS3 (github segemena/DS3, SimPy, 1 µs ticks) on its default configuration, measured on 2 cores
# (shared/references/soc.md); DS3 is GPL-3.0 and not installable here, so the figure is quoted.
DS3_JOBS_PER_CPU_S = 7.3
DS3_SOURCE = "DS3 default configuration, 2 cores, as measured in references/soc.md"
SPEED_TARGET_FACTOR = 1000.0
ENV_TARGET = 20_000.0
HEFT_TARGET_FACTOR = 20.0


def measure_speed(seconds: float = 2.0) -> list[dict[str, Any]]:
    """Jobs per CPU-second with ETF, env decisions per second and HEFT against the plain
    reference, measured in this run, as table rows."""
    from decisiongym.bench.soc.grid import learned_unavailable

    rows = [_simulator_speed()]
    rows += _env_speed(seconds)
    rows += _heft_speed()
    if learned_unavailable() is None:
        rows.append(_learned_speed())
    return rows


def _simulator_speed(n_jobs: int = 20_000) -> dict[str, Any]:
    from decisiongym.baselines.soc.online import simulate
    from decisiongym.envs.soc.builtin import default_platform
    from decisiongym.envs.soc.workload import DS3_RATE_JOBS_PER_MS, ds3_workload

    platform = default_platform()
    workload = ds3_workload(DS3_RATE_JOBS_PER_MS, n_jobs, np.random.default_rng(0))
    # the first call loads the compiled kernels; time the second
    simulate(platform, ds3_workload(DS3_RATE_JOBS_PER_MS, 50, np.random.default_rng(0)), "etf")
    c0 = time.process_time()
    simulate(platform, workload, "etf", warmup_jobs=n_jobs // 10)
    ours = n_jobs / max(time.process_time() - c0, 1e-9)
    ratio = ours / DS3_JOBS_PER_CPU_S
    return {"what": f"stream simulation, ETF, default 16-PE platform, DS3 mix at "
                    f"{DS3_RATE_JOBS_PER_MS:g} jobs/ms, {n_jobs:,} jobs (jobs per CPU-second)",
            "ours": f"{ours:,.0f}", "peer": f"{DS3_JOBS_PER_CPU_S} (DS3, quoted: {DS3_SOURCE})",
            "ratio": f"{ratio:,.0f}x", "target": f">= {SPEED_TARGET_FACTOR:,.0f}x",
            "met": "yes" if ratio >= SPEED_TARGET_FACTOR else "no"}


def _learned_speed(rate: float = 20.0, n_jobs: int = 300) -> dict[str, Any]:
    """The learned scheduler's greedy choices per second on one stream: its compiled copy
    against the torch module on one thread, over the same observations."""
    from decisiongym.agents.soc.policy import SoCPolicy
    from decisiongym.agents.threads import single_torch_thread
    from decisiongym.envs.soc.env import SoCSchedulingEnv
    from decisiongym.envs.soc.workload import ds3_workload

    policy = SoCPolicy.load()
    workload = ds3_workload(rate, n_jobs, np.random.default_rng(0), noise="gaussian", sigma=0.3)
    env = SoCSchedulingEnv(mix=list(workload.applications), mode="task", invalid_action="raise")
    obs, _ = env.reset(options={"workload": workload})
    observations = []
    done = False
    while not done:
        if obs["action_mask"].sum() > 1:  # a lone occupied slot asks no network
            observations.append({key: value.copy() for key, value in obs.items()})
        obs, _, done, _, _ = env.step(policy.act(obs))
    env.close()
    compiled = policy.to_compiled()
    compiled.act(observations[0])  # the first call loads the kernels from numba's cache
    compiled = policy.to_compiled()  # and an empty embedding cache for the timed run
    t0 = time.perf_counter()
    for o in observations:
        compiled.act(o)
    ours = len(observations) / (time.perf_counter() - t0)
    with single_torch_thread():
        t0 = time.perf_counter()
        for o in observations:
            policy.act(o)
        peer = len(observations) / (time.perf_counter() - t0)
    return {"what": f"learned scheduler, the {len(observations):,} greedy choices between two "
                    f"or more ready tasks of a {n_jobs}-job stream, DS3 mix at {rate:g} jobs/ms, "
                    "sigma 0.3 (choices per second)",
            "ours": f"{ours:,.0f}", "peer": f"{peer:,.0f} (the torch module, one thread)",
            "ratio": f"{ours / peer:.1f}x", "target": "-", "met": "-"}


def _env_speed(seconds: float) -> list[dict[str, Any]]:
    from decisiongym.envs.soc.env import SoCSchedulingEnv

    rows = []
    for policy in ("first legal", "random legal"):
        env = SoCSchedulingEnv(n_jobs=200, invalid_action="raise")
        rng = np.random.default_rng(0)
        obs, _ = env.reset(seed=0)
        steps = 0
        elapsed = 0.0
        while elapsed < seconds:
            t0 = time.perf_counter()
            for _ in range(200):
                legal = np.flatnonzero(obs["action_mask"])
                action = legal[0] if policy == "first legal" else legal[rng.integers(legal.size)]
                obs, _, done, truncated, _ = env.step(int(action))
                steps += 1
                if done or truncated:
                    obs, _ = env.reset()
            elapsed += time.perf_counter() - t0
        env.close()
        rate = steps / elapsed
        rows.append({"what": f"SoCSchedulingEnv steps, {policy} action, DS3 mix at 2 jobs/ms "
                             "(decisions/s, resets included)",
                     "ours": f"{rate:,.0f}", "peer": "-", "ratio": "-",
                     "target": f">= {ENV_TARGET:,.0f}/s",
                     "met": "yes" if rate >= ENV_TARGET else "no"})
    return rows


def _heft_speed() -> list[dict[str, Any]]:
    from decisiongym.bench.soc.heft_reference import heft_speed_table

    rows = []
    for rec in heft_speed_table((100, 1000, 5000), n_pes=16):
        reference = rec["reference_s"]
        ratio = None if reference is None else reference / rec["heft_s"]
        target = "-"
        met = "-"
        if rec["n_tasks"] == 1000 and ratio is not None:
            target = f">= {HEFT_TARGET_FACTOR:.0f}x"
            met = "yes" if ratio >= HEFT_TARGET_FACTOR else "no"
        same = "" if rec["same_makespan"] is None else (
            ", same makespan" if rec["same_makespan"] else ", makespans differ")
        rows.append({"what": f"HEFT, {rec['n_tasks']:,} tasks / {rec['n_edges']:,} edges on 16 "
                             f"PEs (ms per schedule{same})",
                     "ours": f"{1e3 * rec['heft_s']:.2f}",
                     "peer": "-" if reference is None
                     else f"{1e3 * reference:.1f} (plain-Python HEFT)",
                     "ratio": "-" if ratio is None else f"{ratio:.0f}x",
                     "target": target, "met": met})
    return rows
