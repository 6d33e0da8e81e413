"""The reference lines of the Learning to Relax family: hindsight best fixed omega, the
instance-optimal policies, and the re-measured table of the paper's family."""

from __future__ import annotations

import numpy as np
import pytest

from decisiongym.baselines.bandits.relaxation import (
    REFERENCE_TABLE,
    best_fixed_omega,
    cost_table,
    instance_optimal_iterations,
    reference_comparison,
    relaxation_table,
    sample_systems,
)
from decisiongym.envs.bandits.relax import OMEGAS, SORRelaxationEnv
from decisiongym.envs.bandits.sor import optimal_omega, sor_costs


def test_samples_are_the_systems_the_env_plays() -> None:
    shifts, table = cost_table("low", 10, 12, seed=9)
    env = SORRelaxationEnv(family="low", horizon=12)
    context, _ = env.reset(seed=9)
    for s in range(12):
        assert context[0] == shifts[s]
        context, _, _, _, info = env.step(0)
        np.testing.assert_array_equal(-info["expected_rewards"], table[s])


def test_best_fixed_omega_is_the_lowest_column_mean() -> None:
    shifts, table = cost_table("high", 10, 60, seed=1)
    omega, mean = best_fixed_omega("high", 10, 60, seed=1)
    means = table.mean(axis=0)
    assert omega == OMEGAS[int(np.argmin(means))]
    assert mean == means.min()
    assert np.all(means >= mean)


def test_instance_optimal_beats_every_fixed_omega() -> None:
    optimal = instance_optimal_iterations("high", 10, 60, seed=1)
    shifts, rhs = sample_systems("high", 10, 60, seed=1)
    _, table = cost_table("high", 10, 60, seed=1)
    np.testing.assert_array_equal(optimal.grid_iterations, table.min(axis=1))
    np.testing.assert_allclose(optimal.analytic_omegas, optimal_omega(shifts, 10))
    for s in (0, 17, 59):
        assert optimal.analytic_iterations[s] == sor_costs(shifts[s], rhs[s],
                                                           [optimal.analytic_omegas[s]])[0]
        assert table[s, OMEGAS == optimal.grid_omegas[s]][0] == optimal.grid_iterations[s]
    assert optimal.mean_grid < table.mean(axis=0).min()
    # The per-instance analytic omega is off the grid and at least as good on average.
    assert optimal.mean_analytic <= optimal.mean_grid * 1.02


@pytest.mark.parametrize("family", ["high", "low"])
def test_reference_table_is_reproduced(family: str) -> None:
    comparison = reference_comparison(family, n_instances=300, seed=0)
    assert set(comparison) == set(REFERENCE_TABLE[family])
    for key in ("best_fixed", "instance_optimal", "analytic_optimal", "omega=1.8"):
        measured, reference, relative = comparison[key]
        assert abs(relative) <= 0.15, (key, measured, reference)
    measured_omega, reference_omega, _ = comparison["best_omega"]
    assert abs(measured_omega - reference_omega) <= 0.05 + 1e-9
    gap = comparison["gap"][0]
    assert -0.5 < gap < -0.15


def test_high_variance_row_has_the_papers_ordering() -> None:
    row = relaxation_table("high", 10, 200, seed=3)
    assert row["best_omega"] == pytest.approx(1.8)
    assert row["omega=1.0"] > row["omega=1.6"] > row["omega=1.8"] == row["best_fixed"]
    assert row["analytic_optimal"] < row["instance_optimal"] < row["best_fixed"]


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="n_instances"):
        sample_systems("high", 10, 0)
    with pytest.raises(ValueError, match="family"):
        reference_comparison("medium")


def test_instance_optimal_reads_as_its_grid_mean() -> None:
    optimal = instance_optimal_iterations("low", 10, 20, seed=2)
    assert float(optimal) == optimal.mean_grid
    assert f"{optimal:.1f}" == f"{optimal.mean_grid:.1f}"
