"""The SOR kernels against a dense triangular-solve twin, Young's formulas against eigenvalues,
and the Learning to Relax env against its own oracle and the paper's family."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
from gymnasium.utils.env_checker import check_env

from decisiongym.envs.bandits.relax import (
    OMEGAS,
    SORRelaxationEnv,
    draw_rhs,
    draw_system,
)
from decisiongym.envs.bandits.sor import (
    asymptotic_iterations,
    jacobi_radius,
    optimal_omega,
    shifted_laplacian,
    sor_cost_table,
    sor_costs,
    sor_solution,
    sor_spectral_radius,
)
from decisiongym.envs.core.errors import InvalidActionError


def reference_sor(c: float, b: np.ndarray, omega: float, tol: float = 1e-8,
                  max_iterations: int = 10_000) -> tuple[np.ndarray, int]:
    """The paper's ``sor.m`` in dense numpy: ``x += (D / omega + L)^{-1} (b - A x)``."""
    grid = b.shape[0]
    matrix = shifted_laplacian(grid, c).toarray()
    lower = np.diag(np.diag(matrix)) / omega + np.tril(matrix, -1)
    rhs = b.reshape(-1)
    x = np.zeros_like(rhs)
    residual = rhs - matrix @ x
    norm0 = np.linalg.norm(residual)
    for k in range(1, max_iterations + 1):
        x = x + scipy.linalg.solve_triangular(lower, residual, lower=True)
        residual = rhs - matrix @ x
        if np.linalg.norm(residual) / norm0 < tol:
            return x.reshape(grid, grid), k
    return x.reshape(grid, grid), max_iterations


def sor_matrix_radius(grid: int, c: float, omega: float) -> float:
    matrix = shifted_laplacian(grid, c).toarray()
    lower = np.diag(np.diag(matrix)) / omega + np.tril(matrix, -1)
    iteration = np.eye(grid * grid) - np.linalg.solve(lower, matrix)
    return float(np.abs(np.linalg.eigvals(iteration)).max())


# -- kernels ---------------------------------------------------------------------------------
@pytest.mark.parametrize("grid", [3, 5, 8])
@pytest.mark.parametrize("c", [-0.1, 0.0, 0.25])
def test_kernel_iterations_equal_dense_twin(grid: int, c: float) -> None:
    rng = np.random.default_rng(grid * 100 + int(c * 100))
    b = draw_rhs(rng, grid)
    omegas = np.array([1.0, 1.3, 1.55, 1.7, 1.95])
    twin = np.array([reference_sor(c, b, omega)[1] for omega in omegas])
    np.testing.assert_array_equal(sor_costs(c, b, omegas), twin)
    # The vector form of b is read in the same row-major order.
    np.testing.assert_array_equal(sor_costs(c, b.reshape(-1), omegas, grid), twin)


def test_kernel_solution_solves_the_system() -> None:
    rng = np.random.default_rng(7)
    c, b = draw_system(rng, "high", 6)
    x, iterations, residual = sor_solution(c, b, 1.6)
    twin_x, twin_iterations = reference_sor(c, b, 1.6)
    assert iterations == twin_iterations
    assert residual < 1e-8
    np.testing.assert_allclose(x, twin_x, rtol=0, atol=1e-12)
    exact = np.linalg.solve(shifted_laplacian(6, c).toarray(), b.reshape(-1)).reshape(6, 6)
    np.testing.assert_allclose(x, exact, atol=1e-7)


def test_cap_is_reported_for_a_solve_that_does_not_converge() -> None:
    b = draw_rhs(np.random.default_rng(0), 4)
    assert sor_costs(0.0, b, [1.0], max_iterations=5)[0] == 5
    _, iterations, residual = sor_solution(0.0, b, 1.0, max_iterations=5)
    assert iterations == 5 and residual > 1e-8


def test_cost_table_matches_single_system_costs() -> None:
    rng = np.random.default_rng(3)
    systems = [draw_system(rng, "low", 5) for _ in range(4)]
    shifts = np.array([c for c, _ in systems])
    rhs = np.stack([b for _, b in systems])
    table = sor_cost_table(shifts, rhs, OMEGAS, 1e-8, 10_000)
    for s, (c, b) in enumerate(systems):
        np.testing.assert_array_equal(table[s], sor_costs(c, b, OMEGAS))


