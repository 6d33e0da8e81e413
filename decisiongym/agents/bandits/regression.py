"""Contextual bandits by reduction to online regression: SquareCB and FastCB.

Both algorithms keep an online regression oracle that predicts every arm's reward for the
current context and turn its predictions into a distribution over arms by *inverse gap
weighting*: the larger an arm's predicted gap to the leader, the less it is explored.

SquareCB (Foster & Rakhlin, 2020, Algorithm 1; the weighting is Abe & Long, 1999). With
``yhat_a`` the predicted rewards, ``b = argmax_a yhat_a`` and ``K`` arms:

    p_a = 1 / (K + gamma (yhat_b - yhat_a))   for a != b,      p_b = 1 - sum_{a != b} p_a.   (1)

The oracle minimises the square loss ``(yhat_a - r)^2`` of the pulled arm.

FastCB (Foster & Krishnamurthy, 2021, "Efficient first-order contextual bandits") works
with losses ``l = 1 - r`` in [0, 1], an oracle trained with the log loss (binary cross
entropy, the KL divergence between Bernoulli means), and the first-order weighting

    p_a = lhat_b / (K lhat_b + gamma (lhat_a - lhat_b))   for a != b,   p_b = 1 - sum.   (2)

When the leader's predicted loss ``lhat_b`` is small, (2) explores far less than (1): its
regret scales with the best policy's cumulative loss ``L*`` instead of ``T``.

The learning rate ``gamma``. The theory sets ``gamma = sqrt(K T / Reg(T))`` for a known
horizon ``T`` and oracle regret ``Reg``. We use the anytime schedule of Vowpal Wabbit's
``--squarecb``: ``gamma_t = gamma_scale * t ** gamma_exponent`` at decision ``t`` (1-based),
with its defaults ``gamma_scale = 10`` and ``gamma_exponent = 0.5`` (``sqrt(K / Reg)`` is
folded into the scale); ``gamma_exponent = 0`` gives a fixed ``gamma``.

Oracles (two backends per algorithm):

=================  =========================================================================
name               oracle
=================  =========================================================================
``squarecb``       per-arm ridge regression, inverse kept by Sherman-Morrison (O(d^2) update)
``fastcb``         per-arm logistic regression by online Newton steps (O(d^2) update)
``squarecb-nn``    torch MLP, square loss, Adam on the newest sample plus replayed ones
``fastcb-nn``      torch MLP with sigmoid outputs, log loss, same training
=================  =========================================================================

The neural oracle (``MLPOracle``) is an MLP with a shared trunk and one output per arm
(a per-arm head): one forward pass predicts all arms. After every observation it takes
``steps`` Adam steps on a minibatch made of the newest sample and ``batch_size - 1`` samples
drawn uniformly from a replay buffer of the last ``buffer_size`` observations, so each step
costs the same however long the run. torch is imported only when such an oracle is built.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numba import njit

from decisiongym.agents.bandits.base import BanditAgent, register_agent
from decisiongym.agents.bandits.linear import rank_one_inverse_update, sherman_morrison_update

# ---------------------------------------------------------------------------------------------
# Inverse gap weighting, equations (1) and (2); both act on the last axis of a batch.


def inverse_gap_weighting(predictions: np.ndarray, gamma: float) -> np.ndarray:
    """SquareCB's distribution over arms, equation (1), from predicted rewards ``(..., K)``.

    :param predictions: predicted reward of every arm; leading axes are a batch.
    :param gamma: learning rate >= 0 (0 is uniform exploration).
    """
    pred = np.asarray(predictions, dtype=np.float64)
    n_arms = pred.shape[-1]
    best = np.argmax(pred, axis=-1)[..., None]
    gap = np.take_along_axis(pred, best, axis=-1) - pred
    probs = 1.0 / (n_arms + gamma * gap)
    np.put_along_axis(probs, best, 0.0, axis=-1)
    np.put_along_axis(probs, best, 1.0 - probs.sum(axis=-1, keepdims=True), axis=-1)
    return probs


def first_order_weighting(predictions: np.ndarray, gamma: float) -> np.ndarray:
    """FastCB's distribution over arms, equation (2), from predicted rewards in [0, 1].

    Predicted losses are ``1 - predictions`` clipped to [0, 1]. An arm tied with a leader of
    zero predicted loss gets no exploration (the 0/0 case of (2)).

    :param predictions: predicted reward of every arm, ``(..., K)``.
    :param gamma: learning rate >= 0.
    """
    losses = 1.0 - np.clip(np.asarray(predictions, dtype=np.float64), 0.0, 1.0)
    n_arms = losses.shape[-1]
    best = np.argmin(losses, axis=-1)[..., None]
    best_loss = np.take_along_axis(losses, best, axis=-1)
    denominator = n_arms * best_loss + gamma * (losses - best_loss)
    probs = np.divide(np.broadcast_to(best_loss, losses.shape), denominator,
                      out=np.zeros_like(losses), where=denominator > 0)
    np.put_along_axis(probs, best, 0.0, axis=-1)
    np.put_along_axis(probs, best, 1.0 - probs.sum(axis=-1, keepdims=True), axis=-1)
    return probs


def draw_arms(probs: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
    """Inverse-CDF draw of one arm per row of ``probs`` ``(B, K)`` from ``uniforms`` ``(B,)``.

    One uniform per decision, so a batch of ``B`` decisions consumes the generator exactly as
    ``B`` single ones.
    """
    cdf = np.cumsum(probs, axis=-1)
    arms = (cdf <= (uniforms * cdf[:, -1])[:, None]).sum(axis=-1)
    return np.minimum(arms, probs.shape[-1] - 1).astype(np.int64)


# ---------------------------------------------------------------------------------------------
# Regression oracles.


class RidgeOracle:
    """Per-arm online ridge regression; ``A_a^{-1}`` refreshed by Sherman-Morrison.

    :param n_arms: number of arms.
    :param dim: context dimension.
    :param ridge: ridge penalty ``lambda`` > 0.
    """

    def __init__(self, n_arms: int, dim: int, ridge: float = 1.0) -> None:
        self.a_inv = np.broadcast_to(np.eye(dim) / ridge, (n_arms, dim, dim)).copy()
        self.b = np.zeros((n_arms, dim))
        self.theta = np.zeros((n_arms, dim))

    def predict(self, contexts: np.ndarray) -> np.ndarray:
        """Predicted reward ``(B, K)`` of every arm for contexts ``(B, d)``."""
        return contexts @ self.theta.T

    def update(self, context: np.ndarray, arm: int, target: float) -> None:
        sherman_morrison_update(self.a_inv, self.b, self.theta, arm, context, target, 1.0)


@njit(cache=True)
def logistic_newton_update(a_inv, w, arm, x, target, min_curvature):
    """One online Newton step of arm ``arm``'s logistic regression on ``(x, target)``.

    The Hessian of the log loss at ``x`` is ``h x x^T`` with ``h = p (1 - p)``; it is added
    to ``A_arm`` (inverse refreshed by Sherman-Morrison) and the weights move by
    ``A_arm^{-1} x (target - p)``. ``h`` is floored at ``min_curvature`` so that confident
    predictions still shrink ``A^{-1}``.
    """
    d = x.shape[0]
    z = 0.0
    for i in range(d):
        z += w[arm, i] * x[i]
    p = 1.0 / (1.0 + math.exp(-z))
    h = max(p * (1.0 - p), min_curvature)
    inv = a_inv[arm]
    rank_one_inverse_update(inv, x, h)
    for i in range(d):
        s = 0.0
        for j in range(d):
            s += inv[i, j] * x[j]
        w[arm, i] += s * (target - p)


class LogisticOracle:
    """Per-arm online logistic regression (log loss) by online Newton steps, O(d^2) each.

    :param n_arms: number of arms.
    :param dim: context dimension.
    :param ridge: ``A_a`` starts at ``ridge * I``, a Gaussian prior on the weights.
    :param min_curvature: floor of the per-sample curvature ``p (1 - p)``.
    """

    def __init__(self, n_arms: int, dim: int, ridge: float = 1.0,
                 min_curvature: float = 0.01) -> None:
        self.a_inv = np.broadcast_to(np.eye(dim) / ridge, (n_arms, dim, dim)).copy()
        self.w = np.zeros((n_arms, dim))
        self.min_curvature = min_curvature

    def predict(self, contexts: np.ndarray) -> np.ndarray:
        """Predicted success probability ``(B, K)`` of every arm for contexts ``(B, d)``."""
        return 1.0 / (1.0 + np.exp(-(contexts @ self.w.T)))

    def update(self, context: np.ndarray, arm: int, target: float) -> None:
        logistic_newton_update(self.a_inv, self.w, arm, context, target, self.min_curvature)


def import_torch() -> Any:
    """torch, imported on first use so that the classic agents never load it."""
    import torch

    return torch


class MLPOracle:
    """Online neural regression: an MLP with a per-arm head, trained from a replay buffer.

    ``predict`` returns every arm's predicted reward; with ``loss="log"`` the network's outputs
    are logits and the predictions their sigmoids. An optional ``offsets`` array is added to
    the raw outputs (the logits for the log loss) before the loss or the sigmoid: NeuCB uses
    it for its random perturbation of the predictions, and stores each sample's offset so that
    replayed samples keep theirs.

    Threads: torch's thread count is a process-wide setting, so the oracle leaves it alone.
    One forward and one backward pass of this small network take well under a millisecond on
    one thread; where other work shares a small machine, ``torch.set_num_threads(1)`` in the
    calling program keeps intra-op threads from contending.

    :param n_arms: number of arms (outputs).
    :param dim: context dimension (inputs).
    :param seed: seed of the torch generator that draws the initial weights.
    :param loss: ``"squared"`` or ``"log"``.
    :param hidden: widths of the hidden ReLU layers.
    :param lr: Adam's learning rate.
    :param buffer_size: number of past observations kept for replay.
    :param batch_size: minibatch size of each step (the newest sample plus replayed ones).
    :param steps: Adam steps after each observation.
    """

    def __init__(self, n_arms: int, dim: int, seed: int, loss: str = "squared",
                 hidden: Sequence[int] = (64,), lr: float = 1e-2, buffer_size: int = 2048,
                 batch_size: int = 32, steps: int = 1) -> None:
        if loss not in ("squared", "log"):
            raise ValueError(f"loss must be 'squared' or 'log', got {loss!r}")
        if buffer_size < 1 or batch_size < 1 or steps < 1:
            raise ValueError("buffer_size, batch_size and steps must be >= 1")
        torch = import_torch()
        self.torch = torch
        self.loss = loss
        self.batch_size = int(batch_size)
        self.steps = int(steps)
        generator = torch.Generator().manual_seed(int(seed))
        sizes = (dim, *(int(h) for h in hidden), n_arms)
        layers: list[Any] = []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            # torch's default initialisation, drawn from our generator instead of the global one
            layer = torch.nn.utils.skip_init(torch.nn.Linear, fan_in, fan_out)
            bound = 1.0 / math.sqrt(fan_in)
            with torch.no_grad():
                layer.weight.uniform_(-bound, bound, generator=generator)
                layer.bias.uniform_(-bound, bound, generator=generator)
            layers += [layer, torch.nn.ReLU()]
        self.net = torch.nn.Sequential(*layers[:-1])
        self.optimizer = torch.optim.Adam(self.net.parameters(), lr=lr)
        self.contexts = np.zeros((buffer_size, dim), dtype=np.float32)
        self.arms = np.zeros(buffer_size, dtype=np.int64)
        self.targets = np.zeros(buffer_size, dtype=np.float32)
        self.offsets = np.zeros(buffer_size, dtype=np.float32)
        self.size = 0
        self.next = 0

    def raw(self, contexts: np.ndarray) -> np.ndarray:
        """The network's outputs ``(B, K)`` (logits for the log loss), without gradients."""
        torch = self.torch
        with torch.no_grad():
            x = torch.from_numpy(np.asarray(contexts, dtype=np.float32))
            return self.net(x).numpy().astype(np.float64)

    def to_prediction(self, raw: np.ndarray) -> np.ndarray:
        """Map raw outputs to predicted rewards (sigmoid for the log loss)."""
        return 1.0 / (1.0 + np.exp(-raw)) if self.loss == "log" else raw

    def predict(self, contexts: np.ndarray, offsets: np.ndarray | None = None) -> np.ndarray:
        """Predicted reward ``(B, K)`` of every arm, raw outputs shifted by ``offsets``."""
        raw = self.raw(contexts)
        return self.to_prediction(raw if offsets is None else raw + offsets)

    def update(self, context: np.ndarray, arm: int, target: float, rng: np.random.Generator,
               offset: float = 0.0) -> None:
        """Store ``(context, arm, target, offset)`` and take ``steps`` minibatch steps."""
        torch = self.torch
        slot = self.next
        self.contexts[slot] = context
        self.arms[slot] = arm
        self.targets[slot] = target
        self.offsets[slot] = offset
        self.next = (slot + 1) % len(self.arms)
        self.size = min(self.size + 1, len(self.arms))
        for _ in range(self.steps):
            replayed = rng.integers(self.size, size=min(self.batch_size, self.size) - 1)
            rows = np.concatenate(([slot], replayed))
            x = torch.from_numpy(self.contexts[rows])
            arms = torch.from_numpy(self.arms[rows])
            y = torch.from_numpy(self.targets[rows])
            out = self.net(x).gather(1, arms[:, None])[:, 0] + torch.from_numpy(self.offsets[rows])
            if self.loss == "log":
                loss = torch.nn.functional.binary_cross_entropy_with_logits(out, y)
            else:
                loss = 0.5 * ((out - y) ** 2).mean()
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()


