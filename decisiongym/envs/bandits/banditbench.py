"""BanditBench's task instances: the arm means each task draws once from its own seed, and the
seeds of its trials.

BanditBench (Nie et al., EVOLvE, allenanie/EVOLvE at c9f71c6) builds its 16 multi-armed tasks
(``FullBench``) in one loop, numbering them as it goes: K in (5, 20), then the scenario
(VideoWatching, ClothesShopping), then the difficulty (easy, hard). The Bernoulli and the
Gaussian task of one step share the step's number, counted from 1, and that number is the
task's seed:

====  =====  =========  ==========
seed  K      scenario   difficulty
====  =====  =========  ==========
1     5      video      easy
2     5      video      hard
3     5      clothes    easy
4     5      clothes    hard
5     20     video      easy
6     20     video      hard
7     20     clothes    easy
8     20     clothes    hard
====  =====  =========  ==========

So a Video task and its Clothes twin are two different instances: the same generating rule
under another seed (the scenario itself only names the arms).

The rule, for a task seed ``s`` (every generator is NumPy's ``default_rng``):

* Bernoulli with gap ``g``: the list of K - 1 means ``0.5 - g/2`` followed by one ``0.5 + g/2``
  is shuffled in place by ``default_rng(s)``.
* Gaussian with spread ``sigma``: K means are drawn one after the other by
  ``default_rng(s).normal(0, sigma)``; the list of ``(mean, sigma)`` pairs is then shuffled by a
  second, fresh ``default_rng(s)``.

A task's trials (20 per task) replay the same arms; only the reward noise changes. Trial ``i``
reseeds the reward generator with ``default_rng(t_i)``, where ``t_0, t_1, ...`` are drawn by
``RandomState(s).randint(0, 2**32 - 1, size=n)``. A Bernoulli reward is ``1`` when the
generator's ``uniform(0, 1)`` falls below the arm's mean; a Gaussian reward is
``normal(mean, sigma)``.
"""

from __future__ import annotations

import numpy as np

from decisiongym.envs.core.errors import InputError

TRIALS = 20
"""Trials per task in BanditBench's evaluation."""

_ARM_COUNTS = (5, 20)
_DOMAINS = ("video", "clothes")
_DIFFICULTIES = ("easy", "hard")

TASK_SEEDS: dict[tuple[int, str, str], int] = {
    (n_arms, domain, difficulty): number
    for number, (n_arms, domain, difficulty) in enumerate(
        ((k, d, level) for k in _ARM_COUNTS for d in _DOMAINS for level in _DIFFICULTIES),
        start=1)
}
"""The seed of each BanditBench task by ``(n_arms, domain, difficulty)``: FullBench's task
number, shared by the Bernoulli and the Gaussian task of a setting."""


def check_seed(seed: object, field: str) -> int:
    """``seed`` as an int NumPy's generators accept (0 <= seed), or an error naming ``field``."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"must be an integer >= 0, got {seed!r}", field)
    return int(seed)


def bernoulli_means(n_arms: int, gap: float, seed: int) -> np.ndarray:
    """The arm means BanditBench's rule gives a Bernoulli task (see the module docstring).

    :param n_arms: number of arms, >= 2.
    :param gap: best mean minus every other mean, in (0, 1].
    :param seed: the task's seed.
    :returns: ``(n_arms,)`` means: one ``0.5 + gap/2``, the others ``0.5 - gap/2``.
    """
    means = [0.5 - gap / 2] * (n_arms - 1) + [0.5 + gap / 2]
    np.random.default_rng(check_seed(seed, "instance_seed")).shuffle(means)
    return np.asarray(means, dtype=np.float64)


def gaussian_means(n_arms: int, sigma: float, seed: int) -> np.ndarray:
    """The arm means BanditBench's rule gives a Gaussian task (see the module docstring).

    :param n_arms: number of arms, >= 2.
    :param sigma: standard deviation of the means around 0.
    :param seed: the task's seed.
    :returns: ``(n_arms,)`` means, in the order of the arms.
    """
    seed = check_seed(seed, "instance_seed")
    draw = np.random.default_rng(seed)
    means = [float(draw.normal(0.0, sigma)) for _ in range(n_arms)]
    # the shuffle starts again from the seed: it does not continue the draws' generator
    np.random.default_rng(seed).shuffle(means)
    return np.asarray(means, dtype=np.float64)


def trial_seeds(task_seed: int, n_trials: int = TRIALS) -> tuple[int, ...]:
    """The seeds of a task's trials: the reward generator of trial ``i`` is
    ``default_rng(trial_seeds(task_seed)[i])``.

    The first ``n`` seeds are the same whatever ``n_trials`` >= ``n``, so more trials extend
    BanditBench's 20 rather than replace them.

    :param task_seed: the task's seed (:data:`TASK_SEEDS`).
    :param n_trials: how many trials, >= 1.
    """
    task_seed = check_seed(task_seed, "task_seed")
    if isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 1:
        raise InputError(f"must be an integer >= 1, got {n_trials!r}", "n_trials")
    draws = np.random.RandomState(task_seed).randint(0, 2**32 - 1, size=n_trials, dtype=np.int64)
    return tuple(int(seed) for seed in draws)