def test_wrong_rhs_shape_is_refused() -> None:
    with pytest.raises(ValueError, match="grid"):
        sor_costs(0.0, np.zeros(10), OMEGAS, 3)


# -- Young's formulas ------------------------------------------------------------------------
@pytest.mark.parametrize("grid", [2, 4, 7])
@pytest.mark.parametrize("c", [-0.1, 0.0, 0.3])
def test_jacobi_radius_matches_eigenvalues(grid: int, c: float) -> None:
    matrix = shifted_laplacian(grid, c).toarray()
    jacobi = np.eye(grid * grid) - matrix / np.diag(matrix)[:, None]
    assert jacobi_radius(c, grid) == pytest.approx(np.abs(np.linalg.eigvals(jacobi)).max(),
                                                   rel=1e-12)


@pytest.mark.parametrize("c", [-0.05, 0.2])
def test_optimal_omega_minimises_the_sor_radius(c: float) -> None:
    grid = 5
    omega_star = optimal_omega(c, grid)
    beta = jacobi_radius(c, grid)
    assert omega_star == pytest.approx(2.0 / (1.0 + np.sqrt(1.0 - beta**2)))
    candidates = np.linspace(1.0, 1.95, 96)
    radii = [sor_matrix_radius(grid, c, omega) for omega in candidates]
    assert abs(candidates[int(np.argmin(radii))] - omega_star) <= 0.01
    # At the optimum the radius is omega - 1 (the defective double eigenvalue, so loose).
    assert sor_matrix_radius(grid, c, omega_star) == pytest.approx(omega_star - 1.0, abs=1e-4)


@pytest.mark.parametrize("omega", [1.0, 1.25, 1.5, 1.75, 1.9])
def test_sor_spectral_radius_matches_eigenvalues(omega: float) -> None:
    assert sor_spectral_radius(omega, 0.1, 4) == pytest.approx(sor_matrix_radius(4, 0.1, omega),
                                                              rel=1e-6)


def test_optimal_omega_is_vectorised_and_refuses_indefinite_shifts() -> None:
    shifts = np.array([-0.1, 0.0, 0.4])
    np.testing.assert_allclose(optimal_omega(shifts, 10), [optimal_omega(c, 10) for c in shifts])
    assert optimal_omega(0.4, 10) < optimal_omega(-0.1, 10)
    with pytest.raises(ValueError, match="exceed"):
        optimal_omega(-0.2, 10)


def test_asymptotic_surrogate_ranks_omegas_like_the_solver() -> None:
    rng = np.random.default_rng(0)
    systems = [draw_system(rng, "high", 10) for _ in range(40)]
    measured = np.array([sor_costs(c, b, OMEGAS) for c, b in systems]).mean(axis=0)
    shifts = np.array([c for c, _ in systems])
    surrogate = asymptotic_iterations(OMEGAS[None, :], shifts[:, None], 10).mean(axis=0)
    assert abs(int(np.argmin(surrogate)) - int(np.argmin(measured))) <= 1
    np.testing.assert_allclose(surrogate, measured, rtol=0.3)


# -- environment -----------------------------------------------------------------------------
# omega is the natural unit of the continuous action, not a normalised [-1, 1] one.
@pytest.mark.filterwarnings("ignore:.*symmetric and normalized space")
@pytest.mark.parametrize("continuous", [False, True])
def test_check_env_passes(continuous: bool) -> None:
    check_env(SORRelaxationEnv(horizon=20, continuous=continuous), skip_render_check=True)


def test_oracle_is_the_costs_of_the_system_played() -> None:
    env = SORRelaxationEnv(family="high", horizon=30)
    context, info = env.reset(seed=11)
    replay = np.random.default_rng(11)
    assert info["shift"] == context[0]
    for t in range(30):
        c, b = draw_system(replay, "high", 10)
        costs = sor_costs(c, b, OMEGAS)
        assert context[0] == c
        np.testing.assert_allclose(context[1:], [4.0 + c, 1.0 / (4.0 + c), 10.0])
        np.testing.assert_array_equal(env.costs, costs)
        arm = (7 * t) % 20
        context, reward, terminated, truncated, info = env.step(arm)
        np.testing.assert_array_equal(info["expected_rewards"], -costs)
        assert reward == -costs[arm] == -info["iterations"]
        assert info["best_arm"] == int(np.argmin(costs))
        assert info["regret"] == costs[arm] - costs.min() >= 0
        assert info["omega"] == OMEGAS[arm] and info["arm"] == arm and info["round"] == t
        assert info["shift"] == c
        assert info["optimal_omega"] == pytest.approx(optimal_omega(c, 10))
        assert not terminated and truncated == (t == 29)