# ---------------------------------------------------------------------------------------------
# Agents.


class InverseGapAgent(BanditAgent):
    """Shared loop of the reduction agents: predict, weight by (1) or (2), draw, regress.

    :param n_arms: number of arms ``K``.
    :param dim: context dimension.
    :param seed: seed of the agent's generator (the draws; also seeds a neural oracle).
    :param gamma_scale: ``gamma_t = gamma_scale * t ** gamma_exponent``, > 0.
    :param gamma_exponent: exponent of the schedule, in [0, 1].
    """

    first_order = False
    needs_unit_rewards = False

    def __init__(self, n_arms: int, dim: int = 1, seed: int | None = 0,
                 gamma_scale: float = 10.0, gamma_exponent: float = 0.5) -> None:
        if gamma_scale <= 0:
            raise ValueError(f"gamma_scale must be > 0, got {gamma_scale}")
        if not 0.0 <= gamma_exponent <= 1.0:
            raise ValueError(f"gamma_exponent must be in [0, 1], got {gamma_exponent}")
        self.gamma_scale = float(gamma_scale)
        self.gamma_exponent = float(gamma_exponent)
        super().__init__(n_arms, dim, seed)

    def _reset_state(self) -> None:
        self.t = 0
        self.oracle = self._make_oracle()

    def _make_oracle(self) -> Any:
        raise NotImplementedError

    def gamma(self) -> float:
        """The learning rate of the next decision, ``gamma_scale * t ** gamma_exponent``."""
        return self.gamma_scale * (self.t + 1) ** self.gamma_exponent

    def _contexts(self, contexts: Any) -> np.ndarray:
        xs = np.asarray(contexts, dtype=np.float64)
        if xs.ndim == 1:
            xs = xs[None, :]
        if xs.ndim != 2 or xs.shape[1] != self.dim:
            raise ValueError(f"contexts must have {self.dim} features, got shape {xs.shape}")
        return xs

    def predict(self, contexts: Any) -> np.ndarray:
        """The oracle's predicted rewards ``(B, K)`` (``(1, K)`` for one context)."""
        return self.oracle.predict(self._contexts(contexts))

    def _weights(self, predictions: np.ndarray) -> np.ndarray:
        weighting = first_order_weighting if self.first_order else inverse_gap_weighting
        return weighting(predictions, self.gamma())

    def action_probabilities(self, context: Any) -> np.ndarray:
        """The distribution ``(K,)`` the next decision for ``context`` is drawn from."""
        return self._weights(self.predict(context))[0]

    def act(self, context: Any) -> int:
        probs = self._weights(self.predict(context))
        return int(draw_arms(probs, np.array([self.rng.random()]))[0])

    def act_batch(self, contexts: Any) -> np.ndarray:
        probs = self._weights(self.predict(contexts))
        return draw_arms(probs, self.rng.random((probs.shape[0],)))

    def _check(self, arm: int, reward: float) -> tuple[int, float]:
        arm, reward = int(arm), float(reward)
        if not 0 <= arm < self.n_arms:
            raise ValueError(f"arm must be in [0, {self.n_arms}), got {arm}")
        if self.needs_unit_rewards and not 0.0 <= reward <= 1.0:
            raise ValueError(f"{self.name} needs rewards in [0, 1], got {reward}")
        return arm, reward

    def update(self, context: Any, arm: int, reward: float) -> None:
        arm, reward = self._check(arm, reward)
        self._learn(self._contexts(context)[0], arm, reward)
        self.t += 1

    def _learn(self, context: np.ndarray, arm: int, reward: float) -> None:
        self.oracle.update(context, arm, reward)


