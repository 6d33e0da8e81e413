"""Tests of the one-sided-feedback fairness env: the Gymnasium checker, label masking, the
panel's violation count against hand-worked cases, the regret, the best fair policy (a
hand-solved linear program, and in the env: never above the oracle, never reported), and
seeding."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from decisiongym.envs.bandits.fairness import (
    OneSidedFairnessEnv,
    RandomizedDecisions,
    auditor_distances,
    best_fair_policy,
    panel_tolerances,
    panel_violations,
)
from decisiongym.envs.core.errors import InvalidActionError


def brute_force_pairs(features: np.ndarray, probs: np.ndarray, metrics: np.ndarray,
                      alpha: float, quorum: int) -> list[tuple[int, int]]:
    """The reported pairs, one auditor and one pair at a time."""
    pairs = []
    for i, j in itertools.combinations(range(len(probs)), 2):
        objections = 0
        for m in metrics:
            distance = float(np.sqrt(np.sum(m * (features[i] - features[j]) ** 2)))
            objections += abs(probs[i] - probs[j]) > distance + alpha
        if objections >= quorum:
            pairs.append((i, j) if probs[i] >= probs[j] else (j, i))
    return pairs


def test_gymnasium_checker_passes() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(OneSidedFairnessEnv(k=4, dim=3, horizon=50), skip_render_check=True)


def test_labels_are_hidden_exactly_for_the_rejected() -> None:
    env = OneSidedFairnessEnv(k=6, dim=4, horizon=300)
    env.reset(seed=1)
    rng = np.random.default_rng(0)
    seen = {0: 0, 1: 0}
    for _ in range(300):
        action = rng.integers(0, 2, 6)
        true_labels = env._labels.copy()
        _, reward, _, _, info = env.step(action)
        labels = info["labels"]
        assert np.all(labels[action == 0] == -1)
        assert np.array_equal(labels[action == 1], true_labels[action == 1])
        assert reward == float(np.sum(2 * labels[action == 1] - 1))
        for y in (0, 1):
            seen[y] += int(np.sum(labels == y))
    assert seen[0] > 100 and seen[1] > 100


def test_labels_follow_the_logistic_model() -> None:
    env = OneSidedFairnessEnv(k=5, dim=3, horizon=4000, signal=2.0)
    env.reset(seed=5)
    probs, labels = [], []
    for _ in range(4000):
        _, _, _, _, info = env.step(np.ones(5, dtype=np.int8))
        probs.append((info["expected_rewards"] + 1) / 2)  # P(y = 1) of the round just played
        labels.append(info["labels"])
    p, y = np.concatenate(probs), np.concatenate(labels)
    for low in (0.0, 0.3, 0.7):
        band = (p >= low) & (p < low + 0.3)
        assert abs(y[band].mean() - p[band].mean()) < 0.03


def test_hand_built_violations() -> None:
    features = np.array([[0.0, 0.0], [0.1, 0.0], [1.0, 0.0]])
    first_feature = np.array([[1.0, 0.0]])
    # Distances 0.1 (0, 1), 1.0 (0, 2), 0.9 (1, 2); slack 0.05.
    assert np.allclose(auditor_distances(features, first_feature)[0],
                       [[0, 0.1, 1.0], [0.1, 0, 0.9], [1.0, 0.9, 0]])
    pairs = panel_violations(features, np.array([1.0, 0.0, 0.0]), first_feature, 0.05)
    assert pairs.tolist() == [[0, 1]]  # gap 1 > 1.05 fails for (0, 2)
    pairs = panel_violations(features, np.array([0.2, 0.9, 0.0]), first_feature, 0.05)
    assert pairs.tolist() == [[1, 0]]  # the favoured one first; 0.9 > 0.95 fails for (1, 2)
    # A second auditor that ignores the first feature objects to every unequal pair.
    panel = np.array([[1.0, 0.0], [0.0, 1.0]])
    probs = np.array([0.2, 0.9, 0.0])
    assert panel_violations(features, probs, panel, 0.05, quorum=1).tolist() == [
        [1, 0], [0, 2], [1, 2]]
    assert panel_violations(features, probs, panel, 0.05, quorum=2).tolist() == [[1, 0]]
    assert panel_violations(features, np.full(3, 0.4), panel, 0.0, quorum=1).shape == (0, 2)


def test_env_reports_what_its_panel_sees() -> None:
    env = OneSidedFairnessEnv(k=6, dim=4, n_auditors=5, panel_size=3, quorum=0.5, alpha=0.05,
                              horizon=200)
    obs, _ = env.reset(seed=2)
    assert env.required == 2
    rng = np.random.default_rng(1)
    total = 0
    for _ in range(200):
        probs = rng.random(6)
        features = obs.copy()
        obs, _, _, _, info = env.step_with_probabilities(probs)
        metrics = env.metric_weights[info["panel"]]
        assert len(set(info["panel"].tolist())) == 3
        expected = brute_force_pairs(features, probs, metrics, 0.05, 2)
        assert sorted(info["reported_pairs"]) == sorted(expected)
        np.testing.assert_array_equal(np.asarray(info["reported_pairs"]).reshape(-1, 2),
                                      panel_violations(features, probs, metrics, 0.05, 2))
        assert info["violations"] == len(expected)
        total += info["violations"]
    assert total > 0


def test_auditors_look_at_a_subset_of_features() -> None:
    env = OneSidedFairnessEnv(k=3, dim=6, n_auditors=4, metric_scale=2.0)
    env.reset(seed=0)
    weights = env.metric_weights
    assert np.array_equal((weights > 0).sum(axis=1), [3, 3, 3, 3])
    assert weights.max() <= 3.0 and weights[weights > 0].min() >= 1.0


def test_probabilities_are_audited_not_decisions() -> None:
    env = OneSidedFairnessEnv(k=5, dim=3, horizon=100)
    env.reset(seed=3)
    half = np.full(5, 0.5)
    for _ in range(30):
        _, _, _, _, info = env.step(RandomizedDecisions(np.array([1, 0, 1, 0, 1]), half))
        assert info["violations"] == 0
        assert np.array_equal(info["probabilities"], half)
    sharp = 0
    for _ in range(30):
        _, _, _, _, info = env.step(np.array([1, 0, 1, 0, 1]))
        sharp += info["violations"]
    assert sharp > 0


def test_regret_of_oracle_accept_all_and_probabilities() -> None:
    env = OneSidedFairnessEnv(k=5, dim=4, horizon=200)
    obs, info = env.reset(seed=4)
    assert np.array_equal(info["oracle_decisions"], obs @ env.label_weights > 0)
    for _ in range(50):
        oracle = (obs @ env.label_weights > 0).astype(np.int8)
        obs, _, _, _, info = env.step(oracle)
        assert np.array_equal(info["oracle_decisions"], oracle)  # the round just played
        assert info["regret"] == pytest.approx(0.0, abs=1e-12)
        obs, _, _, _, info = env.step(np.ones(5, dtype=np.int8))
        assert info["regret"] == pytest.approx(np.sum(np.maximum(-info["expected_rewards"], 0)))
    _, _, _, _, info = env.step_with_probabilities(np.full(5, 0.25))
    value = info["expected_rewards"]
    assert info["probability_regret"] == pytest.approx(np.maximum(value, 0).sum()
                                                       - 0.25 * value.sum())
    assert info["regret"] == pytest.approx(np.maximum(value, 0).sum()
                                           - value[info["decisions"] == 1].sum())


def test_invalid_actions_are_refused() -> None:
    env = OneSidedFairnessEnv(k=3, dim=2)
    env.reset(seed=0)
    for bad in ([1, 0], [1, 2, 0], "abc"):
        with pytest.raises(InvalidActionError):
            env.step(bad)
    with pytest.raises(InvalidActionError, match=r"\[0, 1\]"):
        env.step_with_probabilities([0.5, 1.2, 0.0])
    with pytest.raises(InvalidActionError, match="probability 0"):
        env.step_with_probabilities([0.5, 0.0, 1.0], decisions=[1, 1, 1])
    with pytest.raises(InvalidActionError, match="probability 0"):
        env.step_with_probabilities([0.5, 0.5, 1.0], decisions=[1, 1, 0])


def test_seeding_reproduces_the_world_whatever_the_actions() -> None:
    def run(seed: int, accept: float) -> tuple[np.ndarray, list[float]]:
        env = OneSidedFairnessEnv(k=4, dim=3, horizon=40)
        obs, _ = env.reset(seed=seed)
        seen, regrets = [obs], []
        for _ in range(40):
            obs, _, _, _, info = env.step_with_probabilities(np.full(4, accept))
            seen.append(obs)
            regrets.append(info["regret"])
        return np.array(seen), regrets

    a, regret_a = run(7, 0.5)
    b, regret_b = run(7, 0.5)
    c, _ = run(7, 0.9)
    d, _ = run(8, 0.5)
    assert np.array_equal(a, b) and regret_a == regret_b
    assert np.array_equal(a, c)  # different decisions, same people
    assert not np.array_equal(a, d)


def test_constructor_seed_and_reset_options() -> None:
    first = OneSidedFairnessEnv(k=3, dim=2, seed=11).reset()[0]
    again = OneSidedFairnessEnv(k=3, dim=2).reset(seed=11)[0]
    assert np.array_equal(first, again)
    env = OneSidedFairnessEnv(k=3, dim=2, n_auditors=2)
    env.reset(seed=0, options={"label_weights": [0.0, 0.0], "metric_weights": np.ones((2, 2))})
    assert np.array_equal(env.label_weights, [0.0, 0.0])
    _, _, _, _, info = env.step(np.ones(3, dtype=np.int8))
    assert np.allclose(info["expected_rewards"], 0.0)


def test_truncation_at_the_horizon() -> None:
    env = OneSidedFairnessEnv(k=2, dim=1, horizon=3)
    env.reset(seed=0)
    flags = [env.step(np.zeros(2, dtype=np.int8))[2:4] for _ in range(3)]
    assert flags == [(False, False), (False, False), (False, True)]


def test_best_fair_policy_on_two_groups_solved_by_hand() -> None:
    """Two groups on a line, one auditor, alpha = 0.1: A = {0, 1} at x = 0, B = {2, 3} at
    x = 0.5, so a gap may be 0.1 inside a group and 0.6 across. Values v = (0.8, 0.6, -0.2,
    -0.4): the oracle accepts A and rejects B, p* = (1, 1, 0, 0), worth V* = 1.4, but the
    gap of 1 across groups is unfair.

    Hand solution. Every fair p has p_2 >= p_0 - 0.6 and p_3 >= p_1 - 0.6, so
    v . p <= 0.8 p_0 + 0.6 p_1 - 0.2 (p_0 - 0.6) - 0.4 (p_1 - 0.6) = 0.6 p_0 + 0.2 p_1 + 0.36
    <= 0.6 + 0.2 + 0.36 = 1.16, with equality only at p_0 = p_1 = 1, p_2 = p_3 = 0.4, which is
    fair (gaps 0 inside each group, 0.6 across). So the best fair policy is
    (1, 1, 0.4, 0.4), V_fair = 1.16, and the price of fairness is 1.4 - 1.16 = 0.24.
    """
    features = np.array([[0.0], [0.0], [0.5], [0.5]])
    auditor = np.array([[1.0]])
    tolerances = panel_tolerances(features, auditor, alpha=0.1)
    np.testing.assert_allclose(tolerances, [[0.1, 0.1, 0.6, 0.6], [0.1, 0.1, 0.6, 0.6],
                                            [0.6, 0.6, 0.1, 0.1], [0.6, 0.6, 0.1, 0.1]])
    values = np.array([0.8, 0.6, -0.2, -0.4])
    probabilities, value = best_fair_policy(values, tolerances)
    np.testing.assert_allclose(probabilities, [1.0, 1.0, 0.4, 0.4], atol=1e-9)
    assert value == pytest.approx(1.16, abs=1e-12)
    assert panel_violations(features, probabilities, auditor, 0.1 + 1e-9).shape == (0, 2)
    assert panel_violations(features, np.array([1.0, 1.0, 0.0, 0.0]), auditor, 0.1).shape[0] == 4
    # When the groups are far apart the oracle is fair, and it is the best fair policy.
    far = panel_tolerances(features * 4.0, auditor, alpha=0.1)
    probabilities, value = best_fair_policy(values, far)
    np.testing.assert_allclose(probabilities, [1.0, 1.0, 0.0, 0.0], atol=1e-9)
    assert value == pytest.approx(1.4, abs=1e-12)


def test_panel_tolerances_follow_the_quorum() -> None:
    features = np.array([[0.0, 0.0], [0.3, 0.8]])
    panel = np.array([[1.0, 0.0], [0.0, 1.0]])  # distances 0.3 and 0.8
    assert panel_tolerances(features, panel, 0.05, quorum=1)[0, 1] == pytest.approx(0.35)
    assert panel_tolerances(features, panel, 0.05, quorum=2)[0, 1] == pytest.approx(0.85)
    # A pair is reported exactly when its gap exceeds its tolerance, whatever the quorum.
    rng = np.random.default_rng(3)
    for _ in range(200):
        people, metrics = rng.uniform(-1, 1, (5, 3)), rng.uniform(0, 1, (3, 3))
        probs, quorum = rng.random(5), int(rng.integers(1, 4))
        tolerance = panel_tolerances(people, metrics, 0.05, quorum)
        over = np.triu(np.abs(probs[:, None] - probs[None, :]) > tolerance, k=1)
        assert int(over.sum()) == panel_violations(people, probs, metrics, 0.05, quorum).shape[0]


def test_fair_comparator_is_fair_and_never_above_the_oracle() -> None:
    env = OneSidedFairnessEnv(k=6, dim=4, n_auditors=5, panel_size=3, quorum=0.5, horizon=300)
    obs, _ = env.reset(seed=9)
    rng = np.random.default_rng(2)
    oracle_total, priced = 0, 0
    for _ in range(300):
        features, oracle = obs.copy(), (obs @ env.label_weights > 0).astype(np.int8)
        probs = rng.random(6)
        obs, _, _, _, info = env.step_with_probabilities(probs)
        judges = env.metric_weights[info["panel"]]
        value, fair = info["expected_rewards"], info["fair_probabilities"]
        best = np.maximum(value, 0).sum()
        fair_value = float(value @ fair)
        assert np.array_equal(info["oracle_decisions"], oracle)
        assert fair_value <= best + 1e-12
        # No worse than any constant policy, which the panel never reports.
        assert fair_value >= max(0.0, value.sum()) - 1e-9
        assert panel_violations(features, fair, judges, env.alpha + 1e-9,
                                env.required).shape == (0, 2)
        assert info["regret"] - info["fair_regret"] == pytest.approx(best - fair_value)
        assert info["fair_regret"] == pytest.approx(
            fair_value - value[info["decisions"] == 1].sum())
        assert info["fair_probability_regret"] == pytest.approx(fair_value - value @ probs)
        expected = panel_violations(features, oracle, judges, env.alpha, env.required)
        assert info["oracle_violations"] == expected.shape[0]
        oracle_total += info["oracle_violations"]
        priced += best - fair_value > 1e-9
    assert oracle_total > 0 and priced > 0  # the oracle is unfair, and fairness has a price


def test_fair_comparator_changes_no_other_key() -> None:
    def run(fair_comparator: bool) -> list[dict]:
        env = OneSidedFairnessEnv(k=4, dim=3, horizon=30, fair_comparator=fair_comparator)
        env.reset(seed=5)
        return [env.step_with_probabilities(np.full(4, 0.7))[4] for _ in range(30)]

    with_fair, without = run(True), run(False)
    for a, b in zip(with_fair, without):
        assert not any(key.startswith("fair_") for key in b)
        assert set(a) - set(b) == {"fair_regret", "fair_probability_regret",
                                   "fair_probabilities"}
        for key in b:
            np.testing.assert_array_equal(a[key], b[key])
