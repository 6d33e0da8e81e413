"""Context-free multi-armed bandits with BanditBench's published arm settings and instances.

BanditBench (Nie et al., EVOLvE) evaluates agents on 16 multi-armed tasks:
{Bernoulli, Gaussian} x {easy, hard} x K in {5, 20} x two verbal scenarios (a video platform
and a clothes shop). Each task is one fixed instance: its arm means are drawn once from the
task's own seed (:mod:`decisiongym.envs.bandits.banditbench`), and its trials vary only the
reward noise. The scenario names the arms; a Video task and its Clothes twin differ because
their seeds differ.

=========  ====================================  ==================================  =======
task       Bernoulli arms                        Gaussian arms                       horizon
=========  ====================================  ==================================  =======
easy       gap 0.5: best 0.75, the others 0.25   means ~ N(0, 1), rewards sd 1       300
hard       gap 0.2: best 0.6, the others 0.4     means ~ N(0, 3^2), rewards sd 3     1000
=========  ====================================  ==================================  =======

The same settings with arms redrawn at every reset (``instance="redraw"``) measure the expected
regret over the distribution of instances rather than on BanditBench's instances.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from decisiongym.envs.bandits.banditbench import (
    TASK_SEEDS,
    TRIALS,
    bernoulli_means,
    check_seed,
    gaussian_means,
    trial_seeds,
)
from decisiongym.envs.bandits.base import BanditEnv
from decisiongym.envs.core.errors import InputError

DISTRIBUTIONS = ("bernoulli", "gaussian")
# BanditBench's scenarios call an arm a "video" (VideoWatching) or an "item" (ClothesShopping).
DOMAIN_UNITS: dict[str, str] = {"video": "video", "clothes": "item"}
DIFFICULTIES = ("easy", "hard")
INSTANCE_MODES = ("fixed", "redraw")
"""``"fixed"``: the arms are drawn once, from the instance seed, and kept by every reset;
``"redraw"``: the arms are drawn again at every reset, from the reset's seed."""

# The published settings, per difficulty.
_HORIZON = {"easy": 300, "hard": 1000}
_GAP = {"easy": 0.5, "hard": 0.2}
_SIGMA = {"easy": 1.0, "hard": 3.0}

FIXED_MEANS_NOISE = 1.0
"""Reward noise (standard deviation) of Gaussian arms whose means are given and whose noise is
not: a :class:`MABConfig` built from ``means`` alone pays N(mean, 1)."""


