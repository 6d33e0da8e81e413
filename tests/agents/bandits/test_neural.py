"""NeuralUCB, NeuralTS and NeuCB: regret on a quadratic bandit, gradient features, seeding."""

from __future__ import annotations

import math
import os
import subprocess
import sys

import numpy as np
import pytest
from toy_bandits import assert_seeded_reproducibly, play, quadratic_instance

from decisiongym.agents.bandits import make_agent
from decisiongym.agents.bandits.neural import NeuCBKL, NeuCBSquare, NeuralTS, NeuralUCB
from decisiongym.agents.bandits.regression import inverse_gap_weighting

NEURAL = ["neuralucb", "neuralts", "neucb-sq", "neucb-kl"]


def _half_regrets(name: str) -> tuple[list[float], float, float]:
    first = second = 0.0
    totals = []
    for seed in (0, 1):
        contexts, means, rewards = quadratic_instance(seed)
        _, regret = play(make_agent(name, n_arms=4, dim=4, seed=seed), contexts, means, rewards)
        totals.append(regret.sum())
        first += regret[:750].sum()
        second += regret[750:].sum()
    return totals, first, second


@pytest.mark.parametrize("name", NEURAL)
def test_regret_is_small_and_sublinear_on_a_quadratic_bandit(name: str,
                                                            one_torch_thread: None) -> None:
    # Uniform play loses about 386 over 1500 rounds; each neural agent loses < 120 on average,
    # and the second half of the run costs less than 0.6 of the first.
    totals, first, second = _half_regrets(name)
    assert np.mean(totals) < 120.0, totals
    assert second < 0.6 * first, (first, second)


def test_the_quadratic_bandit_defeats_a_linear_model() -> None:
    # The same instance, LinUCB: no better in the second half than in the first, so the
    # neural agents' bounds above measure what the network learns.
    totals, first, second = _half_regrets("linucb")
    assert np.mean(totals) > 150.0, totals
    assert second > 0.8 * first, (first, second)


def test_gradient_features_equal_autograd(one_torch_thread: None) -> None:
    import torch

    agent = NeuralUCB(3, 4, seed=0, width=8)
    contexts, _, rewards = quadratic_instance(0, horizon=50, n_arms=3)
    for x, r in zip(contexts, rewards):
        agent.update(x, int(np.argmax(r)), float(r.max()))
    x = contexts[0]
    f, g_w1, g_w2 = agent.gradient_features(x)
    for arm in range(3):
        w1 = agent.w1.detach().clone().requires_grad_(True)
        w2 = agent.w2.detach().clone().requires_grad_(True)
        out = math.sqrt(8) * torch.relu(w1[:, arm, :] @ torch.from_numpy(x)) @ w2
        out.backward()
        assert f[arm] == pytest.approx(out.item())
        grad_w1 = w1.grad.numpy() / math.sqrt(8)
        np.testing.assert_allclose(g_w1[arm], grad_w1[:, arm, :], atol=1e-12)
        np.testing.assert_array_equal(np.delete(grad_w1, arm, axis=1), 0.0)
        np.testing.assert_allclose(g_w2[arm], w2.grad.numpy() / math.sqrt(8), atol=1e-12)


def test_initial_network_outputs_zero_and_width_shrinks_where_data_falls() -> None:
    agent = NeuralUCB(3, 4, seed=0, lr=1e-3)
    x = np.array([0.5, 0.5, 0.5, 0.5])
    f, width_before = agent.mean_and_width(x)
    np.testing.assert_allclose(f, 0.0, atol=1e-12)  # mirrored initial units cancel
    _, g_w1, g_w2 = agent.gradient_features(x)
    agent.update(x, 1, 0.5)
    # Z gains the squared gradient of the pulled arm at the pre-update weights, nothing else.
    np.testing.assert_allclose(agent.z_w1[:, 1, :], agent.lam + g_w1[1] ** 2)
    np.testing.assert_array_equal(agent.z_w1[:, [0, 2], :], agent.lam)
    np.testing.assert_allclose(agent.z_w2, agent.lam + g_w2[1] ** 2)
    for _ in range(30):
        agent.update(x, 1, 0.5)
    _, width_after = agent.mean_and_width(x)
    assert width_after[1] < 0.5 * width_before[1]
    assert width_after[1] < width_after[0] and width_after[1] < width_after[2]


