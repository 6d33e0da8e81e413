"""The job-shop methods' first-call cost, paid on ft06 (6 jobs, 6 machines) before a timed
solve: the rules' simulator kernels, CP-SAT's start-up, the learned rule's compiled network."""

from __future__ import annotations

import os
from functools import cache

from decisiongym.bench.warmup import warm_once
from decisiongym.envs.jobshop.ids import RULE_NAMES, SCHEME_NAMES
from decisiongym.envs.jobshop.instance import JobShopInstance


@cache
def _tiny() -> JobShopInstance:
    from decisiongym.envs.jobshop.catalog import load_instance

    return load_instance("ft06")


def _rules() -> None:
    from decisiongym.baselines.jobshop.dispatching import solve_rule

    for scheme in SCHEME_NAMES:
        for rule in RULE_NAMES:
            solve_rule(_tiny(), rule, scheme, 0)


def _cpsat() -> None:
    from decisiongym.baselines.jobshop.cpsat import solve_cpsat

    solve_cpsat(_tiny(), time_limit=1.0, workers=1, seed=0)


def _learned(samples: int, checkpoint: str | os.PathLike[str] | None) -> None:
    from decisiongym.agents.jobshop.inference import rollout
    from decisiongym.agents.jobshop.network import DispatchNetwork, default_checkpoint

    network = DispatchNetwork.load(checkpoint if checkpoint is not None
                                   else default_checkpoint())
    rollout(network, _tiny(), samples=samples, seed=0)


def warm_method(method: str, *, samples: int = 1,
                checkpoint: str | os.PathLike[str] | None = None) -> float:
    """Run ``method`` once on ft06 unless done in this process; return the seconds it took
    (0.0 when already warm). CP-SAT's warm start from the best rule warms the rules too.

    :param method: a rule, ``cpsat`` (or a CP-SAT cell's ``cpsat-...``) or ``learned``.
    :param samples: the learned rule's rollouts (greedy and sampled decoding differ).
    :param checkpoint: the learned rule's network file; the shipped one when None.
    :raises FileNotFoundError: for a learned rule without a network file.
    """
    if method == "learned":
        sampled = samples > 1
        key = ("jobshop", "learned", sampled, os.fspath(checkpoint or ""))
        return warm_once(key, lambda: _learned(2 if sampled else 1, checkpoint))
    seconds = warm_once(("jobshop", "rules"), _rules)
    if method.startswith("cpsat"):
        seconds += warm_once(("jobshop", "cpsat"), _cpsat)
    return seconds
