"""Priority dispatching rules, each under each schedule-generation scheme.

A rule picks, among the jobs the scheme allows, the one with the best priority (lowest job index
on ties); the whole episode runs inside one numba call. The rules:

``spt``       shortest processing time of the next operation
``lpt``       longest processing time of the next operation
``mwkr``      most work remaining in the job
``lwkr``      least work remaining in the job
``mopnr``     most operations remaining in the job
``fifo``      the job whose next operation became ready first
``fdd-mwkr``  smallest ratio of flow due date (work up to and including the next operation) to
              work remaining
``random``    uniform among the legal jobs (seeded)

The scheme matters more than the rule (SPT on ta01 is far better non-delay than active), so every
result names both.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from decisiongym.envs.jobshop.ids import DEFAULT_SCHEME, RULE_NAMES, SCHEME_NAMES
from decisiongym.envs.jobshop.instance import JobShopInstance
from decisiongym.envs.jobshop.simulator import Simulator
from decisiongym.envs.jobshop.solution import Schedule


@dataclass(frozen=True)
class RuleResult:
    schedule: Schedule
    makespan: int
    rule: str
    scheme: str
    wall_s: float


def solve_rule(
    instance: JobShopInstance, rule: str, scheme: str = DEFAULT_SCHEME, seed: int = 0
) -> RuleResult:
    """Build a schedule with one dispatching rule under one scheme.

    :param instance: the problem.
    :param rule: one of :data:`RULE_NAMES`.
    :param scheme: ``"non-delay"`` (default), ``"active"`` or ``"insertion"``.
    :param seed: seed of the ``random`` rule (ignored by the others).
    """
    t0 = time.perf_counter()
    simulator = Simulator(instance, scheme)
    makespan = simulator.run_rule(rule, seed)
    wall_s = time.perf_counter() - t0
    return RuleResult(simulator.schedule(), makespan, rule, scheme, wall_s)


def best_rule(instance: JobShopInstance, seed: int = 0) -> RuleResult:
    """The best of every deterministic rule under every scheme (a strong warm start)."""
    results = [
        solve_rule(instance, rule, scheme, seed)
        for scheme in SCHEME_NAMES
        for rule in RULE_NAMES
        if rule != "random"
    ]
    return min(results, key=lambda r: r.makespan)