@dataclass(frozen=True)
class MABConfig:
    """One multi-armed bandit task: the arms' reward distributions and the horizon.

    With ``gap``, all arms pay Bernoulli(0.5 - gap/2) except one, which pays
    Bernoulli(0.5 + gap/2); with ``sigma``, the arm means are drawn i.i.d. N(0, sigma^2); with
    ``means``, the arms keep exactly these means, in this order. Drawn arms come either once
    from ``instance_seed`` by BanditBench's rule (:meth:`instance_means`, a fixed instance) or
    at every reset of an env that redraws them.

    :param distribution: ``"bernoulli"`` (rewards 0/1) or ``"gaussian"``.
    :param n_arms: number of arms.
    :param horizon: rounds per episode.
    :param gap: Bernoulli only: the difference between the best arm's mean and the others'.
    :param sigma: Gaussian only: standard deviation of the arm means around 0.
    :param noise: Gaussian only: standard deviation of a reward around its arm's mean, > 0.
        Left ``None``, it is ``sigma`` when the means are drawn (as BanditBench does), and
        :data:`FIXED_MEANS_NOISE` (1) when ``means`` are given; the config then stores that 1,
        so ``noise`` always states the noise of fixed arms.
    :param means: fixed arm means (Bernoulli: in [0, 1]); exclusive with ``gap`` and ``sigma``.
    :param domain: verbal scenario, ``"video"`` or ``"clothes"``; it only names the arms.
    :param difficulty: ``"easy"`` or ``"hard"`` for a published setting, ``None`` otherwise.
    :param instance_seed: the seed the fixed instance's arms are drawn from (BanditBench's task
        seed for the 16 published tasks, :data:`~decisiongym.envs.bandits.banditbench.TASK_SEEDS`);
        ``None`` when the arms have no fixed instance (they are redrawn, or given as ``means``).
    """

    distribution: str
    n_arms: int
    horizon: int
    gap: float | None = None
    sigma: float | None = None
    noise: float | None = None
    means: tuple[float, ...] | None = None
    domain: str = "video"
    difficulty: str | None = None
    instance_seed: int | None = None

    def __post_init__(self) -> None:
        if self.distribution not in DISTRIBUTIONS:
            raise InputError(f"must be one of {DISTRIBUTIONS}, got {self.distribution!r}",
                             "distribution")
        if self.n_arms < 2:
            raise InputError(f"must be >= 2, got {self.n_arms}", "n_arms")
        if self.horizon < 1:
            raise InputError(f"must be >= 1, got {self.horizon}", "horizon")
        if self.domain not in DOMAIN_UNITS:
            raise InputError(f"must be one of {tuple(DOMAIN_UNITS)}, got {self.domain!r}",
                             "domain")
        if self.difficulty is not None and self.difficulty not in DIFFICULTIES:
            raise InputError(f"must be one of {DIFFICULTIES} or None, got {self.difficulty!r}",
                             "difficulty")
        if self.instance_seed is not None:
            object.__setattr__(self, "instance_seed",
                               check_seed(self.instance_seed, "instance_seed"))
        if self.means is not None:
            # a list would make the frozen config unhashable
            object.__setattr__(self, "means", tuple(float(m) for m in self.means))
            self._check_means()
        elif self.distribution == "bernoulli":
            if self.gap is None:
                raise InputError("a Bernoulli bandit needs gap or means", "gap")
            if not 0.0 < self.gap <= 1.0:
                raise InputError(f"must be in (0, 1], got {self.gap}", "gap")
        elif self.sigma is None or not 0.0 < self.sigma < np.inf:
            raise InputError(f"a Gaussian bandit needs a finite sigma > 0 or means, got "
                             f"sigma={self.sigma}", "sigma")
        if self.distribution == "bernoulli":
            if self.sigma is not None or self.noise is not None:
                field = "sigma" if self.sigma is not None else "noise"
                raise InputError("sigma and noise apply to Gaussian arms only; Bernoulli arms "
                                 "take gap or means", field)
        else:
            if self.gap is not None:
                raise InputError("gap applies to Bernoulli arms only; Gaussian arms take sigma "
                                 "or means", "gap")
            if self.noise is not None and not 0.0 < self.noise < np.inf:
                raise InputError(f"must be finite and > 0, got {self.noise}", "noise")
            if self.means is not None and self.noise is None:
                object.__setattr__(self, "noise", FIXED_MEANS_NOISE)

    def _check_means(self) -> None:
        assert self.means is not None
        if self.gap is not None or self.sigma is not None:
            raise InputError("means fix the arms: give means, or gap (Bernoulli) / sigma "
                             "(Gaussian), not both", "means")
        if self.instance_seed is not None:
            raise InputError("means fix the arms, instance_seed draws them: give one",
                             "instance_seed")
        if len(self.means) != self.n_arms:
            raise InputError(f"{len(self.means)} means given for n_arms={self.n_arms}", "means")
        if not np.all(np.isfinite(self.means)):
            raise InputError(f"must be finite, got {self.means}", "means")
        if self.distribution == "bernoulli" and not all(0.0 <= m <= 1.0 for m in self.means):
            raise InputError(f"Bernoulli means must lie in [0, 1], got {self.means}", "means")

    @property
    def name(self) -> str:
        """``"bernoulli-easy-k5-video"`` style; ``"custom"`` stands in for a custom difficulty."""
        difficulty = self.difficulty or "custom"
        return f"{self.distribution}-{difficulty}-k{self.n_arms}-{self.domain}"

    @property
    def reward_noise(self) -> float | None:
        """Standard deviation of a Gaussian reward around its arm's mean (None for Bernoulli)."""
        if self.distribution == "bernoulli":
            return None
        if self.noise is not None:
            return self.noise
        return self.sigma

    @property
    def arm_names(self) -> tuple[str, ...]:
        """The scenario's name of each arm, indexed like the actions: ``"video 0"``..."""
        unit = DOMAIN_UNITS[self.domain]
        return tuple(f"{unit} {arm}" for arm in range(self.n_arms))

    def instance_means(self) -> np.ndarray:
        """The arm means of the fixed instance: ``means`` when given, else the arms BanditBench's
        rule draws from ``instance_seed`` (for a published task, exactly BanditBench's).

        :raises InputError: when the config has neither ``means`` nor ``instance_seed``.
        """
        if self.means is not None:
            return np.asarray(self.means, dtype=np.float64)
        if self.instance_seed is None:
            raise InputError(f"config {self.name!r} has no fixed instance: give it means or an "
                             "instance_seed", "instance_seed")
        if self.distribution == "bernoulli":
            assert self.gap is not None
            return bernoulli_means(self.n_arms, self.gap, self.instance_seed)
        assert self.sigma is not None
        return gaussian_means(self.n_arms, self.sigma, self.instance_seed)