@register_agent("squarecb")
class SquareCB(InverseGapAgent):
    """SquareCB with a per-arm ridge regression oracle (square loss, rank-one updates).

    :param n_arms: number of arms ``K``.
    :param dim: context dimension ``d``.
    :param seed: seed of the agent's generator.
    :param gamma_scale: scale of the ``gamma_t`` schedule (Vowpal Wabbit's default 10).
    :param gamma_exponent: exponent of the schedule (default 0.5).
    :param ridge: ridge penalty ``lambda`` > 0.
    """

    name = "squarecb"

    def __init__(self, n_arms: int, dim: int = 1, seed: int | None = 0,
                 gamma_scale: float = 10.0, gamma_exponent: float = 0.5,
                 ridge: float = 1.0) -> None:
        if ridge <= 0:
            raise ValueError(f"ridge must be > 0, got {ridge}")
        self.ridge = float(ridge)
        super().__init__(n_arms, dim, seed, gamma_scale, gamma_exponent)

    def _make_oracle(self) -> RidgeOracle:
        return RidgeOracle(self.n_arms, self.dim, self.ridge)


@register_agent("fastcb")
class FastCB(InverseGapAgent):
    """FastCB with a per-arm logistic regression oracle (log loss, online Newton steps).

    Rewards must lie in [0, 1]; losses are ``1 - reward``.

    :param n_arms: number of arms ``K``.
    :param dim: context dimension ``d``.
    :param seed: seed of the agent's generator.
    :param gamma_scale: scale of the ``gamma_t`` schedule (default 10).
    :param gamma_exponent: exponent of the schedule (default 0.5).
    :param ridge: prior precision of the logistic weights, > 0.
    """

    name = "fastcb"
    first_order = True
    needs_unit_rewards = True

    def __init__(self, n_arms: int, dim: int = 1, seed: int | None = 0,
                 gamma_scale: float = 10.0, gamma_exponent: float = 0.5,
                 ridge: float = 1.0) -> None:
        if ridge <= 0:
            raise ValueError(f"ridge must be > 0, got {ridge}")
        self.ridge = float(ridge)
        super().__init__(n_arms, dim, seed, gamma_scale, gamma_exponent)

    def _make_oracle(self) -> LogisticOracle:
        return LogisticOracle(self.n_arms, self.dim, self.ridge)


