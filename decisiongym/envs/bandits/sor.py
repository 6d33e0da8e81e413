"""numba kernels of successive over-relaxation (SOR) on a shifted 2-D Laplacian.

The systems are those of Khodak et al., "Learning to Relax" (ICLR 2024): ``A = L + c I`` with
``L`` the five-point Laplacian of an ``n x n`` interior grid (diagonal 4, ``-1`` for each of the
four neighbours, zero Dirichlet boundary), so ``A`` has the constant diagonal ``d = 4 + c``.

Arrays are grids, not vectors: the right-hand side ``b`` is ``(n, n)``, and the iterate ``x`` is
``(n + 2, n + 2)`` with a frame of zeros standing for the boundary, so the stencil needs no
branches. Unknown ``(i, j)`` is number ``i * n + j`` of the matrix view (row-major,
lexicographic), which is what :func:`shifted_laplacian` builds.

One SOR iteration is ``x <- x + (D / omega + L_A)^{-1} (b - A x)`` with ``L_A`` the strictly
lower triangle of ``A`` in that ordering. Solved row by row, the triangular solve is the
in-place lexicographic sweep

    x[i, j] <- (1 - omega) x[i, j] + omega / d * (b[i, j] + x[i-1, j] + x[i+1, j] + x[i, j-1]
                                                  + x[i, j+1])

where ``x[i-1, j]`` and ``x[i, j-1]`` already hold this iteration's values: the same iterates as
the matrix form up to rounding (the tests compare iteration counts against a scipy triangular
solve). The paper's MATLAB numbers its unknowns column by column; the grid is square and
``b``'s law is invariant under transposing it, so the distribution of iteration counts is the
same.

Stopping follows the paper's ``sor.m``: after every iteration the residual ``||b - A x||`` is
computed in full, and the solve stops once it is below ``tol`` times the initial residual
(``||b||`` from ``x0 = 0``); a solve that has not converged after ``max_iterations`` reports
``max_iterations``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from numba import njit, prange

if TYPE_CHECKING:
    import scipy.sparse

TOLERANCE = 1e-8
MAX_ITERATIONS = 10_000


@njit(cache=True)
def sor_sweep(x, b, diagonal, omega):
    """One in-place lexicographic SOR sweep over the padded iterate ``x``.

    :param x: ``(n + 2, n + 2)`` iterate whose outer frame is the zero boundary.
    :param b: ``(n, n)`` right-hand side.
    :param diagonal: the diagonal ``4 + c`` of ``A``.
    :param omega: relaxation parameter.
    """
    n = b.shape[0]
    scale = omega / diagonal
    keep = 1.0 - omega
    for i in range(1, n + 1):
        for j in range(1, n + 1):
            neighbours = x[i - 1, j] + x[i + 1, j] + x[i, j - 1] + x[i, j + 1]
            x[i, j] = keep * x[i, j] + scale * (b[i - 1, j - 1] + neighbours)


@njit(cache=True)
def residual_norm(x, b, diagonal):
    """Euclidean norm of ``b - A x`` for the padded iterate ``x``."""
    n = b.shape[0]
    total = 0.0
    for i in range(1, n + 1):
        for j in range(1, n + 1):
            r = (b[i - 1, j - 1] - diagonal * x[i, j]
                 + x[i - 1, j] + x[i + 1, j] + x[i, j - 1] + x[i, j + 1])
            total += r * r
    return math.sqrt(total)


@njit(cache=True)
def sor_solve(x, b, diagonal, omega, tol, max_iterations):
    """Run SOR from the padded iterate ``x`` (updated in place) until the relative residual
    drops below ``tol``; return ``(iterations, relative residual)``.

    A zero initial residual needs no iteration and returns ``(0, 0.0)``.
    """
    norm0 = residual_norm(x, b, diagonal)
    if norm0 == 0.0:
        return 0, 0.0
    relative = 1.0
    for k in range(1, max_iterations + 1):
        sor_sweep(x, b, diagonal, omega)
        relative = residual_norm(x, b, diagonal) / norm0
        if relative < tol:
            return k, relative
    return max_iterations, relative


@njit(cache=True)
def sor_costs_kernel(b, diagonal, omegas, tol, max_iterations):
    """Iterations of SOR from ``x0 = 0`` for every omega in ``omegas`` on one system."""
    n = b.shape[0]
    costs = np.empty(omegas.shape[0], dtype=np.int64)
    x = np.zeros((n + 2, n + 2))
    for k in range(omegas.shape[0]):
        x[:, :] = 0.0
        costs[k], _ = sor_solve(x, b, diagonal, omegas[k], tol, max_iterations)
    return costs


@njit(cache=True, parallel=True)
def sor_cost_table(shifts, bs, omegas, tol, max_iterations):
    """``(m, K)`` iterations of every omega on each of ``m`` systems ``(shifts[s], bs[s])``.

    :param shifts: ``(m,)`` diagonal shifts ``c``.
    :param bs: ``(m, n, n)`` right-hand sides.
    """
    m = shifts.shape[0]
    table = np.empty((m, omegas.shape[0]), dtype=np.int64)
    for s in prange(m):
        table[s] = sor_costs_kernel(bs[s], 4.0 + shifts[s], omegas, tol, max_iterations)
    return table


def _grid_rhs(b: np.ndarray, grid: int | None) -> np.ndarray:
    b = np.asarray(b, dtype=np.float64)
    if b.ndim == 1:
        if grid is None:
            grid = math.isqrt(b.size)
        if grid * grid != b.size:
            raise ValueError(f"b has {b.size} entries; a grid of {grid} needs {grid * grid}")
        b = b.reshape(grid, grid)
    elif b.ndim != 2 or b.shape[0] != b.shape[1] or (grid is not None and b.shape[0] != grid):
        raise ValueError(f"b must be a ({grid or 'n'}, {grid or 'n'}) grid, got shape {b.shape}")
    return np.ascontiguousarray(b)


def sor_costs(c: float, b: np.ndarray, omegas: np.ndarray, grid: int | None = None, *,
              tol: float = TOLERANCE, max_iterations: int = MAX_ITERATIONS) -> np.ndarray:
    """SOR iteration counts of every omega on the system ``(L + c I) x = b`` from ``x0 = 0``.

    :param c: diagonal shift.
    :param b: right-hand side, an ``(n, n)`` grid or its row-major ``(n * n,)`` vector.
    :param omegas: relaxation parameters to try.
    :param grid: side ``n`` of the grid (inferred from ``b`` when omitted).
    :param tol: relative-residual tolerance.
    :param max_iterations: iteration cap, reported for solves that do not converge.
    :return: ``(len(omegas),)`` int64 iteration counts.
    """
    rhs = _grid_rhs(b, grid)
    omegas = np.atleast_1d(np.asarray(omegas, dtype=np.float64))
    return sor_costs_kernel(rhs, 4.0 + float(c), omegas, float(tol), int(max_iterations))


def sor_solution(c: float, b: np.ndarray, omega: float, grid: int | None = None, *,
                 tol: float = TOLERANCE,
                 max_iterations: int = MAX_ITERATIONS) -> tuple[np.ndarray, int, float]:
    """Solve ``(L + c I) x = b`` by SOR from ``x0 = 0``.

    :param c: diagonal shift.
    :param b: right-hand side, an ``(n, n)`` grid or its row-major vector.
    :param omega: relaxation parameter.
    :param grid: side ``n`` of the grid (inferred from ``b`` when omitted).
    :param tol: relative-residual tolerance.
    :param max_iterations: iteration cap.
    :return: the ``(n, n)`` solution, the iterations, and the final relative residual.
    """
    rhs = _grid_rhs(b, grid)
    n = rhs.shape[0]
    x = np.zeros((n + 2, n + 2))
    iterations, residual = sor_solve(x, rhs, 4.0 + float(c), float(omega), float(tol),
                                     int(max_iterations))
    return x[1:-1, 1:-1].copy(), int(iterations), float(residual)


def jacobi_radius(c: float | np.ndarray, grid: int) -> float | np.ndarray:
    """Spectral radius of the Jacobi iteration matrix ``I - D^{-1} A`` of ``L + c I``.

    ``I - D^{-1} A = N / (4 + c)`` with ``N`` the grid's adjacency matrix, whose eigenvalues are
    ``2 cos(j pi / (n + 1)) + 2 cos(k pi / (n + 1))`` for ``j, k = 1..n``; the largest in
    magnitude is ``4 cos(pi / (n + 1))``, so the radius is ``4 cos(pi / (n + 1)) / |4 + c|``.

    :param c: diagonal shift (scalar or array).
    :param grid: side ``n`` of the grid.
    """
    radius = 4.0 * np.cos(np.pi / (grid + 1)) / np.abs(4.0 + np.asarray(c, dtype=np.float64))
    return float(radius) if np.ndim(radius) == 0 else radius


def optimal_omega(c: float | np.ndarray, grid: int) -> float | np.ndarray:
    """Young's asymptotically optimal relaxation ``1 + (beta / (1 + sqrt(1 - beta^2)))^2``.

    ``beta`` is :func:`jacobi_radius`. The formula holds because the five-point matrix is
    consistently ordered with a real Jacobi spectrum; it needs ``beta < 1``, i.e. ``L + c I``
    positive definite (``c > 4 cos(pi / (n + 1)) - 4``), and raises otherwise.

    :param c: diagonal shift (scalar or array).
    :param grid: side ``n`` of the grid.
    """
    beta = np.asarray(jacobi_radius(c, grid))
    if np.any(beta >= 1.0):
        raise ValueError(f"SOR diverges for every omega: shift c must exceed "
                         f"{4.0 * np.cos(np.pi / (grid + 1)) - 4.0:.6f} on a {grid}x{grid} grid")
    omega = 1.0 + (beta / (1.0 + np.sqrt(1.0 - beta**2))) ** 2
    return float(omega) if omega.ndim == 0 else omega


def shifted_laplacian(grid: int, c: float = 0.0) -> scipy.sparse.csr_matrix:
    """The matrix ``L + c I`` in the row-major ordering of the kernels (sparse CSR).

    :param grid: side ``n`` of the grid.
    :param c: diagonal shift.
    """
    import scipy.sparse as sp

    second = sp.diags([-np.ones(grid - 1), 2.0 * np.ones(grid), -np.ones(grid - 1)], [-1, 0, 1])
    eye = sp.identity(grid)
    matrix = sp.kron(eye, second) + sp.kron(second, eye) + c * sp.identity(grid * grid)
    return sp.csr_matrix(matrix)


def sor_spectral_radius(omega: float | np.ndarray, c: float | np.ndarray,
                        grid: int) -> float | np.ndarray:
    """Young's spectral radius of the SOR iteration matrix of ``L + c I``.

    With ``beta`` the Jacobi radius (:func:`jacobi_radius`), for a consistently ordered matrix
    ``rho = ((omega beta + sqrt(omega^2 beta^2 - 4 (omega - 1))) / 2)^2`` up to the optimal
    omega and ``rho = omega - 1`` beyond it.

    :param omega: relaxation parameter(s) in ``(0, 2)``.
    :param c: diagonal shift(s) with ``beta < 1``.
    :param grid: side ``n`` of the grid.
    """
    omega = np.asarray(omega, dtype=np.float64)
    beta = np.asarray(jacobi_radius(c, grid))
    discriminant = omega**2 * beta**2 - 4.0 * (omega - 1.0)
    below = ((omega * beta + np.sqrt(np.maximum(discriminant, 0.0))) / 2.0) ** 2
    radius = np.where(discriminant >= 0.0, below, np.abs(omega - 1.0))
    return float(radius) if radius.ndim == 0 else radius


def asymptotic_iterations(omega: float | np.ndarray, c: float | np.ndarray, grid: int,
                          tol: float = TOLERANCE) -> float | np.ndarray:
    """``log(tol) / log(rho)``: the iterations the asymptotic rate predicts, a closed-form
    surrogate of :func:`sor_costs` with the same shape in ``(omega, c)``.

    It ignores the transient of the non-normal iteration matrix and how much of ``b`` lies on the
    slow modes, so it is off by up to about 20 % from measured counts (above them at small
    omega, below them near the optimum), but it ranks the omegas alike: on the paper's family it
    has the same best fixed omega (1.8) and a similar instance-optimal mean.

    :param omega: relaxation parameter(s).
    :param c: diagonal shift(s).
    :param grid: side ``n`` of the grid.
    :param tol: relative-residual tolerance.
    """
    iterations = np.log(tol) / np.log(np.asarray(sor_spectral_radius(omega, c, grid)))
    return float(iterations) if np.ndim(iterations) == 0 else iterations