def test_continuous_actions_pay_the_iterations_of_the_omega_played() -> None:
    env = SORRelaxationEnv(horizon=10, continuous=True)
    env.reset(seed=5)
    c, b = draw_system(np.random.default_rng(5), "high", 10)
    omega = optimal_omega(c, 10)
    _, reward, _, _, info = env.step(np.array([omega]))
    played = sor_costs(c, b, [omega])[0]
    costs = sor_costs(c, b, OMEGAS)
    assert reward == -played == -info["iterations"]
    assert info["regret"] == played - costs.min()
    assert info["arm"] == int(np.argmin(np.abs(OMEGAS - omega)))
    np.testing.assert_array_equal(info["expected_rewards"], -costs)


@pytest.mark.parametrize("continuous,action", [(False, 20), (False, -1), (False, 1.5),
                                               (True, 2.5), (True, np.array([1.2, 1.3])),
                                               (True, "fast")])
def test_invalid_actions_are_refused(continuous: bool, action: object) -> None:
    env = SORRelaxationEnv(horizon=5, continuous=continuous)
    env.reset(seed=0)
    with pytest.raises(InvalidActionError):
        env.step(action)


def test_same_seed_same_stream_other_seed_other_stream() -> None:
    def rollout(seed: int) -> list[float]:
        env = SORRelaxationEnv(family="low", horizon=15)
        context, _ = env.reset(seed=seed)
        trace = [float(context[0])]
        for t in range(15):
            context, reward, *_ = env.step(t % 20)
            trace += [float(context[0]), reward]
        return trace

    assert rollout(4) == rollout(4)
    assert rollout(4) != rollout(5)


def test_shift_range_must_keep_the_matrix_definite() -> None:
    with pytest.raises(ValueError, match="indefinite"):
        SORRelaxationEnv(grid=12)
    env = SORRelaxationEnv(grid=12, shift_range=(-0.1, 0.45), horizon=3)
    context, _ = env.reset(seed=0)
    assert -0.1 <= context[0] <= 0.45 and context[3] == 12


def test_unknown_family_is_refused() -> None:
    with pytest.raises(ValueError, match="family"):
        SORRelaxationEnv(family="medium")


def test_paper_family_sanity_best_fixed_and_instance_optimal() -> None:
    """On 200 systems of the 10 x 10 high-variance family the env's oracle gives a best fixed
    omega of 1.8 at about 105 mean iterations and an instance-optimal mean of about 60."""
    env = SORRelaxationEnv(family="high", grid=10, horizon=200)
    env.reset(seed=2024)
    costs = []
    for _ in range(200):
        *_, info = env.step(16)
        costs.append(-info["expected_rewards"])
    table = np.array(costs)
    means = table.mean(axis=0)
    assert OMEGAS[int(np.argmin(means))] == pytest.approx(1.8)
    assert means.min() == pytest.approx(105.1, rel=0.15)
    assert table.min(axis=1).mean() == pytest.approx(59.9, rel=0.15)
    assert means[0] > 4 * means.min()  # Gauss-Seidel is far from the best fixed omega


def test_speed_bench_times_the_same_solve_in_both_solvers() -> None:
    from decisiongym.bench.bandits.sor_speed import measure_sor_speed, scipy_sor

    b = draw_rhs(np.random.default_rng(1), 6)
    np.testing.assert_allclose(scipy_sor(0.1, b, 1.5)[0], sor_solution(0.1, b, 1.5)[0],
                               atol=1e-12)
    result = measure_sor_speed(grid=8, repeats=3, scipy_repeats=1, seed=1)
    assert result["omega"] == pytest.approx(optimal_omega(0.0, 8))
    assert abs(result["iterations_numba"] - result["iterations_scipy"]) <= 1
    assert result["solution_difference"] < 1e-10
    assert result["speedup"] == pytest.approx(result["scipy_seconds"] / result["numba_seconds"])
    assert result["speedup"] > 1.0
