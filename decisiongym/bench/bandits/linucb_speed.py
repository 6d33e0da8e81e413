"""LinUCB online throughput: our agent beside MABWiser's, driven by the same loop in one run.

An online user decides and learns one round at a time, so that is what is timed: for each
round, pick an arm for a fresh context, then learn that arm's reward. Both learners are first
fitted on the same small batch (MABWiser needs a ``fit`` before it can ``predict``), and only
the per-round loop is timed. Contexts are standard normal, rewards uniform on [0, 1]: the
throughput of either learner does not depend on what the rewards mean.
"""

from __future__ import annotations

import importlib.metadata
import time
from typing import Any

import numpy as np

from decisiongym.agents.bandits.linear import LinUCB


def _mabwiser_version() -> str | None:
    try:
        return importlib.metadata.version("mabwiser")
    except importlib.metadata.PackageNotFoundError:
        return None


def _ours(contexts: np.ndarray, rewards: np.ndarray, n_arms: int, warmup: int, alpha: float,
          seed: int) -> float:
    agent = LinUCB(n_arms, contexts.shape[1], seed=seed, alpha=alpha)
    warm_arms = np.arange(warmup) % n_arms
    agent.update_batch(contexts[:warmup], warm_arms, rewards[:warmup, 0])
    agent.act(contexts[0])  # the first call of a kernel may load it from numba's cache
    start = time.perf_counter()
    for t in range(warmup, len(contexts)):
        arm = agent.act(contexts[t])
        agent.update(contexts[t], arm, rewards[t, arm])
    return (len(contexts) - warmup) / (time.perf_counter() - start)


def _mabwiser(contexts: np.ndarray, rewards: np.ndarray, n_arms: int, warmup: int,
              alpha: float, seed: int) -> float:
    from mabwiser.mab import MAB, LearningPolicy

    mab = MAB(arms=list(range(n_arms)),
              learning_policy=LearningPolicy.LinUCB(alpha=alpha, l2_lambda=1.0), seed=seed)
    warm_arms = np.arange(warmup) % n_arms
    mab.fit(warm_arms, rewards[:warmup, 0], contexts[:warmup])
    start = time.perf_counter()
    for t in range(warmup, len(contexts)):
        row = contexts[t:t + 1]
        arm = int(mab.predict(row))
        mab.partial_fit([arm], [rewards[t, arm]], row)
    return (len(contexts) - warmup) / (time.perf_counter() - start)


def measure_linucb_speed(n_arms: int = 10, dim: int = 20, rounds: int = 20_000, seed: int = 0,
                         peer_rounds: int = 1_000, warmup: int = 100,
                         alpha: float = 0.5) -> dict[str, Any]:
    """Decisions per second of a LinUCB online loop (act + update each round), ours and MABWiser's.

    :param n_arms: number of arms.
    :param dim: context dimension.
    :param rounds: timed rounds of our agent.
    :param seed: seed of the contexts, the rewards and both learners.
    :param peer_rounds: timed rounds of MABWiser (it is much slower, so it gets fewer).
    :param warmup: size of the batch both learners are fitted on before the timed loop.
    :param alpha: LinUCB's exploration width, the same for both.
    :returns: ``ours`` and ``mabwiser`` in decisions/s (``mabwiser`` is None when the package
        is not installed), their ``ratio`` (None likewise), the sizes, and ``mabwiser_version``.
    """
    if min(n_arms, dim, rounds, warmup) < 1 or peer_rounds < 1:
        raise ValueError("n_arms, dim, rounds, peer_rounds and warmup must be >= 1")
    rng = np.random.default_rng(seed)
    total = warmup + max(rounds, peer_rounds)
    contexts = rng.standard_normal((total, dim))
    rewards = rng.random((total, n_arms))
    ours = _ours(contexts[:warmup + rounds], rewards, n_arms, warmup, alpha, seed)
    version = _mabwiser_version()
    peer = None
    if version is not None:
        peer = _mabwiser(contexts[:warmup + peer_rounds], rewards, n_arms, warmup, alpha, seed)
    return {
        "n_arms": n_arms,
        "dim": dim,
        "rounds": rounds,
        "peer_rounds": peer_rounds,
        "ours": ours,
        "mabwiser": peer,
        "ratio": None if peer is None else ours / peer,
        "mabwiser_version": version,
    }


if __name__ == "__main__":
    result = measure_linucb_speed()
    peer = "not installed" if result["mabwiser"] is None else f"{result['mabwiser']:,.0f}/s"
    print(f"LinUCB {result['n_arms']} arms x {result['dim']} features, online loop: "
          f"decisiongym {result['ours']:,.0f}/s, MABWiser {peer}")
