"""Bandit metrics computed from the env's oracle (``info``), never from the agent's own account.

A run is a :class:`BanditTrace`: per round the arm played, the reward, the instantaneous regret
and the best arm reported by the env.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from decisiongym.bench.stats import mean_interval


@dataclass
class BanditTrace:
    """One run of one agent on one env.

    :param env: env id (or a label).
    :param agent: agent name.
    :param seed: seed of the env and the agent.
    :param arms: ``(T,)`` arm played each round (``-1`` where the action is not one arm).
    :param rewards: ``(T,)`` realised rewards.
    :param regrets: ``(T,)`` instantaneous regret from the env's oracle.
    :param best_arms: ``(T,)`` the oracle's best arm each round (``-1`` where undefined).
    :param n_arms: number of arms.
    :param wall_s: wall-clock seconds of the rounds.
    :param cpu_s: CPU seconds of the rounds.
    :param extra: per-round series some envs report (``violations``, ``iterations``...).
    """

    env: str
    agent: str
    seed: int
    arms: np.ndarray
    rewards: np.ndarray
    regrets: np.ndarray
    best_arms: np.ndarray
    n_arms: int
    wall_s: float = 0.0
    cpu_s: float = 0.0
    extra: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def horizon(self) -> int:
        return int(self.regrets.shape[0])

    @property
    def cumulative_regret(self) -> np.ndarray:
        return np.cumsum(self.regrets)


def suffix_failure_frequency(traces: Sequence[BanditTrace], t: int) -> float:
    """Share of runs that never play the best arm after round ``t`` (Krishnamurthy et al. 2024).

    A run that never plays the best arm from ``t`` on has locked onto a wrong arm; with a
    contextual best arm, "the best arm" is the oracle's best arm of each round.
    """
    if not traces:
        return float("nan")
    failed = 0
    for trace in traces:
        suffix = slice(t, None)
        if not np.any(trace.arms[suffix] == trace.best_arms[suffix]):
            failed += 1
    return failed / len(traces)


def min_frac(trace: BanditTrace) -> float:
    """``K`` times the smallest fraction of rounds any arm was played (1 = perfectly uniform)."""
    valid = trace.arms[trace.arms >= 0]
    if valid.size == 0:
        return float("nan")
    counts = np.bincount(valid, minlength=trace.n_arms)
    return float(trace.n_arms * counts.min() / valid.size)


def win_rates(final_regret: dict[str, np.ndarray]) -> dict[str, dict[str, float]]:
    """Pairwise win-rate: ``rates[a][b]`` is the share of seeds where agent ``a`` ends with lower
    cumulative regret than agent ``b`` (ties count half). Arrays are aligned by seed."""
    rates: dict[str, dict[str, float]] = {}
    for a, ra in final_regret.items():
        rates[a] = {}
        for b, rb in final_regret.items():
            if a == b:
                continue
            n = min(len(ra), len(rb))
            wins = np.sum(ra[:n] < rb[:n]) + 0.5 * np.sum(ra[:n] == rb[:n])
            rates[a][b] = float(wins / n) if n else float("nan")
    return rates


def summarize(traces: Sequence[BanditTrace]) -> dict[str, float]:
    """The summary of one (env, agent) cell over its seeds."""
    finals = [float(t.cumulative_regret[-1]) for t in traces]
    mean, half = mean_interval(finals)
    horizon = traces[0].horizon
    summary = {
        "runs": float(len(traces)),
        "horizon": float(horizon),
        "regret_mean": mean,
        "regret_ci95": half,
        "suffix_failure": suffix_failure_frequency(traces, horizon // 2),
        "min_frac": float(np.nanmean([min_frac(t) for t in traces])),
        "reward_mean": float(np.mean([t.rewards.mean() for t in traces])),
        "wall_s_mean": float(np.mean([t.wall_s for t in traces])),
    }
    for key in traces[0].extra:
        total = [float(np.sum(t.extra[key])) for t in traces]
        summary[f"{key}_total_mean"], summary[f"{key}_total_ci95"] = mean_interval(total)
    return summary
