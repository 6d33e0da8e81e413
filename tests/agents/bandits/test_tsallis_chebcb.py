"""Tsallis-INF, Exp3 and ChebCB: their building blocks exactly, their learning on cost streams.

The learning checks replay cost tables: an SOR cost is a deterministic function of the system,
so playing a table row by row is playing the env (``test_samples_are_the_systems_the_env_plays``
checks that the tables are the env's streams). The long Tsallis-INF run uses Young's asymptotic
iteration count as a closed-form stand-in for the solver, with the same shape in (omega, c).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import brentq

from decisiongym.agents.bandits import make_agent
from decisiongym.agents.bandits.adversarial import Exp3, TsallisINF, tsallis_probabilities
from decisiongym.agents.bandits.base import BanditAgent
from decisiongym.agents.bandits.chebyshev import ChebCB, chebyshev_features, inverse_gap_weights
from decisiongym.baselines.bandits.relaxation import cost_table
from decisiongym.envs.bandits.relax import OMEGAS, SORRelaxationEnv, draw_shift
from decisiongym.envs.bandits.sor import asymptotic_iterations


def replay(agent: BanditAgent, shifts: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Costs the agent pays on the stream whose round ``t`` has context ``shifts[t]``."""
    paid = np.empty(len(shifts))
    for t, (c, costs) in enumerate(zip(shifts, table)):
        context = np.array([c])
        arm = agent.act(context)
        paid[t] = costs[arm]
        agent.update(context, arm, -float(costs[arm]))
    return paid


@pytest.fixture(scope="module")
def sor_stream() -> tuple[np.ndarray, np.ndarray]:
    return cost_table("high", 10, 1500, seed=0)


# -- building blocks -------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(5))
def test_tsallis_probabilities_solve_the_normaliser(seed: int) -> None:
    rng = np.random.default_rng(seed)
    losses = rng.exponential(5.0, size=12)
    eta = 2.0 / np.sqrt(1 + seed * 40)
    probabilities = tsallis_probabilities(losses, eta)

    def excess(x: float) -> float:
        return float(np.sum(4.0 / (eta * (losses - x)) ** 2) - 1.0)

    x = brentq(excess, losses.min() - 2.0 * np.sqrt(12) / eta - 1.0, losses.min() - 1e-9)
    np.testing.assert_allclose(probabilities, 4.0 / (eta * (losses - x)) ** 2, rtol=1e-9)
    assert probabilities.sum() == pytest.approx(1.0)
    order = np.argsort(losses)
    assert np.all(np.diff(probabilities[order]) <= 0)


def test_tsallis_probabilities_are_uniform_for_equal_losses() -> None:
    np.testing.assert_allclose(tsallis_probabilities(np.full(7, 3.0), 0.5), np.full(7, 1 / 7))


def test_chebyshev_features_are_the_chebyshev_polynomials() -> None:
    for u in (-1.0, -0.3, 0.0, 0.8, 1.0):
        np.testing.assert_allclose(chebyshev_features(u, 6),
                                   np.polynomial.chebyshev.chebvander(u, 6)[0], atol=1e-12)


def test_inverse_gap_weights() -> None:
    predicted = np.array([3.0, 1.0, 2.0, 1.0])
    probabilities = inverse_gap_weights(predicted, 10.0)
    assert probabilities.sum() == pytest.approx(1.0)
    assert probabilities[2] == pytest.approx(1.0 / (4 + 10.0))
    assert probabilities[0] == pytest.approx(1.0 / (4 + 20.0))
    assert probabilities[3] == pytest.approx(0.25)  # a tie with the leader is not penalised
    assert int(np.argmax(probabilities)) == 1
    np.testing.assert_allclose(inverse_gap_weights(predicted, 0.0), np.full(4, 0.25))


def test_chebcb_fit_recovers_a_polynomial_cost() -> None:
    agent = ChebCB(n_arms=2, seed=0, context_range=(-1.0, 1.0), ridge=1e-9)
    coefficients = np.array([50.0, -20.0, 5.0, 0.0, 3.0, 0.0, -1.0])
    for c in np.linspace(-1.0, 1.0, 30):
        agent.update(np.array([c]), 0, -float(np.polynomial.chebyshev.chebval(c, coefficients)))
    np.testing.assert_allclose(agent.theta[0], coefficients, atol=1e-5)
    assert agent.predict(np.array([0.37]))[0] == pytest.approx(
        np.polynomial.chebyshev.chebval(0.37, coefficients), abs=1e-5)
    assert agent.counts.tolist() == [30, 0]


