"""Running a dispatching network: greedy decoding and best-of-N sampling.

Both run through :class:`~decisiongym.envs.jobshop.vector.JobShopVectorEnv`: best-of-N is one
batched pass of N episodes of the same instance, rollout 0 greedy and the others sampled at
temperatures spread geometrically over ``[low, high]``; the shortest schedule wins. The network
runs only at real decisions (:mod:`.decisions`) and only on the rollouts that face one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from decisiongym.agents.jobshop.compiled import CompiledNetwork
from decisiongym.agents.jobshop.decisions import classify
from decisiongym.agents.jobshop.network import DispatchNetwork
from decisiongym.envs.jobshop.instance import JobShopInstance
from decisiongym.envs.jobshop.solution import Schedule
from decisiongym.envs.jobshop.vector import JobShopVectorEnv

DEFAULT_TEMPERATURES = (0.3, 1.5)


@dataclass(frozen=True)
class RolloutResult:
    """The best schedule of one greedy or best-of-N run.

    :param schedule: the shortest schedule found.
    :param makespan: its makespan.
    :param makespans: every rollout's makespan (rollout 0 is the greedy one, when asked).
    :param temperature: the temperature of the winning rollout (0 for greedy).
    :param wall_s: wall time of the run, network and simulator together.
    """

    schedule: Schedule
    makespan: int
    makespans: np.ndarray
    temperature: float
    wall_s: float

    @property
    def samples(self) -> int:
        return int(self.makespans.size)


def temperatures(samples: int, low: float = DEFAULT_TEMPERATURES[0],
                 high: float = DEFAULT_TEMPERATURES[1], greedy: bool = True) -> np.ndarray:
    """``samples`` temperatures: 0 (greedy) first when ``greedy``, the rest a geometric spread
    over [low, high]."""
    if samples < 1:
        raise ValueError(f"samples must be >= 1, got {samples}")
    if not 0 < low <= high:
        raise ValueError(f"temperatures need 0 < low <= high, got low={low}, high={high}")
    n = samples - 1 if greedy else samples
    spread = np.geomspace(low, high, n) if n > 0 else np.empty(0)
    return np.concatenate([[0.0], spread]) if greedy else spread


def rollout(
    network: DispatchNetwork,
    instance: JobShopInstance,
    samples: int = 1,
    seed: int = 0,
    temperature_range: tuple[float, float] = DEFAULT_TEMPERATURES,
    greedy: bool = True,
) -> RolloutResult:
    """Dispatch ``instance`` with the network: greedy (``samples=1``) or best of ``samples``.

    The forward passes run in the compiled copy of the network (:mod:`.compiled`), on one core.

    :param network: the policy; its ``config.scheme`` is the scheme used.
    :param instance: the problem (any size: the network is size-agnostic).
    :param samples: number of rollouts, greedy included.
    :param seed: seed of the sampled rollouts (greedy ignores it).
    :param temperature_range: ``(low, high)`` of the sampled rollouts' temperatures.
    :param greedy: make rollout 0 greedy (otherwise every rollout is sampled).
    """
    t0 = time.perf_counter()
    compiled = CompiledNetwork(network)
    temps = temperatures(samples, *temperature_range, greedy=greedy)
    inverse = 1.0 / np.maximum(temps, 1e-12)
    rng = np.random.default_rng(seed)
    env = JobShopVectorEnv(samples, instance, scheme=network.config.scheme, reward="sparse",
                           copy=False)
    obs, _ = env.reset(seed=seed)
    actions = np.zeros(samples, dtype=np.int64)
    scheme = network.config.scheme
    sampling = bool((temps > 0).any())
    with threadpool_limits(1):
        for _ in range(instance.n_operations):
            free, needs_network, decisions = classify(obs, scheme)
            actions[:] = free
            choosing = np.flatnonzero(needs_network)
            if choosing.size:
                rows = obs if choosing.size == samples else {
                    key: value[choosing] for key, value in obs.items()}
                logits = compiled.logits(rows)
                logits[~decisions[choosing]] = -np.inf
                chosen = logits.argmax(1)
                if sampling:
                    # Gumbel-max: argmax(logits / T + Gumbel noise) samples softmax(logits / T)
                    noisy = logits * inverse[choosing, None] + rng.gumbel(size=logits.shape)
                    chosen = np.where(temps[choosing] == 0.0, chosen, noisy.argmax(1))
                actions[choosing] = chosen
            obs, _, terminated, _, info = env.step(actions)
    if not terminated.all():
        raise RuntimeError("rollouts did not finish in n_operations steps")
    makespans = np.asarray(info["makespan"], dtype=np.int64)
    best = int(np.argmin(makespans))  # the lowest index wins ties: greedy when it is best
    schedule = Schedule(instance, env.schedule(best).start.copy())
    return RolloutResult(schedule, int(makespans[best]), makespans, float(temps[best]),
                         time.perf_counter() - t0)
