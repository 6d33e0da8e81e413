"""Ids of the bandit environments, as plain data so that ``import decisiongym`` stays light.

Each entry is ``(id, entry_point, default kwargs, one-line description)``; the entry point is a
``"module:Class"`` string, imported only when the environment is made. Append new entries to
``BANDIT_ENVS``.
"""

from __future__ import annotations

from typing import Any

_MAB = "decisiongym.envs.bandits.mab:MultiArmedBanditEnv"
_SYNTHETIC = "decisiongym.envs.bandits.synthetic:SyntheticContextualBanditEnv"
_CLASSIFICATION = "decisiongym.envs.bandits.classification:ClassificationBanditEnv"

BANDIT_ENVS: tuple[tuple[str, str, dict[str, Any], str], ...] = (
    # BanditBench's 16 multi-armed tasks (decisiongym.envs.bandits.mab.MAB_CONFIGS)
    ("decisiongym/MAB-Bernoulli-Easy-K5-Video-v0", _MAB,
     {"config": "bernoulli-easy-k5-video"},
     "BanditBench, video scenario: 5 Bernoulli arms, 0.75 vs 0.25 (gap 0.5), horizon 300."),
    ("decisiongym/MAB-Bernoulli-Easy-K5-Clothes-v0", _MAB,
     {"config": "bernoulli-easy-k5-clothes"},
     "BanditBench, clothes scenario: 5 Bernoulli arms, 0.75 vs 0.25 (gap 0.5), horizon 300."),
    ("decisiongym/MAB-Bernoulli-Easy-K20-Video-v0", _MAB,
     {"config": "bernoulli-easy-k20-video"},
     "BanditBench, video scenario: 20 Bernoulli arms, 0.75 vs 0.25 (gap 0.5), horizon 300."),
    ("decisiongym/MAB-Bernoulli-Easy-K20-Clothes-v0", _MAB,
     {"config": "bernoulli-easy-k20-clothes"},
     "BanditBench, clothes scenario: 20 Bernoulli arms, 0.75 vs 0.25 (gap 0.5), horizon 300."),
    ("decisiongym/MAB-Bernoulli-Hard-K5-Video-v0", _MAB,
     {"config": "bernoulli-hard-k5-video"},
     "BanditBench, video scenario: 5 Bernoulli arms, 0.6 vs 0.4 (gap 0.2), horizon 1000."),
    ("decisiongym/MAB-Bernoulli-Hard-K5-Clothes-v0", _MAB,
     {"config": "bernoulli-hard-k5-clothes"},
     "BanditBench, clothes scenario: 5 Bernoulli arms, 0.6 vs 0.4 (gap 0.2), horizon 1000."),
    ("decisiongym/MAB-Bernoulli-Hard-K20-Video-v0", _MAB,
     {"config": "bernoulli-hard-k20-video"},
     "BanditBench, video scenario: 20 Bernoulli arms, 0.6 vs 0.4 (gap 0.2), horizon 1000."),
    ("decisiongym/MAB-Bernoulli-Hard-K20-Clothes-v0", _MAB,
     {"config": "bernoulli-hard-k20-clothes"},
     "BanditBench, clothes scenario: 20 Bernoulli arms, 0.6 vs 0.4 (gap 0.2), horizon 1000."),
    ("decisiongym/MAB-Gaussian-Easy-K5-Video-v0", _MAB,
     {"config": "gaussian-easy-k5-video"},
     "BanditBench, video scenario: 5 Gaussian arms, means ~ N(0, 1), noise sd 1, horizon 300."),
    ("decisiongym/MAB-Gaussian-Easy-K5-Clothes-v0", _MAB,
     {"config": "gaussian-easy-k5-clothes"},
     "BanditBench, clothes scenario: 5 Gaussian arms, means ~ N(0, 1), noise sd 1, horizon 300."),
    ("decisiongym/MAB-Gaussian-Easy-K20-Video-v0", _MAB,
     {"config": "gaussian-easy-k20-video"},
     "BanditBench, video scenario: 20 Gaussian arms, means ~ N(0, 1), noise sd 1, horizon 300."),
    ("decisiongym/MAB-Gaussian-Easy-K20-Clothes-v0", _MAB,
     {"config": "gaussian-easy-k20-clothes"},
     "BanditBench, clothes scenario: 20 Gaussian arms, means ~ N(0, 1), noise sd 1, horizon 300."),
    ("decisiongym/MAB-Gaussian-Hard-K5-Video-v0", _MAB,
     {"config": "gaussian-hard-k5-video"},
     "BanditBench, video scenario: 5 Gaussian arms, means ~ N(0, 9), noise sd 3, horizon 1000."),
    ("decisiongym/MAB-Gaussian-Hard-K5-Clothes-v0", _MAB,
     {"config": "gaussian-hard-k5-clothes"},
     "BanditBench, clothes scenario: 5 Gaussian arms, means ~ N(0, 9), noise sd 3, horizon 1000."),
    ("decisiongym/MAB-Gaussian-Hard-K20-Video-v0", _MAB,
     {"config": "gaussian-hard-k20-video"},
     "BanditBench, video scenario: 20 Gaussian arms, means ~ N(0, 9), noise sd 3, horizon 1000."),
    ("decisiongym/MAB-Gaussian-Hard-K20-Clothes-v0", _MAB,
     {"config": "gaussian-hard-k20-clothes"},
     "BanditBench, clothes scenario: 20 Gaussian arms, means ~ N(0, 9), noise sd 3, horizon 1000."),
    # synthetic contextual bandits of the neural-bandit papers
    ("decisiongym/ContextualBandit-Linear-v0", _SYNTHETIC,
     {"reward": "linear"},
     "Synthetic contextual bandit (unit-sphere context, 4 arms): reward x.theta_a + noise."),
    ("decisiongym/ContextualBandit-Quadratic-v0", _SYNTHETIC,
     {"reward": "quadratic"},
     "Synthetic contextual bandit (unit-sphere context, 4 arms): reward 10 (x.theta_a)^2 + noise."),
    ("decisiongym/ContextualBandit-Cosine-v0", _SYNTHETIC,
     {"reward": "cosine"},
     "Synthetic contextual bandit (unit-sphere context, 4 arms): reward cos(3 x.theta_a) + noise."),
    # classification data sets as bandits: arm = class, reward 1 for the right class
    ("decisiongym/ClassificationBandit-Digits-v0", _CLASSIFICATION,
     {"dataset": "digits"},
     "Classification bandit on scikit-learn's bundled digits (1797 x 64, 10 arms)."),
    ("decisiongym/ClassificationBandit-Wine-v0", _CLASSIFICATION,
     {"dataset": "wine"},
     "Classification bandit on scikit-learn's bundled wine (178 x 13, 3 arms)."),
    ("decisiongym/ClassificationBandit-Iris-v0", _CLASSIFICATION,
     {"dataset": "iris"},
     "Classification bandit on scikit-learn's bundled iris (150 x 4, 3 arms)."),
    ("decisiongym/ClassificationBandit-BreastCancer-v0", _CLASSIFICATION,
     {"dataset": "breast_cancer"},
     "Classification bandit on scikit-learn's bundled breast cancer (569 x 30, 2 arms)."),
    ("decisiongym/ClassificationBandit-v0", _CLASSIFICATION,
     {},
     "Classification bandit on any data: dataset= bundled name, CSV, .npy or .npz path."),
    # a solver parameter as a bandit (Learning to Relax)
    ("decisiongym/SORRelaxation-High-v0", "decisiongym.envs.bandits.relax:SORRelaxationEnv",
     {"family": "high"},
     "Choose SOR's omega for a sequence of shifted 10x10 Laplacian systems (high-variance "
     "shifts); cost = iterations to 1e-8."),
    ("decisiongym/SORRelaxation-Low-v0", "decisiongym.envs.bandits.relax:SORRelaxationEnv",
     {"family": "low"},
     "Choose SOR's omega for a sequence of shifted 10x10 Laplacian systems (low-variance "
     "shifts); cost = iterations to 1e-8."),
    # fair learning with one-sided feedback
    ("decisiongym/OneSidedFairness-v0", "decisiongym.envs.bandits.fairness:OneSidedFairnessEnv",
     {},
     "Accept or reject k individuals a round; labels only for the accepted; a panel of "
     "auditors reports unfair pairs (accuracy regret and violations)."),
)
