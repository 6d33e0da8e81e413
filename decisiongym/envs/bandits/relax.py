"""Learning to Relax: pick SOR's relaxation parameter for a stream of shifted Laplacian systems.

The instances, the solver and the arms are those of Khodak et al., "Learning to Relax: Setting
Solver Parameters Across a Sequence of Linear System Instances" (ICLR 2024); the kernels live in
:mod:`decisiongym.envs.bandits.sor`. The instance generator is exposed as plain functions
(:func:`draw_system`) so the reference baselines sample exactly the systems an env seeded the
same way plays: ``np.random.default_rng(seed)`` and Gymnasium's ``np_random`` after
``reset(seed=seed)`` are the same generator.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces

from decisiongym.envs.bandits.base import BanditEnv
from decisiongym.envs.bandits.sor import (
    MAX_ITERATIONS,
    TOLERANCE,
    optimal_omega,
    sor_costs_kernel,
)
from decisiongym.envs.core.errors import InvalidActionError

#: Beta parameters of the shift distributions of the paper ("high" and "low" variance).
FAMILIES: dict[str, tuple[float, float]] = {"high": (0.5, 1.5), "low": (2.0, 6.0)}
#: ``c = low + (high - low) * Beta(a, b)``: the paper's ``-0.15 + 0.6 * Beta(a, b)``.
SHIFT_RANGE: tuple[float, float] = (-0.15, 0.45)
#: The paper's arms.
OMEGAS: np.ndarray = np.linspace(1.0, 1.95, 20)
#: The paper plays T = 5000 instances per trial; the default here keeps an episode short.
PAPER_HORIZON = 5000

CONTEXT_FEATURES = ("shift", "diagonal", "inverse_diagonal", "grid")


def family_parameters(family: str | tuple[float, float]) -> tuple[float, float]:
    """Beta parameters ``(a, b)`` of a named family, or the pair itself.

    :param family: ``"high"``, ``"low"`` or an explicit ``(a, b)``.
    """
    if isinstance(family, str):
        try:
            return FAMILIES[family]
        except KeyError:
            raise ValueError(f"family must be one of {sorted(FAMILIES)} or a (a, b) pair of "
                             f"Beta parameters, got {family!r}") from None
    a, b = (float(v) for v in family)
    if a <= 0 or b <= 0:
        raise ValueError(f"Beta parameters of the family must be positive, got {family!r}")
    return a, b


def check_shift_range(shift_range: tuple[float, float], grid: int) -> tuple[float, float]:
    """Validate that every shift in ``shift_range`` keeps ``L + c I`` positive definite.

    :param shift_range: ``(low, high)`` of the shift ``c``.
    :param grid: side of the grid.
    """
    low, high = float(shift_range[0]), float(shift_range[1])
    if not low <= high:
        raise ValueError(f"shift_range must have low <= high, got {shift_range!r}")
    # Below this bound L + c I is indefinite and SOR diverges for every omega.
    bound = 4.0 * np.cos(np.pi / (grid + 1)) - 4.0
    if low <= bound:
        raise ValueError(f"shift_range low {low} makes L + c I indefinite on a {grid}x{grid} "
                         f"grid; it must exceed {bound:.6f} (the paper's -0.15 fits grids "
                         f"up to 10)")
    return low, high


def draw_shift(rng: np.random.Generator, family: str | tuple[float, float] = "high",
               shift_range: tuple[float, float] = SHIFT_RANGE) -> float:
    """One diagonal shift ``c = low + (high - low) * Beta(a, b)``.

    :param rng: the generator to draw from.
    :param family: ``"high"``, ``"low"`` or Beta parameters.
    :param shift_range: ``(low, high)`` of the shift.
    """
    a, b = family_parameters(family)
    low, high = shift_range
    # Clipping only absorbs the last-ulp rounding of low + span * 1.0.
    return float(min(max(low + (high - low) * rng.beta(a, b), low), high))


def draw_rhs(rng: np.random.Generator, grid: int) -> np.ndarray:
    """A radially truncated standard normal ``(grid, grid)`` right-hand side: ``||b|| <= sqrt(N)``.

    Rejection sampling as in the paper (about half the draws are kept).

    :param rng: the generator to draw from.
    :param grid: side of the grid.
    """
    size = grid * grid
    while True:
        b = rng.standard_normal((grid, grid))
        if float(np.sum(b * b)) <= size:
            return b


def draw_system(rng: np.random.Generator, family: str | tuple[float, float] = "high",
                grid: int = 10,
                shift_range: tuple[float, float] = SHIFT_RANGE) -> tuple[float, np.ndarray]:
    """One system of the family: the shift ``c``, then the right-hand side ``b``.

    :param rng: the generator to draw from.
    :param family: ``"high"``, ``"low"`` or Beta parameters.
    :param grid: side of the grid.
    :param shift_range: ``(low, high)`` of the shift.
    """
    c = draw_shift(rng, family, shift_range)
    return c, draw_rhs(rng, grid)


class SORRelaxationEnv(BanditEnv):
    """Choose the relaxation parameter of SOR for one linear system per round.

    ## Description

    Each round shows a system ``(L + c I) x = b``: ``L`` the five-point Laplacian of a
    ``grid x grid`` interior grid (diagonal 4), ``c = -0.15 + 0.6 Beta(a, b)`` (``shift_range``
    sets the two ends) with ``(a, b) = (0.5, 1.5)`` ("high" variance) or ``(2, 6)`` ("low"),
    and ``b`` a standard normal
    truncated to ``||b|| <= sqrt(N)``. The agent picks ``omega``; SOR runs from ``x0 = 0`` until
    the relative residual is below ``1e-8`` (at most ``max_iterations``), and the cost is the
    number of iterations. The cost of an omega is a deterministic function of the system, so the
    oracle solves the system once for every grid omega (20 numba solves per round).

    ## Action Space

    ``Discrete(len(omegas))``: the index of ``omega`` in ``omegas`` (default
    ``linspace(1, 1.95, 20)``). With ``continuous=True``: ``Box([min omegas], [max omegas],
    (1,), float64)``, the omega itself.

    ## Observation Space

    ``Box(4,)`` float64, cheap features of ``A_t``; only the shift varies between rounds (the
    grid entry is constant, ``grid``).

    | index | feature          | min                  | max                  |
    |-------|------------------|----------------------|----------------------|
    | 0     | shift ``c``      | ``shift_range[0]``   | ``shift_range[1]``   |
    | 1     | diagonal ``4+c`` | ``4 + low``          | ``4 + high``         |
    | 2     | ``1 / (4+c)``    | ``1 / (4 + high)``   | ``1 / (4 + low)``    |
    | 3     | grid side ``n``  | 1                    | ``grid``             |

    The paper's contextual learners use index 0 alone.

    ## Rewards

    Minus the SOR iterations at the chosen omega. ``info`` carries the protocol's oracle
    (``expected_rewards`` = minus the iterations of every grid omega, ``best_arm``, ``regret``,
    ``arm``, ``round``) and ``iterations`` (played), ``omega`` (played), ``optimal_omega``
    (Young's asymptotic optimum of the system, off the grid), ``shift`` (``c``). With
    ``continuous=True``, ``arm`` is the grid omega nearest the one played and ``regret`` is the
    played iterations minus the best grid omega's, which is negative when an off-grid omega beats
    the whole grid.

    ## Starting State

    ``reset`` draws the first system; every draw comes from ``np_random``, first ``c`` then
    ``b``, so :func:`draw_system` with ``np.random.default_rng(seed)`` replays the stream.

    ## Episode End

    Never terminates; truncated after ``horizon`` rounds (the paper plays 5000).

    ## Arguments

    :param family: ``"high"``, ``"low"`` or explicit Beta parameters ``(a, b)``.
    :param grid: side ``n`` of the grid (``N = n^2`` unknowns); the paper uses 10.
    :param horizon: rounds per episode; 1000 keeps runs short, the paper plays
        :data:`PAPER_HORIZON` (5000).
    :param continuous: act with omega itself instead of a grid index.
    :param omegas: the grid of arms.
    :param max_iterations: iteration cap of a solve (its cost when it does not converge).
    :param tol: relative-residual tolerance.
    :param shift_range: ``(low, high)`` of ``c``; the low end must keep ``A`` positive definite
        (``-0.15`` does up to ``grid = 10``).

    >>> env = SORRelaxationEnv(family="high", grid=10, horizon=100)
    >>> context, info = env.reset(seed=0)
    >>> context, reward, terminated, truncated, info = env.step(16)   # omega = 1.8
    >>> -reward == info["iterations"]
    True

    ## Version History

    * v0: initial version.
    """

    def __init__(self, family: str | tuple[float, float] = "high", grid: int = 10,
                 horizon: int = 1000, continuous: bool = False,
                 omegas: np.ndarray | None = None, max_iterations: int = MAX_ITERATIONS,
                 tol: float = TOLERANCE,
                 shift_range: tuple[float, float] = SHIFT_RANGE) -> None:
        if grid < 1:
            raise ValueError(f"grid must be >= 1, got {grid}")
        if max_iterations < 1:
            raise ValueError(f"max_iterations must be >= 1, got {max_iterations}")
        grid_omegas = np.asarray(OMEGAS if omegas is None else omegas, dtype=np.float64)
        if grid_omegas.ndim != 1 or np.any(grid_omegas <= 0) or np.any(grid_omegas >= 2):
            raise ValueError("omegas must be a 1-D array of relaxation parameters in (0, 2)")
        self.family = family_parameters(family)
        self.grid = int(grid)
        self.shift_range = check_shift_range(shift_range, self.grid)
        self.omegas = grid_omegas
        self.continuous = bool(continuous)
        self.max_iterations = int(max_iterations)
        self.tol = float(tol)
        super().__init__(n_arms=grid_omegas.size, dim=len(CONTEXT_FEATURES), horizon=horizon)
        low, high = self.shift_range
        self.observation_space = spaces.Box(
            # A grid entry with min == max is exact but trips Gymnasium's checker.
            np.array([low, 4.0 + low, 1.0 / (4.0 + high), 1.0]),
            np.array([high, 4.0 + high, 1.0 / (4.0 + low), self.grid]),
            dtype=np.float64,
        )
        if self.continuous:
            self.action_space = spaces.Box(grid_omegas.min(), grid_omegas.max(), (1,),
                                           np.float64)
        self._shift = 0.0
        self._rhs = np.zeros((self.grid, self.grid))
        self._costs = np.zeros(self.n_arms, dtype=np.int64)
        self._played_omega = 0.0
        self._played_iterations = 0

    # -- the round ---------------------------------------------------------------------------
    def _next_round(self) -> tuple[np.ndarray, np.ndarray]:
        self._shift, self._rhs = draw_system(self.np_random, self.family, self.grid,
                                             self.shift_range)
        diagonal = 4.0 + self._shift
        self._costs = sor_costs_kernel(self._rhs, diagonal, self.omegas, self.tol,
                                       self.max_iterations)
        context = np.array([self._shift, diagonal, 1.0 / diagonal, float(self.grid)])
        return context, -self._costs.astype(np.float64)

    def _arm(self, action: Any) -> int:
        if not self.continuous:
            arm = super()._arm(action)
            self._played_omega = float(self.omegas[arm])
            return arm
        try:
            omega = float(np.asarray(action, dtype=np.float64).reshape(-1)[0])
            size = np.size(action)
        except (TypeError, ValueError, IndexError):
            raise InvalidActionError(action, "expected omega as a float or a (1,) array") from None
        low, high = float(self.omegas.min()), float(self.omegas.max())
        if size != 1 or not low <= omega <= high:
            raise InvalidActionError(action, f"omega must be one float in [{low}, {high}]")
        self._played_omega = omega
        return int(np.argmin(np.abs(self.omegas - omega)))

    def _reward(self, arm: int) -> float:
        if self.continuous:
            self._played_iterations = int(sor_costs_kernel(
                self._rhs, 4.0 + self._shift, np.array([self._played_omega]), self.tol,
                self.max_iterations)[0])
        else:
            self._played_iterations = int(self._costs[arm])
        return -float(self._played_iterations)

    # -- Gymnasium API -----------------------------------------------------------------------
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        context, info = super().reset(seed=seed, options=options)
        info.update(self._round_info())
        return context, info

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        # The base step draws the next system before returning; keep this round's oracle.
        round_info = self._round_info()
        best_cost = int(self._costs.min())
        context, reward, terminated, truncated, info = super().step(action)
        info.update(round_info)
        info["iterations"] = self._played_iterations
        info["omega"] = self._played_omega
        if self.continuous:
            info["regret"] = float(self._played_iterations - best_cost)
        return context, reward, terminated, truncated, info

    def _round_info(self) -> dict[str, Any]:
        return {"optimal_omega": float(optimal_omega(self._shift, self.grid)),
                "shift": self._shift}

    @property
    def costs(self) -> np.ndarray:
        """Iterations of every grid omega on the system about to be played."""
        return self._costs.copy()
