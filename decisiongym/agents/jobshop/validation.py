"""Fixed validation instances that score a dispatching network during training."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from decisiongym.agents.jobshop.inference import rollout
from decisiongym.agents.jobshop.network import DispatchNetwork
from decisiongym.baselines.jobshop.dispatching import solve_rule
from decisiongym.envs.jobshop.generator import RandomInstanceGenerator
from decisiongym.envs.jobshop.instance import JobShopInstance

REFERENCE_RULES = ("spt", "mwkr", "fdd-mwkr")


@dataclass(frozen=True)
class ValidationSet:
    """Instances and, for each, the best makespan of :data:`REFERENCE_RULES` under the scheme.

    ``score(network)`` is the mean of greedy makespan / that makespan: below 1 the network beats
    the best of the three rules on average.
    """

    instances: tuple[JobShopInstance, ...]
    reference: np.ndarray

    @classmethod
    def draw(cls, generator: RandomInstanceGenerator, count: int, seed: int,
             scheme: str) -> ValidationSet:
        rng = np.random.default_rng(seed)
        instances = tuple(generator(rng) for _ in range(count))
        reference = np.array([min(solve_rule(inst, rule, scheme).makespan
                                  for rule in REFERENCE_RULES) for inst in instances])
        return cls(instances, reference)

    def score(self, network: DispatchNetwork) -> float:
        if not self.instances:
            return float("nan")
        makespans = np.array([rollout(network, inst).makespan for inst in self.instances])
        return float(np.mean(makespans / self.reference))
