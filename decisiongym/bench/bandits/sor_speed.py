"""SOR solve speed: the numba kernel beside a scipy.sparse reference, same system, one run.

The reference is SOR written the way the paper's MATLAB writes it, with scipy doing the
triangular solve: ``r = b - A x``, then ``x <- x + (D / omega + L)^{-1} r`` by
``scipy.sparse.linalg.spsolve_triangular`` until ``||r|| / ||r_0|| < tol``. Both solvers start
from ``x0 = 0`` on the same ``b`` with the same omega; the comparison is refused unless they take
the same number of iterations (to within one, for rounding at the threshold), so the two timings
measure the same work.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import numpy as np

from decisiongym.envs.bandits.relax import draw_rhs
from decisiongym.envs.bandits.sor import (
    MAX_ITERATIONS,
    TOLERANCE,
    optimal_omega,
    shifted_laplacian,
    sor_solution,
)


def scipy_sor(c: float, b: np.ndarray, omega: float, tol: float = TOLERANCE,
              max_iterations: int = MAX_ITERATIONS) -> tuple[np.ndarray, int]:
    """SOR by sparse triangular solves, the reference of the speed comparison.

    :param c: diagonal shift of ``L + c I``.
    :param b: ``(n, n)`` right-hand side (row-major unknowns).
    :param omega: relaxation parameter.
    :param tol: relative-residual tolerance.
    :param max_iterations: iteration cap.
    :return: the ``(n, n)`` solution and the iterations.
    """
    import scipy.sparse as sp
    from scipy.sparse.linalg import spsolve_triangular

    grid = b.shape[0]
    matrix = shifted_laplacian(grid, c)
    lower = sp.csr_matrix(sp.diags(matrix.diagonal()) / omega + sp.tril(matrix, -1))
    rhs = b.reshape(-1)
    x = np.zeros_like(rhs)
    residual = rhs - matrix @ x
    norm0 = np.linalg.norm(residual)
    for k in range(1, max_iterations + 1):
        x = x + spsolve_triangular(lower, residual, lower=True)
        residual = rhs - matrix @ x
        if np.linalg.norm(residual) / norm0 < tol:
            return x.reshape(grid, grid), k
    return x.reshape(grid, grid), max_iterations


def measure_sor_speed(grid: int = 32, repeats: int = 20, scipy_repeats: int = 3, seed: int = 0,
                      c: float = 0.0, omega: float | None = None,
                      tol: float = TOLERANCE) -> dict[str, Any]:
    """Seconds per SOR solve of the numba kernel and of the scipy reference, and their ratio.

    :param grid: side of the grid (``grid^2`` unknowns); 32 is the reference's size.
    :param repeats: timed numba solves (after one untimed call that compiles).
    :param scipy_repeats: timed scipy solves (each takes a sizeable fraction of a second).
    :param seed: seed of the right-hand side (a truncated normal, as in the env).
    :param c: diagonal shift; 0 is the plain Poisson matrix.
    :param omega: relaxation parameter; the system's optimal omega when omitted.
    :param tol: relative-residual tolerance.
    :return: ``numba_seconds`` and ``scipy_seconds`` (median per solve), ``speedup``
        (scipy / numba), both iteration counts, and the setting; ``ours``, ``peer`` and
        ``ratio`` repeat the two times and the speedup under the report tables' names.
    """
    if repeats < 1 or scipy_repeats < 1:
        raise ValueError("repeats and scipy_repeats must be >= 1")
    b = draw_rhs(np.random.default_rng(seed), grid)
    omega = float(optimal_omega(c, grid)) if omega is None else float(omega)

    x_numba, iterations_numba, _ = sor_solution(c, b, omega, tol=tol)
    numba_times = []
    for _ in range(repeats):
        start = time.perf_counter()
        sor_solution(c, b, omega, tol=tol)
        numba_times.append(time.perf_counter() - start)

    scipy_times = []
    for _ in range(scipy_repeats):
        start = time.perf_counter()
        x_scipy, iterations_scipy = scipy_sor(c, b, omega, tol=tol)
        scipy_times.append(time.perf_counter() - start)

    if abs(iterations_numba - iterations_scipy) > 1:
        raise RuntimeError(f"the solvers disagree: numba took {iterations_numba} iterations, "
                           f"scipy {iterations_scipy}; the timings would not compare like work")
    numba_seconds = statistics.median(numba_times)
    scipy_seconds = statistics.median(scipy_times)
    return {
        "grid": grid,
        "unknowns": grid * grid,
        "shift": float(c),
        "omega": omega,
        "iterations_numba": iterations_numba,
        "iterations_scipy": iterations_scipy,
        "solution_difference": float(np.max(np.abs(x_numba - x_scipy))),
        "numba_seconds": numba_seconds,
        "scipy_seconds": scipy_seconds,
        "speedup": scipy_seconds / numba_seconds,
        "repeats": repeats,
        "scipy_repeats": scipy_repeats,
        # The keys the speed tables of the reports share.
        "label": f"SOR solve {grid}x{grid}, seconds (numba / scipy triangular)",
        "ours": numba_seconds,
        "peer": scipy_seconds,
        "ratio": scipy_seconds / numba_seconds,
    }
