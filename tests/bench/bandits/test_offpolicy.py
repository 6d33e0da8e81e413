"""Tests of the off-policy estimators against the exact value on simulated logs: IPS and DR
within a few standard errors, SNIPS close, DM close with a right reward model and biased with a
wrong one (where DR is not)."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pytest

from decisiongym.bench.bandits import offpolicy
from decisiongym.envs.offline.logged_bandit import LoggedBanditData
from decisiongym.envs.offline.synthetic_bandit_log import SyntheticLogger

N_ROWS = 20_000
# (reward, logging policy, logging beta, target beta): the target is a softmax of the true
# expected rewards, sharp enough to differ from the logger; beta < 0 logs against the reward,
# the hard case for importance weighting.
CASES = {
    "linear-uniform": ("linear", "uniform", 0.0, 3.0),
    "linear-adverse": ("linear", "softmax", -1.0, 3.0),
    "logistic-adverse": ("logistic", "softmax", -3.0, 10.0),
}


Model = Literal["ridge", "logistic"]


def make_case(name: str, seed: int = 0,
              n_rows: int = N_ROWS) -> tuple[LoggedBanditData, np.ndarray, Model]:
    """A simulated log, the target policy's probabilities, and the well-specified model."""
    reward, policy, beta, target_beta = CASES[name]
    data = SyntheticLogger(5, 5, reward=reward, logging_policy=policy, beta=beta,
                           seed=seed).sample(n_rows)
    pi = offpolicy.softmax_policy(data.expected_rewards, target_beta)
    model: Model = "ridge" if reward == "linear" else "logistic"
    return data, pi, model


@pytest.fixture(scope="module", params=list(CASES))
def case(request: pytest.FixtureRequest) -> tuple[LoggedBanditData, np.ndarray, Model]:
    return make_case(request.param)


def test_ips_and_dr_are_within_four_standard_errors(
    case: tuple[LoggedBanditData, np.ndarray, Model]
) -> None:
    data, pi, model = case
    truth = offpolicy.true_value(data, pi)
    for estimate in (offpolicy.ips(data, pi), offpolicy.dr(data, pi, model)):
        assert estimate.n_rounds == N_ROWS
        assert 0 < estimate.std_error < 0.2
        assert abs(estimate.value - truth) < 4 * estimate.std_error, estimate
        low, high = estimate.ci
        assert high - low == pytest.approx(2 * 1.959963984540054 * estimate.std_error)


def test_snips_is_close_and_dr_beats_ips_on_variance(
    case: tuple[LoggedBanditData, np.ndarray, Model]
) -> None:
    data, pi, model = case
    truth = offpolicy.true_value(data, pi)
    ips, snips = offpolicy.ips(data, pi), offpolicy.snips(data, pi)
    assert abs(snips.value - truth) < 4 * snips.std_error
    assert snips.std_error <= ips.std_error
    assert offpolicy.dr(data, pi, model).std_error < ips.std_error


def test_dm_is_close_with_the_right_model_and_biased_with_a_wrong_one(
    case: tuple[LoggedBanditData, np.ndarray, Model]
) -> None:
    data, pi, model = case
    truth = offpolicy.true_value(data, pi)
    assert abs(offpolicy.dm(data, pi, model).value - truth) < 0.03
    # A model that sees only the first feature cannot follow the target policy's choices.
    wrong = offpolicy.fit_reward_model(data, model, features=data.contexts[:, :1])
    biased = offpolicy.dm(data, pi, wrong)
    assert abs(biased.value - truth) > 0.1
    assert abs(biased.value - truth) > 20 * biased.std_error
    robust = offpolicy.dr(data, pi, wrong)
    assert abs(robust.value - truth) < 4 * robust.std_error


def test_dm_with_the_true_expected_rewards_is_exact() -> None:
    data, pi, _ = make_case("linear-adverse", n_rows=500)
    assert offpolicy.dm(data, pi, data.expected_rewards).value == pytest.approx(
        offpolicy.true_value(data, pi), abs=1e-12)


def test_ips_is_unbiased_and_its_interval_covers_over_repeated_logs() -> None:
    errors, covered = [], 0
    for seed in range(40):
        data, pi, _ = make_case("linear-adverse", seed=seed, n_rows=1500)
        truth = offpolicy.true_value(data, pi)
        estimate = offpolicy.ips(data, pi)
        errors.append(estimate.value - truth)
        low, high = estimate.ci
        covered += low <= truth <= high
    errors_arr = np.asarray(errors)
    assert abs(errors_arr.mean()) < 3 * errors_arr.std(ddof=1) / np.sqrt(errors_arr.size)
    assert covered >= 32  # nominal 95 % of 40 is 38; leave room for heavy-tailed weights


def test_on_policy_target_reduces_ips_to_the_mean_reward() -> None:
    data, _, _ = make_case("logistic-adverse", n_rows=5000)
    estimate = offpolicy.ips(data, data.logging_probabilities)
    assert estimate.value == pytest.approx(data.rewards.mean())
    truth = offpolicy.true_value(data, data.logging_probabilities)
    assert abs(estimate.value - truth) < 4 * estimate.std_error


def test_cross_fitting_changes_the_model_but_not_the_answer() -> None:
    data, pi, model = make_case("linear-uniform", n_rows=4000)
    single = offpolicy.fit_reward_model(data, "ridge")
    folded = offpolicy.fit_reward_model(data, "ridge", n_folds=4, seed=1)
    assert not np.allclose(single, folded)
    assert np.abs(single - folded).mean() < 0.05
    truth = offpolicy.true_value(data, pi)
    estimate = offpolicy.dr(data, pi, model, n_folds=4)
    assert abs(estimate.value - truth) < 4 * estimate.std_error


def test_estimate_policy_value_matches_the_single_estimators() -> None:
    data, pi, _ = make_case("linear-uniform", n_rows=3000)
    every = offpolicy.estimate_policy_value(data, pi)
    assert list(every) == ["ips", "snips", "dm", "dr"]
    assert every["ips"] == offpolicy.ips(data, pi)
    assert every["dr"].value == pytest.approx(offpolicy.dr(data, pi).value)
    assert every["dm"].estimator == "dm"


def test_deterministic_target_and_clipping() -> None:
    data, _, _ = make_case("linear-uniform", n_rows=N_ROWS)
    greedy = offpolicy.epsilon_greedy_policy(data.expected_rewards, 0.0)
    assert np.array_equal(greedy.sum(axis=1), np.ones(N_ROWS))
    truth = offpolicy.true_value(data, greedy)
    estimate = offpolicy.ips(data, greedy)
    assert abs(estimate.value - truth) < 4 * estimate.std_error
    # Weights are 5 here; clipping at 2 shrinks the estimate towards zero reward.
    clipped = offpolicy.ips(data, greedy, max_weight=2.0)
    assert clipped.value == pytest.approx(estimate.value * 2 / 5)


def test_true_value_and_policy_checks() -> None:
    data, pi, _ = make_case("linear-uniform", n_rows=100)
    real = LoggedBanditData(data.contexts, data.actions, data.rewards, data.propensities)
    with pytest.raises(ValueError, match="simulated log"):
        offpolicy.true_value(real, pi)
    with pytest.raises(ValueError, match="shape"):
        offpolicy.ips(data, pi[:, :3])
    with pytest.raises(ValueError, match="sum to 1"):
        offpolicy.snips(data, pi * 0.9)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        offpolicy.fit_reward_model(data, "logistic")
    with pytest.raises(ValueError, match="reward_model"):
        offpolicy.dm(data, pi, "forest")  # type: ignore[arg-type]