def test_same_seed_same_choices_and_reset_forgets() -> None:
    rng = np.random.default_rng(0)
    shifts = np.array([draw_shift(rng) for _ in range(200)])
    table = np.ceil(asymptotic_iterations(OMEGAS[None, :], shifts[:, None], 10))
    for cls in (TsallisINF, Exp3, ChebCB):
        first = replay(cls(n_arms=20, seed=3), shifts, table)
        agent = cls(n_arms=20, seed=3)
        np.testing.assert_array_equal(replay(agent, shifts, table), first)
        agent.reset()
        np.testing.assert_array_equal(replay(agent, shifts, table), first)
        assert not np.array_equal(replay(cls(n_arms=20, seed=4), shifts, table), first)


def test_agents_are_built_by_name() -> None:
    assert isinstance(make_agent("tsallis-inf", n_arms=20), TsallisINF)
    assert isinstance(make_agent("exp3", n_arms=20), Exp3)
    agent = make_agent("chebcb", n_arms=20, dim=4, degree=4)
    assert isinstance(agent, ChebCB) and agent.degree == 4


def test_cost_mode_refuses_positive_rewards() -> None:
    agent = TsallisINF(n_arms=3)
    arm = agent.act(np.zeros(1))
    with pytest.raises(ValueError, match="reward_range"):
        agent.update(np.zeros(1), arm, 0.5)


# -- learning --------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_tsallis_inf_approaches_the_best_fixed_omega(seed: int) -> None:
    rng = np.random.default_rng(seed)
    shifts = np.array([draw_shift(rng, "high") for _ in range(5000)])
    table = np.ceil(asymptotic_iterations(OMEGAS[None, :], shifts[:, None], 10))
    paid = replay(TsallisINF(n_arms=20, seed=seed), shifts, table)
    late = table[2500:]
    best_fixed = late.mean(axis=0).min()
    assert paid[2500:].mean() <= 1.15 * best_fixed
    # ... far below what a uniformly random omega pays.
    assert paid[2500:].mean() < 0.6 * late.mean()


@pytest.mark.parametrize("cls", [TsallisINF, Exp3])
def test_bounded_rewards_find_the_best_arm(cls: type) -> None:
    # Not the agent's seed: equal streams would tie the reward draws to the arm draws.
    rng = np.random.default_rng(100)
    means = np.array([0.3, 0.5, 0.8, 0.45, 0.6])
    agent = cls(n_arms=5, seed=1, reward_range=(0.0, 1.0))
    arms = []
    for _ in range(3000):
        arm = agent.act(np.zeros(1))
        agent.update(np.zeros(1), arm, float(rng.random() < means[arm]))
        arms.append(arm)
    assert np.mean(np.array(arms[1500:]) == 2) > 0.6


def test_chebcb_beats_tsallis_inf_on_the_sor_family(sor_stream) -> None:
    shifts, table = sor_stream
    instance_optimal = table[750:].min(axis=1).mean()
    for seed in (0, 1):
        cheb = replay(ChebCB(n_arms=20, seed=seed), shifts, table)
        tsallis = replay(TsallisINF(n_arms=20, seed=seed), shifts, table)
        assert cheb.sum() < 0.75 * tsallis.sum()
        # The contextual learner closes in on the per-system best omega ...
        assert cheb[750:].mean() <= 1.25 * instance_optimal
        # ... and beats the best fixed omega in hindsight, which no context-free learner can.
        assert cheb[750:].mean() < table[750:].mean(axis=0).min()


def test_agents_play_the_env_directly() -> None:
    env = SORRelaxationEnv(family="high", horizon=60)
    for agent in (ChebCB(n_arms=20, dim=4, seed=0), TsallisINF(n_arms=20, dim=4, seed=0)):
        context, _ = env.reset(seed=8)
        total = regret = 0.0
        truncated = False
        while not truncated:
            arm = agent.act(context)
            next_context, reward, _, truncated, info = env.step(arm)
            agent.update(context, arm, reward)
            assert reward == -info["iterations"] and info["arm"] == arm
            total -= reward
            regret += info["regret"]
            context = next_context
        assert agent.t == 61
        assert 0 <= regret < total
