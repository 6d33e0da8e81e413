"""Reference policies of the Learning to Relax family: the lines a bandit is measured against.

A non-contextual learner can at best approach the **best fixed omega** (the grid omega with the
lowest mean iterations in hindsight); a contextual one can approach the **instance-optimal**
policy (each system's best grid omega), and Young's per-instance ``omega_opt`` is the analytic
policy the paper also plots. Systems are drawn exactly as :class:`SORRelaxationEnv` draws them,
so ``seed`` here and ``reset(seed=seed)`` there give the same sequence.

:data:`REFERENCE_TABLE` holds the re-measured means of the paper's family (10 x 10 grid, mean
SOR iterations to ``1e-8``); :func:`reference_comparison` recomputes them on a fresh sample.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from decisiongym.envs.bandits.relax import OMEGAS, SHIFT_RANGE, check_shift_range, draw_system
from decisiongym.envs.bandits.sor import (
    MAX_ITERATIONS,
    TOLERANCE,
    optimal_omega,
    sor_cost_table,
    sor_costs_kernel,
)

#: Mean iterations on the 10 x 10 grid over a large sample (``gap`` is best fixed to
#: instance-optimal on the grid, relative).
REFERENCE_TABLE: dict[str, dict[str, float]] = {
    "high": {"omega=1.0": 633.0, "omega=1.6": 155.2, "omega=1.8": 105.1, "best_omega": 1.80,
             "best_fixed": 105.1, "instance_optimal": 59.9, "analytic_optimal": 57.3,
             "gap": -0.43},
    "low": {"omega=1.0": 291.0, "omega=1.6": 67.6, "omega=1.8": 86.8, "best_omega": 1.65,
            "best_fixed": 62.4, "instance_optimal": 44.3, "analytic_optimal": 42.8,
            "gap": -0.29},
}


@dataclass(frozen=True)
class InstanceOptimal:
    """Per-system optima of a sample; ``float()`` and format specs give :attr:`mean_grid`.

    :param grid_omegas: ``(m,)`` each system's best omega on the grid (lowest on ties).
    :param grid_iterations: ``(m,)`` its iterations.
    :param analytic_omegas: ``(m,)`` Young's asymptotic ``omega_opt`` of each system.
    :param analytic_iterations: ``(m,)`` iterations at ``omega_opt``.
    """

    grid_omegas: np.ndarray
    grid_iterations: np.ndarray
    analytic_omegas: np.ndarray
    analytic_iterations: np.ndarray

    @property
    def mean_grid(self) -> float:
        """Mean iterations of the instance-optimal grid policy."""
        return float(self.grid_iterations.mean())

    @property
    def mean_analytic(self) -> float:
        """Mean iterations at each system's analytic ``omega_opt``."""
        return float(self.analytic_iterations.mean())

    # A reference line is one number: the record reads as its grid mean in reports.
    def __float__(self) -> float:
        return self.mean_grid

    def __format__(self, spec: str) -> str:
        return format(self.mean_grid, spec) if spec else repr(self)


def sample_systems(family: str | tuple[float, float] = "high", grid: int = 10,
                   n_instances: int = 300, seed: int = 0,
                   shift_range: tuple[float, float] = SHIFT_RANGE
                   ) -> tuple[np.ndarray, np.ndarray]:
    """The first ``n_instances`` systems an env seeded with ``seed`` plays.

    :param family: ``"high"``, ``"low"`` or Beta parameters.
    :param grid: side of the grid.
    :param n_instances: number of systems.
    :param seed: seed of the generator.
    :param shift_range: ``(low, high)`` of the shift.
    :return: shifts ``(m,)`` and right-hand sides ``(m, grid, grid)``.
    """
    if n_instances < 1:
        raise ValueError(f"n_instances must be >= 1, got {n_instances}")
    check_shift_range(shift_range, grid)
    rng = np.random.default_rng(seed)
    shifts = np.empty(n_instances)
    rhs = np.empty((n_instances, grid, grid))
    for s in range(n_instances):
        shifts[s], rhs[s] = draw_system(rng, family, grid, shift_range)
    return shifts, rhs


def cost_table(family: str | tuple[float, float] = "high", grid: int = 10,
               n_instances: int = 300, seed: int = 0, omegas: np.ndarray = OMEGAS,
               tol: float = TOLERANCE, max_iterations: int = MAX_ITERATIONS,
               shift_range: tuple[float, float] = SHIFT_RANGE
               ) -> tuple[np.ndarray, np.ndarray]:
    """Iterations of every omega on every system of a sample (systems solved in parallel).

    :param family: ``"high"``, ``"low"`` or Beta parameters.
    :param grid: side of the grid.
    :param n_instances: number of systems.
    :param seed: seed of the generator.
    :param omegas: the arms.
    :param tol: relative-residual tolerance.
    :param max_iterations: iteration cap.
    :param shift_range: ``(low, high)`` of the shift.
    :return: shifts ``(m,)`` and the int64 table ``(m, len(omegas))``.
    """
    shifts, rhs = sample_systems(family, grid, n_instances, seed, shift_range)
    table = sor_cost_table(shifts, rhs, np.asarray(omegas, dtype=np.float64), float(tol),
                           int(max_iterations))
    return shifts, table