def _published(distribution: str, difficulty: str, n_arms: int, domain: str) -> MABConfig:
    seed = TASK_SEEDS[(n_arms, domain, difficulty)]
    if distribution == "bernoulli":
        return MABConfig(distribution, n_arms, _HORIZON[difficulty], gap=_GAP[difficulty],
                         domain=domain, difficulty=difficulty, instance_seed=seed)
    return MABConfig(distribution, n_arms, _HORIZON[difficulty], sigma=_SIGMA[difficulty],
                     domain=domain, difficulty=difficulty, instance_seed=seed)


MAB_CONFIGS: dict[str, MABConfig] = {
    config.name: config
    for config in (
        _published(distribution, difficulty, n_arms, domain)
        for distribution in DISTRIBUTIONS
        for difficulty in DIFFICULTIES
        for n_arms in (5, 20)
        for domain in DOMAIN_UNITS
    )
}
"""BanditBench's 16 multi-armed tasks by name, e.g. ``"gaussian-hard-k20-clothes"``, each with
its task seed as ``instance_seed``."""


class MultiArmedBanditEnv(BanditEnv):
    """A context-free multi-armed bandit: pick one of K arms, receive that arm's random reward.

    ## Description
    Each arm pays i.i.d. rewards from its own distribution; the agent must find and exploit the
    arm with the highest mean. The defaults are BanditBench's tasks (``MAB_CONFIGS``), each one
    fixed instance whose arms BanditBench draws once from the task's seed
    (:mod:`decisiongym.envs.bandits.banditbench`):

    * Bernoulli, gap 0.5 ("easy", horizon 300): one arm pays 1 with probability 0.75, the
      others 0.25. Gap 0.2 ("hard", horizon 1000): 0.6 against 0.4. Which arm is the best one
      is part of the instance.
    * Gaussian, sigma 1 ("easy", horizon 300) or 3 ("hard", horizon 1000): the arm means are
      i.i.d. N(0, sigma^2) draws, and a reward is N(mean, noise^2).

    ``instance="redraw"`` draws the arms again at every reset instead (the best arm's index
    uniformly, the Gaussian means i.i.d.), so that regret averages over instances.

    The reward noise of a Gaussian arm defaults to ``sigma``, not to 1: BanditBench gives every
    arm the pair (mean, sigma) and samples rewards from it, so the "hard" task is hard because
    its rewards are three times noisier (the means spread three times wider too). Unit noise,
    common elsewhere, would make the sigma-3 task the easier one. Pass ``noise=1.0`` for it.

    ## Action Space
    ``Discrete(n_arms)``: the arm to pull. ``arm_names`` gives each arm its scenario name
    (``"video 3"``, ``"item 3"``).

    ## Observation Space
    ``Box(-1, 1, (1,), float64)``: always the vector ``[1.0]``; there is no context. A constant
    one rather than zero, so that linear agents (LinUCB, LinTS) see an intercept and learn one
    mean per arm instead of a context-free zero.

    ## Rewards
    Bernoulli: 0 or 1 (1 when ``np_random.uniform(0, 1)`` falls below the arm's mean). Gaussian:
    ``np_random.normal(mean, noise)``. ``info`` after each step holds the oracle:
    ``expected_rewards`` (the arm means), ``best_arm``, ``regret`` (best mean minus the mean of
    the arm pulled), ``arm`` and ``round``; ``means`` gives the current episode's means.

    ## Starting State
    A fixed instance keeps its arms at every reset: ``reset(seed=s)`` reseeds the reward noise
    only, and the rewards then are those of a BanditBench trial seeded with ``s``;
    :meth:`trial_seeds` gives the seeds of BanditBench's 20 trials of the task. A redrawn
    instance rebuilds its arms at every reset from ``self.np_random``. Either way the same seed
    gives the same arms and rewards.

    ## Episode End
    Never terminates; truncated after ``horizon`` pulls.

    ## Arguments
    * ``config``: a name from ``MAB_CONFIGS`` or a ``MABConfig``; ``None`` (default) starts from
      the "easy", K = 5, video setting of ``distribution`` (``"bernoulli-easy-k5-video"``).
    * ``horizon``: rounds per episode (default: the config's); a published task keeps its
      instance.
    * ``instance``: ``"fixed"`` (the arms of the config's instance seed, or its ``means``) or
      ``"redraw"`` (new arms at every reset). Default: ``"fixed"`` when the config has an
      instance seed or means (every published task), else ``"redraw"``.
    * ``instance_seed``: the seed a fixed instance's arms are drawn from by BanditBench's rule
      (default: the config's; for a published task, BanditBench's task seed).
    * ``distribution``, ``n_arms``, ``gap``, ``sigma``, ``means``, ``noise``, ``domain``: replace
      the config's fields (see ``MABConfig``). ``means`` replaces the config's ``gap`` or
      ``sigma`` (and sets ``n_arms`` unless given). Changing the distribution needs
      ``config=None``. Any change to the arms drops the "easy"/"hard" label; a change to how
      the means are drawn (``n_arms``, ``gap``, ``sigma``, ``means``) also drops the task's
      instance seed (pass ``instance_seed`` to fix the new arms). ``domain`` on a published
      task selects that scenario's task, with its own seed.
    * ``noise``: the standard deviation of a Gaussian reward around its arm's mean. Its default
      is the config's reward noise, also when ``means`` replace the config's arms: 1 for an
      "easy" config and for ``config=None``, 3 for a "hard" one (``means`` on
      ``"gaussian-hard-k5-video"`` keep noise 3; pass ``noise=1.0`` for unit noise). Without
      ``means``, a new ``sigma`` brings its own noise (``noise`` defaults to ``sigma``).

    Input the env cannot use raises :class:`~decisiongym.envs.core.errors.InputError` naming
    the argument: ``noise`` or ``sigma`` on Bernoulli arms, ``gap`` on Gaussian ones,
    ``means`` beside ``gap``/``sigma`` or of another length than ``n_arms``, a ``noise`` or
    ``sigma`` that is not finite and positive, Bernoulli means outside [0, 1], an unknown
    ``instance``, ``"fixed"`` arms without a seed, ``"redraw"`` beside ``means``, an
    ``instance_seed`` that is not an integer >= 0 or comes with ``means``.

    ## Example
    >>> from decisiongym.envs.bandits.mab import MultiArmedBanditEnv
    >>> env = MultiArmedBanditEnv("bernoulli-hard-k20-clothes")
    >>> obs, info = env.reset(seed=0)
    >>> env.horizon, env.n_arms, env.arm_names[3], info["best_arm"]
    (1000, 20, 'item 3', 12)
    >>> obs, reward, terminated, truncated, info = env.step(info["best_arm"])
    >>> info["regret"]
    0.0
    >>> env.reset(seed=1)[1]["best_arm"]  # another seed, the same instance
    12

    ## Version History
    * v1: the BanditBench ids are BanditBench's fixed task instances (Video and Clothes twins
      are distinct instances); reset reseeds only the reward noise.
    * v0: the arms were redrawn at every reset; kept as the ``-Redraw-v0`` ids
      (``instance="redraw"``).
    """

    def __init__(
        self,
        config: str | MABConfig | None = None,
        horizon: int | None = None,
        *,
        distribution: str | None = None,
        n_arms: int | None = None,
        gap: float | None = None,
        sigma: float | None = None,
        means: Sequence[float] | None = None,
        noise: float | None = None,
        domain: str | None = None,
        instance: str | None = None,
        instance_seed: int | None = None,
    ) -> None:
        base = _base_config(config, distribution)
        arms = {"n_arms": n_arms, "gap": gap, "sigma": sigma, "noise": noise}
        changes: dict[str, Any] = {key: value for key, value in arms.items() if value is not None}
        if means is not None:
            changes["means"] = tuple(float(m) for m in means)
            # the means replace the config's draw (an explicit gap/sigma still clashes with them)
            changes.setdefault("gap", None)
            changes.setdefault("sigma", None)
            changes.setdefault("n_arms", len(changes["means"]))
            # fixed Gaussian arms keep the config's reward noise unless told otherwise
            if "noise" not in changes and base.reward_noise is not None:
                changes["noise"] = base.reward_noise
        redrawn = {"n_arms", "gap", "sigma", "means"} & changes.keys()
        if domain is not None and not redrawn:
            base = _scenario_twin(base, domain)
        if changes:
            changes["difficulty"] = None
        if redrawn:
            # means drawn by another rule are not the task's instance, whatever the seed
            changes["instance_seed"] = None
        if domain is not None:
            changes["domain"] = domain
        if instance_seed is not None:
            changes["instance_seed"] = check_seed(instance_seed, "instance_seed")
        if horizon is not None:
            changes["horizon"] = horizon
        self.config: MABConfig = dataclasses.replace(base, **changes)
        self.instance: str = _instance_mode(instance, self.config)
        # [-1, 1] rather than [0, 0]: Gymnasium's checker flags a Box whose bounds are equal
        super().__init__(self.config.n_arms, 1, self.config.horizon,
                         context_low=-1.0, context_high=1.0)
        self.arm_names: tuple[str, ...] = self.config.arm_names
        self._fixed = self.config.instance_means() if self.instance == "fixed" else None
        self._means = self._fixed if self._fixed is not None else np.zeros(self.n_arms)
        self._constant = np.ones(1)
        self._bernoulli = self.config.distribution == "bernoulli"
        self._noise = self.config.reward_noise or 0.0

    @property
    def means(self) -> np.ndarray:
        """The arm means of the current episode (a fixed instance's from the start; zeros before
        the first reset when the arms are redrawn)."""
        return self._means.copy()

    def trial_seeds(self, n_trials: int = TRIALS) -> tuple[int, ...]:
        """The reset seeds that replay BanditBench's trials of this fixed instance: with
        ``reset(seed=trial_seeds()[i])`` the rewards are those of BanditBench's trial ``i``.

        :param n_trials: how many (BanditBench plays 20; more extend them).
        :raises InputError: when the instance has no seed (redrawn, or given as ``means``).
        """
        if self.instance != "fixed" or self.config.instance_seed is None:
            raise InputError("only a fixed instance drawn from an instance_seed has trials; "
                             f"this one is {self.instance} without a seed", "instance")
        return trial_seeds(self.config.instance_seed, n_trials)

    def _setup(self) -> None:
        config = self.config
        if self._fixed is not None:
            self._means = self._fixed
        elif config.distribution == "bernoulli":
            assert config.gap is not None
            self._means = np.full(self.n_arms, 0.5 - config.gap / 2)
            self._means[self.np_random.integers(self.n_arms)] = 0.5 + config.gap / 2
        else:
            assert config.sigma is not None
            self._means = self.np_random.normal(0.0, config.sigma, self.n_arms)

    def _next_round(self) -> tuple[np.ndarray, np.ndarray]:
        return self._constant, self._means

    def _reward(self, arm: int) -> float:
        if self._bernoulli:
            return float(self.np_random.random() < self._means[arm])
        return float(self.np_random.normal(self._means[arm], self._noise))