class NeuralInverseGapAgent(InverseGapAgent):
    """A reduction agent whose oracle is an ``MLPOracle`` with the class's ``loss``."""

    loss = "squared"

    def __init__(self, n_arms: int, dim: int = 1, seed: int | None = 0,
                 gamma_scale: float = 10.0, gamma_exponent: float = 0.5,
                 hidden: Sequence[int] = (64,), lr: float = 1e-2, buffer_size: int = 2048,
                 batch_size: int = 32, steps: int = 1) -> None:
        if lr <= 0:
            raise ValueError(f"lr must be > 0, got {lr}")
        if any(int(h) < 1 for h in hidden):
            raise ValueError(f"hidden widths must be >= 1, got {tuple(hidden)}")
        if buffer_size < 1 or batch_size < 1 or steps < 1:
            raise ValueError("buffer_size, batch_size and steps must be >= 1")
        self.hidden = tuple(int(h) for h in hidden)
        self.lr = float(lr)
        self.buffer_size = int(buffer_size)
        self.batch_size = int(batch_size)
        self.steps = int(steps)
        super().__init__(n_arms, dim, seed, gamma_scale, gamma_exponent)

    def _make_oracle(self) -> MLPOracle:
        # The network's seed comes from the agent's generator, so reset(seed) rebuilds it.
        return MLPOracle(self.n_arms, self.dim, seed=int(self.rng.integers(2**62)),
                         loss=self.loss, hidden=self.hidden, lr=self.lr,
                         buffer_size=self.buffer_size, batch_size=self.batch_size,
                         steps=self.steps)

    def _learn(self, context: np.ndarray, arm: int, reward: float) -> None:
        self.oracle.update(context, arm, reward, self.rng)