def best_fixed_omega(family: str | tuple[float, float] = "high", grid: int = 10,
                     n_instances: int = 300, seed: int = 0,
                     omegas: np.ndarray = OMEGAS) -> tuple[float, float]:
    """The grid omega with the lowest mean iterations over a sample, in hindsight.

    :param family: ``"high"``, ``"low"`` or Beta parameters.
    :param grid: side of the grid.
    :param n_instances: number of systems.
    :param seed: seed of the generator.
    :param omegas: the arms.
    :return: ``(omega, mean iterations)``.
    """
    _, table = cost_table(family, grid, n_instances, seed, omegas)
    means = table.mean(axis=0)
    best = int(np.argmin(means))
    return float(np.asarray(omegas)[best]), float(means[best])


def _instance_optimal(shifts: np.ndarray, rhs: np.ndarray, table: np.ndarray,
                      omegas: np.ndarray, grid: int) -> InstanceOptimal:
    best = np.argmin(table, axis=1)
    analytic = np.asarray(optimal_omega(shifts, grid), dtype=np.float64).reshape(-1)
    analytic_iterations = np.array([
        sor_costs_kernel(rhs[s], 4.0 + shifts[s], analytic[s:s + 1], TOLERANCE,
                         MAX_ITERATIONS)[0]
        for s in range(shifts.size)
    ])
    return InstanceOptimal(grid_omegas=np.asarray(omegas)[best],
                           grid_iterations=table[np.arange(table.shape[0]), best],
                           analytic_omegas=analytic, analytic_iterations=analytic_iterations)


def instance_optimal_iterations(family: str | tuple[float, float] = "high", grid: int = 10,
                                n_instances: int = 300, seed: int = 0,
                                omegas: np.ndarray = OMEGAS) -> InstanceOptimal:
    """Each system's best grid omega and its analytic ``omega_opt``, with their iterations.

    :param family: ``"high"``, ``"low"`` or Beta parameters.
    :param grid: side of the grid.
    :param n_instances: number of systems.
    :param seed: seed of the generator.
    :param omegas: the arms.
    """
    shifts, rhs = sample_systems(family, grid, n_instances, seed)
    table = sor_cost_table(shifts, rhs, np.asarray(omegas, dtype=np.float64), TOLERANCE,
                           MAX_ITERATIONS)
    return _instance_optimal(shifts, rhs, table, np.asarray(omegas), grid)


def relaxation_table(family: str | tuple[float, float] = "high", grid: int = 10,
                     n_instances: int = 300, seed: int = 0) -> dict[str, float]:
    """One row of the reference table, measured on a fresh sample with the paper's arms.

    :param family: ``"high"``, ``"low"`` or Beta parameters.
    :param grid: side of the grid.
    :param n_instances: number of systems.
    :param seed: seed of the generator.
    :return: the keys of :data:`REFERENCE_TABLE` (mean iterations, best omega, relative gap).
    """
    shifts, rhs = sample_systems(family, grid, n_instances, seed)
    table = sor_cost_table(shifts, rhs, OMEGAS, TOLERANCE, MAX_ITERATIONS)
    means = table.mean(axis=0)
    best = int(np.argmin(means))
    optimal = _instance_optimal(shifts, rhs, table, OMEGAS, grid)

    def at(omega: float) -> float:
        return float(means[int(np.argmin(np.abs(OMEGAS - omega)))])

    return {"omega=1.0": at(1.0), "omega=1.6": at(1.6), "omega=1.8": at(1.8),
            "best_omega": float(OMEGAS[best]), "best_fixed": float(means[best]),
            "instance_optimal": optimal.mean_grid, "analytic_optimal": optimal.mean_analytic,
            "gap": optimal.mean_grid / float(means[best]) - 1.0}


def reference_comparison(family: str = "high", n_instances: int = 300,
                         seed: int = 0) -> dict[str, tuple[float, float, float]]:
    """Measure the paper's family on the 10 x 10 grid and set it beside :data:`REFERENCE_TABLE`.

    :param family: ``"high"`` or ``"low"``.
    :param n_instances: number of systems (the reference used many more; a few hundred gives
        the means to within about ten percent).
    :param seed: seed of the generator.
    :return: per key ``(measured, reference, relative difference)``.
    """
    if family not in REFERENCE_TABLE:
        raise ValueError(f"family must be one of {sorted(REFERENCE_TABLE)}, got {family!r}")
    measured = relaxation_table(family, 10, n_instances, seed)
    reference = REFERENCE_TABLE[family]
    return {key: (measured[key], reference[key], measured[key] / reference[key] - 1.0)
            for key in reference}
