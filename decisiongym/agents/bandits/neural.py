"""Neural contextual bandits: NeuralUCB, NeuralTS and NeuCB.

``neuralucb`` (Zhou, Li & Gu, 2020) and ``neuralts`` (Zhang, Zhou, Li & Gu, 2021) explore with
the network's gradient as a feature map: with ``g(x; theta)`` the gradient of the network's
output in its parameters, ``m`` the width, and

    Z_t = lambda I + sum_{s <= t} g(x_s; theta_{s-1}) g(x_s; theta_{s-1})^T / m,

NeuralUCB pulls ``argmax_a f(x_a; theta) + gamma sqrt(g^T Z^{-1} g / m)`` and NeuralTS pulls
``argmax_a`` of a draw from ``N(f(x_a; theta), nu^2 lambda g^T Z^{-1} g / m)``.

``Z`` has one row per network parameter, thousands here, so it is kept *diagonal*: the
approximation the authors' public code runs both algorithms with (its ``--inv diag``), and
the usual one in practice. Updating and applying it then costs O(parameters) per arm.

The network is the papers' two-layer ReLU net ``f(x) = sqrt(m) w2^T relu(W1 x)`` on the
disjoint encoding of an arm, ``x_a`` = the context placed in arm ``a``'s block of a
``K * d`` vector (the disjoint encoding their experiments use): effectively one first layer
per arm and a shared output layer. Its initialisation follows Zhou et al.'s (``W1 ~ N(0, 4/m)``,
``w2 ~ N(0, 2/m)``, mirrored): the hidden units come in pairs with equal input weights and
opposite output weights, so ``f(x; theta_0) = 0``. For
this architecture ``g`` has a closed form, computed in numpy at each decision
(``gradient_features``; a test checks it against torch's autograd), and only training goes
through torch.

Training follows the papers' loss, ``sum_i (f(x_i; theta) - r_i)^2 / 2 +
m lambda ||theta - theta_0||^2 / 2``, divided by the number ``n`` of observations so that one
minibatch estimates it: each update takes ``steps`` Adam steps on the newest sample plus
``batch_size - 1`` replayed ones (the papers retrain on the whole history each round, which
costs O(t)).

``neucb-sq`` and ``neucb-kl`` (Deb, Ban, Zuo, He & Banerjee, ICLR 2024, "Contextual Bandits
with Online Neural Regression") plug an online neural regressor into inverse gap weighting,
SquareCB's (square loss) and FastCB's (KL / binary cross-entropy loss on sigmoid outputs)
respectively, and add a small random perturbation to the network's predictions, which is what
gives their analysis a unique minimiser and O(log T) regression regret. See ``NeuCB``.

torch is imported when an agent is built, never at import time, and each agent draws its
initial weights from a ``torch.Generator`` seeded from its own generator, so a seed fixes the
whole run. torch's thread count is a process-wide setting, so the agents leave it alone. The
networks are small, so threads buy nothing; on a small machine shared with other work they
contend, and a step can take several times longer: ``torch.set_num_threads(1)`` in the calling
program avoids that (the tests do so).

Defaults: ``lam = 0.01`` and ``gamma = nu = 0.1`` do well on small problems (the papers tune
both over grids); ``lam = 1`` pulls the network so hard towards its initialisation that it
learns little in a few thousand rounds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from decisiongym.agents.bandits.base import BanditAgent, register_agent
from decisiongym.agents.bandits.regression import (
    NeuralInverseGapAgent,
    draw_arms,
    import_torch,
)


class _GradientFeatureAgent(BanditAgent):
    """The network, the diagonal ``Z`` and the training loop shared by NeuralUCB and NeuralTS.

    :param n_arms: number of arms ``K``.
    :param dim: context dimension ``d``.
    :param seed: seed of the agent's generator (draws, replay and initial weights).
    :param width: number of hidden units ``m`` (even, >= 2).
    :param lam: ``lambda`` > 0, of ``Z_0 = lambda I`` and of the pull towards ``theta_0``.
    :param lr: Adam's learning rate.
    :param buffer_size: replay buffer capacity.
    :param batch_size: minibatch size (newest sample plus replayed ones).
    :param steps: Adam steps per observation.
    """

    def __init__(self, n_arms: int, dim: int = 1, seed: int | None = 0, width: int = 64,
                 lam: float = 0.01, lr: float = 1e-2, buffer_size: int = 2048,
                 batch_size: int = 32, steps: int = 1) -> None:
        if width < 2 or width % 2:
            raise ValueError(f"width must be an even number >= 2, got {width}")
        if lam <= 0 or lr <= 0:
            raise ValueError(f"lam and lr must be > 0, got {lam}, {lr}")
        if buffer_size < 1 or batch_size < 1 or steps < 1:
            raise ValueError("buffer_size, batch_size and steps must be >= 1")
        self.width = int(width)
        self.lam = float(lam)
        self.lr = float(lr)
        self.buffer_size = int(buffer_size)
        self.batch_size = int(batch_size)
        self.steps = int(steps)
        super().__init__(n_arms, dim, seed)

    def _reset_state(self) -> None:
        torch = import_torch()
        self.torch = torch
        m, k, d = self.width, self.n_arms, self.dim
        generator = torch.Generator().manual_seed(int(self.rng.integers(2**62)))
        # Zhou et al.'s initialisation: W1 ~ N(0, 4/m), w2 ~ N(0, 2/m), in mirrored pairs.
        w1_half = torch.randn(m // 2, k, d, generator=generator, dtype=torch.float64)
        w2_half = torch.randn(m // 2, generator=generator, dtype=torch.float64)
        w1 = torch.cat([w1_half, w1_half]) * math.sqrt(4.0 / m)
        w2 = torch.cat([w2_half, -w2_half]) * math.sqrt(2.0 / m)
        self.w1 = w1.clone().requires_grad_(True)
        self.w2 = w2.clone().requires_grad_(True)
        self.w1_init, self.w2_init = w1, w2
        self.optimizer = torch.optim.Adam([self.w1, self.w2], lr=self.lr)
        # numpy views share the parameters' memory, so they follow every optimiser step.
        self._w1 = self.w1.detach().numpy()
        self._w2 = self.w2.detach().numpy()
        self.z_w1 = np.full((m, k, d), self.lam)
        self.z_w2 = np.full(m, self.lam)
        self.contexts = np.zeros((self.buffer_size, d))
        self.arms = np.zeros(self.buffer_size, dtype=np.int64)
        self.rewards = np.zeros(self.buffer_size)
        self.size = 0
        self.next = 0
        self.n_seen = 0

    def _context(self, context: Any) -> np.ndarray:
        x = np.asarray(context, dtype=np.float64)
        if x.shape != (self.dim,):
            raise ValueError(f"context must have shape ({self.dim},), got {x.shape}")
        return x

    def gradient_features(self, context: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Network output and ``g / sqrt(m)`` of every arm for ``context``.

        :returns: ``f`` ``(K,)``; the W1 part of ``g / sqrt(m)`` as ``(K, m, d)`` (arm ``a``'s
            block only: the other blocks are zero); the w2 part ``(K, m)``.
        """
        x = self._context(context)
        pre = np.einsum("jad,d->aj", self._w1, x)
        hidden = np.maximum(pre, 0.0)
        f = math.sqrt(self.width) * hidden @ self._w2
        # d f / d w2 = sqrt(m) relu(pre); d f / d W1[:, a] = sqrt(m) (w2 * 1[pre > 0]) x^T
        g_w1 = ((pre > 0) * self._w2)[:, :, None] * x[None, None, :]
        return f, g_w1, hidden

    def mean_and_width(self, context: Any) -> tuple[np.ndarray, np.ndarray]:
        """``f(x_a; theta)`` and ``sqrt(g^T Z^{-1} g / m)`` of every arm, with diagonal ``Z``."""
        f, g_w1, g_w2 = self.gradient_features(context)
        z_w1 = np.moveaxis(self.z_w1, 1, 0)  # (K, m, d): arm a's block of Z
        quad = (g_w1**2 / z_w1).sum(axis=(1, 2)) + (g_w2**2 / self.z_w2).sum(axis=1)
        return f, np.sqrt(quad)

    def _scores(self, context: Any) -> np.ndarray:
        raise NotImplementedError

    def act(self, context: Any) -> int:
        return int(np.argmax(self._scores(context)))

    def update(self, context: Any, arm: int, reward: float) -> None:
        x = self._context(context)
        arm = int(arm)
        if not 0 <= arm < self.n_arms:
            raise ValueError(f"arm must be in [0, {self.n_arms}), got {arm}")
        # Z_t adds the gradient at theta_{t-1}, before this sample trains the network.
        _, g_w1, g_w2 = self.gradient_features(x)
        self.z_w1[:, arm, :] += g_w1[arm] ** 2
        self.z_w2 += g_w2[arm] ** 2
        slot = self.next
        self.contexts[slot], self.arms[slot], self.rewards[slot] = x, arm, float(reward)
        self.next = (slot + 1) % self.buffer_size
        self.size = min(self.size + 1, self.buffer_size)
        self.n_seen += 1
        for _ in range(self.steps):
            self._train_step(slot)

    def _train_step(self, newest: int) -> None:
        torch = self.torch
        replayed = self.rng.integers(self.size, size=min(self.batch_size, self.size) - 1)
        rows = np.concatenate(([newest], replayed))
        x = torch.from_numpy(self.contexts[rows])
        arms = torch.from_numpy(self.arms[rows])
        r = torch.from_numpy(self.rewards[rows])
        pre = torch.einsum("jbd,bd->bj", self.w1[:, arms, :], x)
        f = math.sqrt(self.width) * torch.relu(pre) @ self.w2
        square = 0.5 * ((f - r) ** 2).mean()
        drift = ((self.w1 - self.w1_init) ** 2).sum() + ((self.w2 - self.w2_init) ** 2).sum()
        loss = square + self.width * self.lam * drift / (2.0 * self.n_seen)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()


