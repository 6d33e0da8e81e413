"""Synthetic contextual bandits with the reward shapes of the neural-bandit papers.

NeuralUCB (Zhou, Li and Gu, ICML 2020) and the neural bandits after it test on expected rewards
``h(x) = 10 (x.a)^2`` and ``h(x) = cos(3 x.a)``, where a linear model fails, next to the linear
``h(x) = x.a`` where it is optimal. The functions of ``z = x.theta`` are in ``REWARD_FUNCTIONS``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from decisiongym.envs.bandits.base import BanditEnv


def _linear(z: np.ndarray) -> np.ndarray:
    return z


def _quadratic(z: np.ndarray) -> np.ndarray:
    return 10.0 * z**2


def _cosine(z: np.ndarray) -> np.ndarray:
    return np.cos(3.0 * z)


REWARD_FUNCTIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "linear": _linear,
    "quadratic": _quadratic,
    "cosine": _cosine,
}
"""Expected reward as a function of ``z = x.theta`` (elementwise)."""


def unit_sphere(rng: np.random.Generator, size: int | tuple[int, ...], dim: int) -> np.ndarray:
    """Draw points uniformly on the unit sphere of R^dim (normalised standard normals).

    :param rng: the random generator.
    :param size: number (or shape) of points.
    :param dim: dimension of the space.
    :return: an array of shape ``(*size, dim)`` whose rows have norm 1.
    """
    shape = (size,) if isinstance(size, int) else tuple(size)
    points = rng.standard_normal((*shape, dim))
    norms = np.linalg.norm(points, axis=-1, keepdims=True)
    # a standard normal vector is 0 with probability 0, but a degenerate draw must not divide by 0
    points /= np.where(norms > 0.0, norms, 1.0)
    # rounding may put a coordinate one ulp outside [-1, 1], the observation space's bounds
    return np.clip(points, -1.0, 1.0, out=points)


class SyntheticContextualBanditEnv(BanditEnv):
    """A contextual bandit whose expected rewards are a known function of the context.

    ## Description
    At every reset one unit vector ``theta_a`` per arm is drawn uniformly on the unit sphere of
    R^dim. Every round a context ``x`` is drawn uniformly on the same sphere, and arm ``a`` pays

    * ``"linear"``: ``x.theta_a``, in [-1, 1];
    * ``"quadratic"``: ``10 (x.theta_a)^2``, in [0, 10];
    * ``"cosine"``: ``cos(3 x.theta_a)``, in [-1, 1];

    plus N(0, noise^2) noise. One shared context and one parameter per arm is the disjoint
    model of LinUCB; ``per_arm_context=True`` gives instead the setting of NeuralUCB's
    experiments: one context ``x_a`` per arm and one shared ``theta``, arm ``a`` paying
    ``h(x_a.theta)``. Contexts lie on the sphere rather than in the ball so that every round
    has the same scale of rewards.

    The noise defaults to 0.1: at dim = 10 the arms' expected rewards differ by about
    1 / sqrt(10) ~ 0.3 in a typical round, so the gaps stay visible through the noise and a
    learner's regret curve reflects how well it models ``h``, not how long it averages noise.

    ## Action Space
    ``Discrete(n_arms)``.

    ## Observation Space
    ``Box(-1, 1, (dim,), float64)``: the round's context ``x``. With ``per_arm_context=True``,
    ``Box(-1, 1, (n_arms * dim,), float64)``: the arms' contexts one after another, so
    ``obs.reshape(n_arms, dim)[a]`` is ``x_a``.

    ## Rewards
    ``h`` of the arm pulled plus Gaussian noise. ``info`` holds the oracle of the round played:
    ``expected_rewards`` (``h`` of every arm), ``best_arm``, ``regret``, ``arm``, ``round``;
    ``theta`` gives the episode's parameters.

    ## Starting State
    ``theta`` and the first context are drawn from ``self.np_random`` at reset.

    ## Episode End
    Never terminates; truncated after ``horizon`` rounds.

    ## Arguments
    * ``reward``: ``"linear"`` (default), ``"quadratic"`` or ``"cosine"``.
    * ``dim``: context dimension (default 10).
    * ``n_arms``: number of arms (default 4).
    * ``noise``: standard deviation of the reward noise (default 0.1; 0 for exact rewards).
    * ``horizon``: rounds per episode (default 2000).
    * ``per_arm_context``: one context per arm and a shared ``theta`` (default False).

    ## Example
    >>> import numpy as np
    >>> from decisiongym.envs.bandits.synthetic import SyntheticContextualBanditEnv
    >>> env = SyntheticContextualBanditEnv("cosine", dim=5, n_arms=3)
    >>> x, info = env.reset(seed=1)
    >>> bool(np.allclose(info["expected_rewards"], np.cos(3 * env.theta @ x)))
    True

    ## Version History
    * v0: initial version.
    """

    def __init__(
        self,
        reward: str = "linear",
        dim: int = 10,
        n_arms: int = 4,
        noise: float = 0.1,
        horizon: int = 2000,
        per_arm_context: bool = False,
    ) -> None:
        if reward not in REWARD_FUNCTIONS:
            raise ValueError(f"reward must be one of {tuple(REWARD_FUNCTIONS)}, got {reward!r}")
        if not noise >= 0.0:
            raise ValueError(f"noise must be >= 0, got {noise}")
        if dim < 1:
            raise ValueError(f"dim must be >= 1, got {dim}")
        self.reward_type = reward
        self.noise = float(noise)
        self.per_arm_context = bool(per_arm_context)
        self.context_dim = int(dim)
        self._h = REWARD_FUNCTIONS[reward]
        obs_dim = n_arms * dim if per_arm_context else dim
        super().__init__(n_arms, obs_dim, horizon, context_low=-1.0, context_high=1.0)
        self._theta = np.zeros((1 if per_arm_context else n_arms, dim))

    @property
    def theta(self) -> np.ndarray:
        """The episode's parameters: ``(n_arms, dim)``, or ``(dim,)`` with per-arm contexts."""
        return self._theta[0].copy() if self.per_arm_context else self._theta.copy()

    def _setup(self) -> None:
        self._theta = unit_sphere(self.np_random, self._theta.shape[0], self.context_dim)

    def _next_round(self) -> tuple[np.ndarray, np.ndarray]:
        if self.per_arm_context:
            contexts = unit_sphere(self.np_random, self.n_arms, self.context_dim)
            z = contexts @ self._theta[0]
            return contexts.reshape(-1), self._h(z)
        x = unit_sphere(self.np_random, 1, self.context_dim)[0]
        return x, self._h(self._theta @ x)

    def _reward(self, arm: int) -> float:
        mean = float(self._expected[arm])
        if self.noise == 0.0:
            return mean
        return mean + self.noise * float(self.np_random.standard_normal())
