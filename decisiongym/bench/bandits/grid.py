"""Running bandit agents on bandit envs: one run, the benchmark's suites of runs and their
records, and the benchmark itself (tables and plots: :mod:`decisiongym.bench.bandits.report`).

A run plays one agent on one env for the env's horizon and keeps the oracle's account from
``info`` (regret, best arm, and any per-round cost the env reports), so every metric is the
suite's, not the agent's.
"""

from __future__ import annotations

import difflib
import inspect
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from decisiongym.bench.bandits.metrics import BanditTrace
from decisiongym.bench.record import Record
from decisiongym.envs.core.errors import InputError
from decisiongym.envs.core.files import (
    check_output_folder,
    staged_folder,
    write_frame_atomic,
    write_text_atomic,
)

FAMILY = "bandits"

# Per-round quantities some envs report in ``info``, kept beside the regret: the fairness
# env's regret against its best fair policy and its oracle's own violations among them.
EXTRA_SERIES = ("violations", "iterations", "fair_regret", "oracle_violations")


def agent_shape(env: Any, observation: np.ndarray) -> tuple[int, int]:
    """``(n_arms, dim)`` an agent needs for ``env``: arms from the env, dimension from the
    context (a ``(k, d)`` context, one row per individual, gives ``dim = d``)."""
    base = env.unwrapped
    n_arms = int(getattr(base, "n_arms", 0) or getattr(base, "k", 0))
    if n_arms <= 0:
        raise ValueError(f"env {base!r} says neither n_arms nor k")
    dim = int(observation.shape[-1]) if observation.ndim else 1
    return n_arms, dim