@register_agent("neuralucb")
class NeuralUCB(_GradientFeatureAgent):
    """NeuralUCB (Zhou, Li & Gu, 2020, Algorithm 1) with a diagonal ``Z``.

    Pulls ``argmax_a f(x_a; theta) + gamma sqrt(g^T Z^{-1} g / m)``; ties go to the lowest
    index, so given its initial weights the agent is deterministic.

    :param n_arms: number of arms ``K``.
    :param dim: context dimension ``d``.
    :param seed: seed of the agent's generator (replay and initial weights).
    :param gamma: width of the confidence bonus, >= 0.
    :param width: hidden units ``m``.
    :param lam: ``lambda`` of ``Z_0`` and of the regulariser.
    :param lr: Adam's learning rate.
    :param buffer_size: replay buffer capacity.
    :param batch_size: minibatch size.
    :param steps: Adam steps per observation.
    """

    name = "neuralucb"

    def __init__(self, n_arms: int, dim: int = 1, seed: int | None = 0, gamma: float = 0.1,
                 width: int = 64, lam: float = 0.01, lr: float = 1e-2, buffer_size: int = 2048,
                 batch_size: int = 32, steps: int = 1) -> None:
        if gamma < 0:
            raise ValueError(f"gamma must be >= 0, got {gamma}")
        self.gamma = float(gamma)
        super().__init__(n_arms, dim, seed, width, lam, lr, buffer_size, batch_size, steps)

    def _scores(self, context: Any) -> np.ndarray:
        f, width = self.mean_and_width(context)
        return f + self.gamma * width

    def act_batch(self, contexts: Any) -> np.ndarray:
        return np.array([self.act(c) for c in contexts], dtype=np.int64)