@register_agent("squarecb-nn")
class SquareCBNN(NeuralInverseGapAgent):
    """SquareCB with an online MLP regression oracle (square loss).

    :param n_arms: number of arms ``K``.
    :param dim: context dimension ``d``.
    :param seed: seed of the agent's generator (draws, replay and initial weights).
    :param gamma_scale: scale of the ``gamma_t`` schedule (default 10).
    :param gamma_exponent: exponent of the schedule (default 0.5).
    :param hidden: hidden layer widths of the MLP.
    :param lr: Adam's learning rate.
    :param buffer_size: replay buffer capacity.
    :param batch_size: minibatch size (newest sample plus replayed ones).
    :param steps: Adam steps per observation.
    """

    name = "squarecb-nn"
    loss = "squared"


@register_agent("fastcb-nn")
class FastCBNN(NeuralInverseGapAgent):
    """FastCB with an online MLP oracle: sigmoid outputs and log loss; rewards in [0, 1].

    :param n_arms: number of arms ``K``.
    :param dim: context dimension ``d``.
    :param seed: seed of the agent's generator (draws, replay and initial weights).
    :param gamma_scale: scale of the ``gamma_t`` schedule (default 10).
    :param gamma_exponent: exponent of the schedule (default 0.5).
    :param hidden: hidden layer widths of the MLP.
    :param lr: Adam's learning rate.
    :param buffer_size: replay buffer capacity.
    :param batch_size: minibatch size (newest sample plus replayed ones).
    :param steps: Adam steps per observation.
    """

    name = "fastcb-nn"
    loss = "log"
    first_order = True
    needs_unit_rewards = True