def run_bandit(
    env_id: str,
    agent_name: str,
    seed: int = 0,
    horizon: int | None = None,
    env_kwargs: dict[str, Any] | None = None,
    agent_kwargs: dict[str, Any] | None = None,
) -> BanditTrace:
    """Play ``agent_name`` on ``env_id`` for one episode with one seed (env and agent alike).

    :param env_id: a registered bandit env id.
    :param agent_name: a name known to ``make_agent``.
    :param seed: seeds the env's reset and the agent.
    :param horizon: rounds (the env's default when omitted).
    :param env_kwargs: extra arguments of the env.
    :param agent_kwargs: the agent's hyper-parameters.
    :raises ValueError: when ``env_id`` is not a registered bandit env (naming the closest).
    """
    import gymnasium as gym

    import decisiongym  # noqa: F401  (registers the ids)
    from decisiongym.agents.bandits import make_agent
    from decisiongym.envs.bandits.ids import FAMILY

    bandit_ids = [env.id for env in FAMILY.envs]
    if env_id not in bandit_ids:
        close = difflib.get_close_matches(env_id, bandit_ids, n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise InputError(f"{env_id!r} is not a bandit env{hint} (`decisiongym list` shows "
                         "every id)")
    kwargs = dict(env_kwargs or {})
    if horizon is not None:
        kwargs["horizon"] = horizon
    env = gym.make(env_id, disable_env_checker=True, **kwargs)
    context, _ = env.reset(seed=seed)
    n_arms, dim = agent_shape(env, context)
    agent = make_agent(agent_name, n_arms=n_arms, dim=dim, seed=seed, **(agent_kwargs or {}))
    # Semi-bandit learners read the feedback the env reveals (labels, auditors' reports).
    wants_info = "info" in inspect.signature(agent.update).parameters
    base: Any = env.unwrapped  # every bandit env declares its horizon
    rounds = int(base.horizon)
    arms = np.full(rounds, -1, np.int64)
    best = np.full(rounds, -1, np.int64)
    rewards = np.zeros(rounds)
    regrets = np.zeros(rounds)
    extra: dict[str, list[float]] = {}
    start, cpu_start = time.perf_counter(), time.process_time()
    for t in range(rounds):
        action = agent.act(context)
        next_context, raw_reward, terminated, truncated, info = env.step(action)
        reward = float(raw_reward)
        update: Any = agent.update
        if wants_info:
            update(context, action, reward, info)
        else:
            update(context, action, reward)
        rewards[t] = reward
        regrets[t] = info["regret"]
        if np.ndim(action) == 0:
            arms[t] = int(action)
        if "best_arm" in info:
            best[t] = int(info["best_arm"])
        for key in EXTRA_SERIES:
            if key in info:
                extra.setdefault(key, []).append(float(info[key]))
        context = next_context
        if terminated or truncated:
            rounds = t + 1
            break
    wall_s, cpu_s = time.perf_counter() - start, time.process_time() - cpu_start
    env.close()
    return BanditTrace(env_id, agent_name, seed, arms[:rounds], rewards[:rounds],
                       regrets[:rounds], best[:rounds], n_arms, wall_s, cpu_s,
                       {k: np.asarray(v) for k, v in extra.items()})


@dataclass(frozen=True)
class BanditCell:
    """One run of the benchmark grid (picklable, for local processes or Ray)."""

    env_id: str
    agent: str
    seed: int
    horizon: int | None = None
    env_kwargs: tuple[tuple[str, Any], ...] = ()
    agent_kwargs: tuple[tuple[str, Any], ...] = ()
    group: str = ""


CURVE_POINTS = 50


def run_cell(cell: BanditCell) -> Record:
    """The record of a run: its cumulative regret from the env's oracle as the objective, the
    horizon as its budget, and in ``extra`` the suite, the other metrics and the
    cumulative-regret curve at ``CURVE_POINTS`` rounds (JSON lists). A run has no schedule to
    validate: it is valid when the oracle accounted a finite regret for every round."""
    from decisiongym.bench.bandits.metrics import min_frac

    _one_torch_thread()
    trace = run_bandit(cell.env_id, cell.agent, cell.seed, cell.horizon, dict(cell.env_kwargs),
                       dict(cell.agent_kwargs))
    cumulative = trace.cumulative_regret
    half = trace.horizon // 2
    points = np.unique(np.linspace(1, trace.horizon, CURVE_POINTS).astype(int))
    extra: dict[str, Any] = {
        "group": cell.group,
        "regret_first_half": float(cumulative[half - 1]) if half else 0.0,
        "suffix_failure": bool(
            trace.best_arms[0] >= 0
            and not np.any(trace.arms[half:] == trace.best_arms[half:])
        ),
        "min_frac": min_frac(trace) if trace.arms[0] >= 0 else float("nan"),
        "reward_mean": float(trace.rewards.mean()),
        "decisions_per_s": trace.horizon / trace.wall_s if trace.wall_s > 0 else float("nan"),
        "curve_t": json.dumps(points.tolist()),
        "curve_regret": json.dumps(np.round(cumulative[points - 1], 3).tolist()),
    }
    for key, series in trace.extra.items():
        extra[f"{key}_total"] = float(series.sum())
    return Record(family=FAMILY, method=cell.agent, instance=cell.env_id, seed=cell.seed,
                  budget=trace.horizon, objective=float(cumulative[-1]), objective_name="regret",
                  sense="min", status="COMPLETED",
                  valid=bool(trace.horizon > 0 and np.isfinite(trace.regrets).all()),
                  wall_s=trace.wall_s, cpu_s=trace.cpu_s, extra=extra)


def warm_cell(cell: BanditCell) -> None:
    """Pay the first call's cost of the cell's agent on its env with a short run, once per
    process."""
    from decisiongym.bench.bandits.warmup import warm_agent

    _one_torch_thread()
    warm_agent(cell.env_id, cell.agent, dict(cell.env_kwargs), dict(cell.agent_kwargs))


def _one_torch_thread() -> None:
    """Benchmark workers run side by side, one per core: torch's own threads would fight them."""
    try:
        import torch
    except ModuleNotFoundError:
        return
    torch.set_num_threads(1)


@dataclass
class BanditSuite:
    """A named group of cells: envs x agents x seeds.

    :param reward_ranges: per env id, the ``(low, high)`` of its rewards, handed to every agent
        as ``reward_range`` (agents that model ``[0, 1]`` rewards learn from rescaled ones).
    :param task_seeds: per env id that is one of BanditBench's fixed task instances, the task's
        seed: its cells play the task's BanditBench trials (seeded by
        :func:`~decisiongym.envs.bandits.banditbench.trial_seeds`) instead of seeds 0..n-1.
    :param trials: the fewest trials those envs play, whatever the number of seeds.
    """

    group: str
    env_ids: tuple[str, ...]
    agents: tuple[str, ...]
    horizon: int | None = None
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    reward_ranges: dict[str, tuple[float, float]] = field(default_factory=dict)
    task_seeds: dict[str, int] = field(default_factory=dict)
    trials: int = 0

    def env_seeds(self, env_id: str, seeds: int) -> tuple[int, ...]:
        """The seeds ``env_id`` is played with: ``0..seeds-1``, or the first
        ``max(seeds, trials)`` BanditBench trial seeds of a fixed task instance."""
        if env_id in self.task_seeds:
            from decisiongym.envs.bandits.banditbench import trial_seeds

            return trial_seeds(self.task_seeds[env_id], max(seeds, self.trials))
        return tuple(range(seeds))

    def cells(self, seeds: int) -> list[BanditCell]:
        cells = []
        for env_id in self.env_ids:
            agent_kwargs: tuple[tuple[str, Any], ...] = ()
            if env_id in self.reward_ranges:
                agent_kwargs = (("reward_range", self.reward_ranges[env_id]),)
            cells += [
                BanditCell(env_id, agent, seed, self.horizon, tuple(self.env_kwargs.items()),
                           agent_kwargs, self.group)
                for agent in self.agents
                for seed in self.env_seeds(env_id, seeds)
            ]
        return cells


BERNOULLI_AGENTS = ("epsilon-greedy", "ucb1", "ts", "linucb")
GAUSSIAN_AGENTS = ("epsilon-greedy", "ucb1", "ts-gaussian", "linucb")
CONTEXTUAL_AGENTS = ("epsilon-greedy", "linucb", "lints", "squarecb", "fastcb", "squarecb-nn",
                     "fastcb-nn", "neuralucb", "neuralts", "neucb-sq", "neucb-kl")
CLASSIFICATION_AGENTS = ("linucb", "lints", "squarecb", "fastcb", "neuralucb", "neuralts",
                         "neucb-sq", "neucb-kl")
SOR_AGENTS = ("ucb1", "exp3", "tsallis-inf", "chebcb")
FAIRNESS_AGENTS = ("exp2", "ftpl-semibandit")
SUITE_NAMES = ("mab", "contextual", "classification", "sor", "fairness")
# Reward ranges handed to the agents that model [0, 1] rewards (noise tails are clipped).
CONTEXTUAL_RANGES = {
    "decisiongym/ContextualBandit-Linear-v0": (-1.3, 1.3),
    "decisiongym/ContextualBandit-Quadratic-v0": (-0.3, 10.3),
    "decisiongym/ContextualBandit-Cosine-v0": (-1.3, 1.3),
}


def banditbench_task_seeds() -> dict[str, int]:
    """The registered ids that are BanditBench's fixed task instances, with their task seeds."""
    from decisiongym.envs.bandits.ids import FAMILY as BANDITS
    from decisiongym.envs.bandits.mab import MAB_CONFIGS

    seeds = {}
    for env in BANDITS.envs:
        config = MAB_CONFIGS.get(str(env.kwargs.get("config")))
        if env.kwargs.get("instance") == "fixed" and config is not None:
            assert config.instance_seed is not None
            seeds[env.id] = config.instance_seed
    return seeds


def default_suites(quick: bool = False) -> dict[str, list[BanditSuite]]:
    """The benchmark's suites (short horizons with ``quick``). BanditBench's fixed task
    instances play the task's BanditBench trials, at least its 20 (as many as the seeds with
    ``quick``); the same tasks redrawn at every reset play the seeds."""
    from decisiongym.envs.bandits.banditbench import TRIALS
    from decisiongym.envs.bandits.ids import FAMILY as BANDITS

    ids = [env.id for env in BANDITS.envs]
    bernoulli = tuple(i for i in ids if i.startswith("decisiongym/MAB-Bernoulli"))
    gaussian = tuple(i for i in ids if i.startswith("decisiongym/MAB-Gaussian"))
    contextual = tuple(i for i in ids if i.startswith("decisiongym/ContextualBandit-"))
    classification = tuple(i for i in ids if i.startswith("decisiongym/ClassificationBandit-")
                           and not i.endswith("ClassificationBandit-v0"))
    if quick:  # one task of each distribution, fixed and redrawn
        bernoulli, gaussian = bernoulli[:2], gaussian[:2]
    short = 4 if quick else 1
    sor = ("decisiongym/SORRelaxation-High-v0", "decisiongym/SORRelaxation-Low-v0")
    tasks = banditbench_task_seeds()
    trials = 0 if quick else TRIALS
    return {
        "mab": [BanditSuite("mab", bernoulli, BERNOULLI_AGENTS, task_seeds=tasks, trials=trials),
                BanditSuite("mab", gaussian, GAUSSIAN_AGENTS, task_seeds=tasks, trials=trials)],
        "contextual": [BanditSuite("contextual", contextual, CONTEXTUAL_AGENTS, 2000 // short,
                                   reward_ranges=CONTEXTUAL_RANGES)],
        "classification": [BanditSuite("classification", classification,
                                       CLASSIFICATION_AGENTS, 2000 // short)],
        "sor": [BanditSuite("sor", sor, SOR_AGENTS, 2000 // short)],
        "fairness": [BanditSuite("fairness", ("decisiongym/OneSidedFairness-v0",),
                                 FAIRNESS_AGENTS, 1000 // short)],
    }


def run_benchmark(
    seeds: int = 10,
    suites: Sequence[str] | None = None,
    quick: bool = False,
    processes: int = 2,
    out_dir: str | Path = "benchmarks/results",
    command: str = "decisiongym bench bandits",
    backend: str = "local",
    address: str | None = None,
    speed: bool = True,
    obd: str | Path | None = None,
) -> Path:
    """Run the suites, write ``bandits.csv``, ``bandits_speed.csv``, one regret plot per suite,
    ``bandits_offpolicy.csv`` (the off-policy table, with the Open Bandit Dataset at ``obd``
    when given) and ``bandits.md`` (rendered from the CSVs) into ``out_dir``; return the
    markdown path."""
    import pandas as pd

    from decisiongym.bench.bandits.offpolicy_report import offpolicy_section
    from decisiongym.bench.bandits.report import plot_suite, render
    from decisiongym.bench.record import read_frame, write_records
    from decisiongym.bench.runner import run_grid

    chosen = list(suites or SUITE_NAMES)
    unknown = [s for s in chosen if s not in SUITE_NAMES]
    if unknown:
        raise InputError(f"unknown suites {unknown}; choose from {', '.join(SUITE_NAMES)}",
                         field="--suites")
    out = check_output_folder(out_dir)
    if quick:
        seeds = min(seeds, 2)
    table = default_suites(quick)
    cells = [cell for name in chosen for suite in table[name] for cell in suite.cells(seeds)]
    records = run_grid(cells, run_cell, lambda c: f"{c.agent} {c.env_id.split('/')[-1]}",
                       backend=backend, processes=processes, address=address, title=FAMILY,
                       warm_up=warm_cell)
    # the folder is made only now, with something to write, and the files land together
    with staged_folder(out) as staging:
        write_records(records, staging / "bandits.csv")
        results = read_frame(staging / "bandits.csv")
        references = sor_references(seeds) if "sor" in chosen else []
        speed_records = measure_speed() if speed else []
        if speed_records:
            write_frame_atomic(pd.DataFrame.from_records(speed_records),
                               staging / "bandits_speed.csv", index=False)
        plots = [plot_suite(results, name, staging) for name in chosen]
        markdown = render(results, references, speed_records, command,
                          [p.name for p in plots if p is not None])
        markdown += "\n" + "\n".join(offpolicy_section(seeds, obd, quick,
                                                       staging / "bandits_offpolicy.csv"))
        write_text_atomic(markdown, staging / "bandits.md")
    return out / "bandits.md"


def sor_references(seeds: int) -> list[dict[str, Any]]:
    """Best fixed omega and instance-optimal iterations on the SOR families (reference lines)."""
    from decisiongym.baselines.bandits.relaxation import (
        best_fixed_omega,
        instance_optimal_iterations,
    )

    rows = []
    for family in ("high", "low"):
        omega, fixed = best_fixed_omega(family=family, grid=10, n_instances=500, seed=seeds)
        optimal = instance_optimal_iterations(family=family, grid=10, n_instances=500,
                                              seed=seeds)
        rows.append({"family": family, "best_fixed_omega": omega,
                     "best_fixed_iterations": fixed, "instance_optimal": optimal})
    return rows


def measure_speed() -> list[dict[str, Any]]:
    """LinUCB against MABWiser and SOR against scipy, measured in this run, as table rows."""
    from decisiongym.bench.bandits.linucb_speed import measure_linucb_speed
    from decisiongym.bench.bandits.sor_speed import measure_sor_speed

    lin = measure_linucb_speed()
    sor = measure_sor_speed()
    peer = ("not installed" if lin["mabwiser"] is None
            else f"{lin['mabwiser']:,.0f} (MABWiser {lin['mabwiser_version']})")
    return [
        {"what": f"LinUCB online loop, {lin['n_arms']} arms x {lin['dim']} features "
                 "(decisions/s, act + update)",
         "ours": f"{lin['ours']:,.0f}", "peer": peer,
         "ratio": "-" if lin["ratio"] is None else f"{lin['ratio']:.0f}x"},
        {"what": f"SOR solve, {sor['grid']}x{sor['grid']} grid, omega {sor['omega']:.3f}, "
                 f"{sor['iterations_numba']} iterations (ms per solve)",
         "ours": f"{1e3 * sor['numba_seconds']:.2f}",
         "peer": f"{1e3 * sor['scipy_seconds']:.1f} (scipy triangular solve)",
         "ratio": f"{sor['speedup']:.0f}x"},
    ]