@register_agent("neuralts")
class NeuralTS(_GradientFeatureAgent):
    """NeuralTS (Zhang, Zhou, Li & Gu, 2021, Algorithm 1) with a diagonal ``Z``.

    Draws ``r~_a ~ N(f(x_a; theta), nu^2 lambda g^T Z^{-1} g / m)`` for every arm and pulls
    the largest draw.

    :param n_arms: number of arms ``K``.
    :param dim: context dimension ``d``.
    :param seed: seed of the agent's generator (draws, replay and initial weights).
    :param nu: scale of the posterior draws, >= 0.
    :param width: hidden units ``m``.
    :param lam: ``lambda`` of ``Z_0`` and of the regulariser.
    :param lr: Adam's learning rate.
    :param buffer_size: replay buffer capacity.
    :param batch_size: minibatch size.
    :param steps: Adam steps per observation.
    """

    name = "neuralts"

    def __init__(self, n_arms: int, dim: int = 1, seed: int | None = 0, nu: float = 0.1,
                 width: int = 64, lam: float = 0.01, lr: float = 1e-2, buffer_size: int = 2048,
                 batch_size: int = 32, steps: int = 1) -> None:
        if nu < 0:
            raise ValueError(f"nu must be >= 0, got {nu}")
        self.nu = float(nu)
        super().__init__(n_arms, dim, seed, width, lam, lr, buffer_size, batch_size, steps)

    def _scores(self, context: Any, noise: np.ndarray | None = None) -> np.ndarray:
        f, width = self.mean_and_width(context)
        if noise is None:
            noise = self.rng.standard_normal(self.n_arms)
        return f + self.nu * math.sqrt(self.lam) * width * noise

    def act_batch(self, contexts: Any) -> np.ndarray:
        # Row-major draws consume the generator exactly as the same number of act() calls.
        noise = self.rng.standard_normal((len(contexts), self.n_arms))
        return np.array([np.argmax(self._scores(c, z)) for c, z in zip(contexts, noise)],
                        dtype=np.int64)