def _instance_mode(instance: str | None, config: MABConfig) -> str:
    """``instance`` checked against ``config``, or its default for the config."""
    seeded = config.means is not None or config.instance_seed is not None
    if instance is None:
        return "fixed" if seeded else "redraw"
    if instance not in INSTANCE_MODES:
        raise InputError(f"must be one of {INSTANCE_MODES}, got {instance!r}", "instance")
    if instance == "fixed" and not seeded:
        raise InputError(f"config {config.name!r} has no fixed instance: pass instance_seed "
                         "(or means), or instance='redraw'", "instance")
    if instance == "redraw" and config.means is not None:
        raise InputError("means fix the arms and cannot be redrawn: drop means or "
                         "instance='redraw'", "instance")
    return instance


def _scenario_twin(config: MABConfig, domain: str) -> MABConfig:
    """The published task of ``config``'s setting in scenario ``domain`` (its own instance
    seed), or ``config`` itself when it is not a published task."""
    if MAB_CONFIGS.get(config.name) != config or domain not in DOMAIN_UNITS:
        return config
    return MAB_CONFIGS[f"{config.distribution}-{config.difficulty}-k{config.n_arms}-{domain}"]


def _base_config(config: str | MABConfig | None, distribution: str | None) -> MABConfig:
    if config is None:
        name = f"{distribution or 'bernoulli'}-easy-k5-video"
        if name not in MAB_CONFIGS:
            raise InputError(f"must be one of {DISTRIBUTIONS}, got {distribution!r}",
                             "distribution")
        return MAB_CONFIGS[name]
    if isinstance(config, str):
        if config not in MAB_CONFIGS:
            raise InputError(f"unknown config {config!r}; known: {', '.join(MAB_CONFIGS)}",
                             "config")
        config = MAB_CONFIGS[config]
    if distribution is not None and distribution != config.distribution:
        raise InputError(f"config {config.name!r} has {config.distribution} arms; pass "
                         f"config=None to build a {distribution} bandit from the free "
                         "parameters", "distribution")
    return config