@pytest.mark.parametrize("name", NEURAL)
def test_same_seed_same_actions_and_reset_reproduces(name: str,
                                                     one_torch_thread: None) -> None:
    assert_seeded_reproducibly(name, seed=9, instance_seed=1, horizon=120)


@pytest.mark.parametrize("cls", [NeuralUCB, NeuralTS])
def test_act_batch_matches_a_loop_of_act(cls, one_torch_thread: None) -> None:
    contexts, means, rewards = quadratic_instance(2, horizon=200)
    batched, looped = cls(4, 4, seed=2), cls(4, 4, seed=2)
    for agent in (batched, looped):
        play(agent, contexts[:100], means[:100], rewards[:100])
    np.testing.assert_array_equal(batched.act_batch(contexts[100:]),
                                  [looped.act(x) for x in contexts[100:]])


def test_neucb_without_perturbation_is_plain_inverse_gap_weighting() -> None:
    agent = NeuCBSquare(4, 4, seed=0, perturbation=0.0)
    x = quadratic_instance(0, horizon=1)[0][0]
    agent.act(x)
    expected = inverse_gap_weighting(agent.oracle.predict(x[None]), agent.gamma())
    np.testing.assert_allclose(agent._perturbed_probabilities(x[None]), expected)


def test_neucb_trains_on_the_perturbation_its_decision_saw(one_torch_thread: None) -> None:
    agent = NeuCBKL(4, 4, seed=0, perturbation=0.3)
    contexts, _, rewards = quadratic_instance(0, horizon=400)
    for t, x in enumerate(contexts):
        arm = agent.act(x)
        decided = agent._acted_offsets[0, arm]
        agent.update(x, arm, rewards[t, arm])
        assert agent.oracle.offsets[t] == pytest.approx(decided, abs=1e-6)
    assert abs(np.std(agent.oracle.offsets[:400]) - 0.3) < 0.05
    # A context the agent never acted on gets a fresh perturbation of the same scale.
    agent.update(np.ones(4) / 2, 0, 0.5)
    assert agent.oracle.offsets[400] != 0.0


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("neuralucb", {"gamma": -1.0}),
        ("neuralucb", {"width": 7}),
        ("neuralts", {"nu": -0.1}),
        ("neuralts", {"lam": 0.0}),
        ("neucb-sq", {"perturbation": -0.1}),
        ("neucb-kl", {"lr": -1.0}),
    ],
)
def test_bad_hyperparameters_raise(name: str, kwargs: dict) -> None:
    with pytest.raises(ValueError):
        make_agent(name, n_arms=3, dim=2, **kwargs)


def test_bad_contexts_arms_and_rewards_raise() -> None:
    with pytest.raises(ValueError, match="context"):
        NeuralUCB(3, 2).act(np.zeros(5))
    with pytest.raises(ValueError, match="arm"):
        NeuralTS(3, 2).update(np.zeros(2), -1, 0.0)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        NeuCBKL(3, 2).update(np.zeros(2), 0, -0.5)


def test_classic_and_linear_agents_never_import_torch() -> None:
    code = (
        "import sys\n"
        "from decisiongym.agents.bandits import make_agent\n"
        "for name in ('ucb1', 'ts', 'linucb', 'lints', 'squarecb', 'fastcb'):\n"
        "    make_agent(name, n_arms=3, dim=2).act([0.5, 0.5])\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=os.environ.copy(), timeout=120)
    assert done.returncode == 0, done.stderr