class NeuCB(NeuralInverseGapAgent):
    """NeuCB (Deb, Ban, Zuo, He & Banerjee, ICLR 2024): perturbed online neural regression.

    Each round, in the order of the paper's algorithm:

    1. predict every arm with a perturbed network,
       ``f~(x, a) = f(x, a; theta_t) + c_p eps_{t,a}``, ``eps_{t,a} ~ N(0, 1)`` drawn afresh
       (for the KL version the perturbation is added to the logit, so ``f~`` stays in (0, 1));
    2. weight the arms by inverse gap weighting of the perturbed predictions: SquareCB's
       (``neucb-sq``) or FastCB's first-order rule (``neucb-kl``);
    3. draw ``a_t`` and observe ``r_t``;
    4. take an online gradient step on the loss of the *perturbed* prediction of the pulled
       arm, ``l(r_t, f~(x_t, a_t))``: square loss, or KL (binary cross-entropy) loss.

    The perturbation ``c_p eps`` of each observation is stored with it, so replayed samples
    keep theirs. Its form (a Gaussian of scale ``c_p`` per arm and round, shared by the
    decision and the loss) and the default ``c_p`` are our choices; the paper asks only that it
    be small and random. The network is an MLP with a shared trunk and one output per arm
    (a per-arm head), trained as ``MLPOracle`` describes.

    :param n_arms: number of arms ``K``.
    :param dim: context dimension ``d``.
    :param seed: seed of the agent's generator (perturbations, draws, replay, weights).
    :param perturbation: ``c_p`` >= 0, the scale of the perturbation.
    :param gamma_scale: ``gamma_t = gamma_scale * t ** gamma_exponent`` (default 10).
    :param gamma_exponent: exponent of the schedule (default 0.5).
    :param hidden: hidden layer widths of the MLP.
    :param lr: Adam's learning rate.
    :param buffer_size: replay buffer capacity.
    :param batch_size: minibatch size (newest sample plus replayed ones).
    :param steps: Adam steps per observation.
    """

    def __init__(self, n_arms: int, dim: int = 1, seed: int | None = 0,
                 perturbation: float = 0.05, gamma_scale: float = 10.0,
                 gamma_exponent: float = 0.5, hidden: Sequence[int] = (64,), lr: float = 1e-2,
                 buffer_size: int = 2048, batch_size: int = 32, steps: int = 1) -> None:
        if perturbation < 0:
            raise ValueError(f"perturbation must be >= 0, got {perturbation}")
        self.perturbation = float(perturbation)
        super().__init__(n_arms, dim, seed, gamma_scale, gamma_exponent, hidden, lr,
                         buffer_size, batch_size, steps)

    def _reset_state(self) -> None:
        super()._reset_state()
        self._acted_contexts = np.zeros((0, self.dim))
        self._acted_offsets = np.zeros((0, self.n_arms))

    def _perturbed_probabilities(self, xs: np.ndarray) -> np.ndarray:
        offsets = self.perturbation * self.rng.standard_normal((xs.shape[0], self.n_arms))
        self._acted_contexts, self._acted_offsets = xs.copy(), offsets
        return self._weights(self.oracle.predict(xs, offsets))

    def act(self, context: Any) -> int:
        probs = self._perturbed_probabilities(self._contexts(context))
        return int(draw_arms(probs, np.array([self.rng.random()]))[0])

    def act_batch(self, contexts: Any) -> np.ndarray:
        probs = self._perturbed_probabilities(self._contexts(contexts))
        return draw_arms(probs, self.rng.random((probs.shape[0],)))

    def _learn(self, context: np.ndarray, arm: int, reward: float) -> None:
        # The loss sees the perturbation the last decision (or batch) on this context saw; a
        # context never acted on gets a fresh one.
        match = np.flatnonzero((self._acted_contexts == context).all(axis=1))
        if match.size:
            offset = float(self._acted_offsets[match[0], arm])
        else:
            offset = self.perturbation * float(self.rng.standard_normal())
        self.oracle.update(context, arm, reward, self.rng, offset)


@register_agent("neucb-sq")
class NeuCBSquare(NeuCB):
    """NeuCB with square loss and SquareCB's inverse gap weighting (``NeuSquareCB``)."""

    name = "neucb-sq"
    loss = "squared"


@register_agent("neucb-kl")
class NeuCBKL(NeuCB):
    """NeuCB with KL loss on sigmoid outputs and FastCB's weighting (``NeuFastCB``).

    Rewards must lie in [0, 1].
    """

    name = "neucb-kl"
    loss = "log"
    first_order = True
    needs_unit_rewards = True
