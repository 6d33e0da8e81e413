"""The bandit family, described once: its environment ids and its agent names.

Entry points are ``"module:Class"`` strings, imported only when an environment is made, so
``import decisiongym`` stays light. :data:`AGENT_NAMES` are the names
``decisiongym.agents.bandits.make_agent`` builds (a test holds the two together).
"""

from __future__ import annotations

from decisiongym.envs.core.family import EnvId, Family

_MAB = "decisiongym.envs.bandits.mab:MultiArmedBanditEnv"
_SYNTHETIC = "decisiongym.envs.bandits.synthetic:SyntheticContextualBanditEnv"
_CLASSIFICATION = "decisiongym.envs.bandits.classification:ClassificationBanditEnv"
_SOR = "decisiongym.envs.bandits.relax:SORRelaxationEnv"
_FAIRNESS = "decisiongym.envs.bandits.fairness:OneSidedFairnessEnv"

# Per difficulty: the Bernoulli arms, the Gaussian arms and the horizon, for the summaries.
_MAB_SETTINGS = {
    "easy": ("0.75 vs 0.25 (gap 0.5)", "means ~ N(0, 1), noise sd 1", 300),
    "hard": ("0.6 vs 0.4 (gap 0.2)", "means ~ N(0, 9), noise sd 3", 1000),
}


def _banditbench_ids() -> tuple[EnvId, ...]:
    """``MAB-<Dist>-<Easy|Hard>-K<5|20>-<Video|Clothes>``: ``-v1`` is BanditBench's fixed
    instance of the task, ``-Redraw-v0`` the same setting with new arms at every reset (the
    behaviour of the former ``-v0`` ids)."""
    ids = []
    for distribution in ("bernoulli", "gaussian"):
        for difficulty, (bernoulli, gaussian, horizon) in _MAB_SETTINGS.items():
            for n_arms in (5, 20):
                for domain in ("video", "clothes"):
                    config = f"{distribution}-{difficulty}-k{n_arms}-{domain}"
                    name = (f"decisiongym/MAB-{distribution.capitalize()}-"
                            f"{difficulty.capitalize()}-K{n_arms}-{domain.capitalize()}")
                    arms = bernoulli if distribution == "bernoulli" else gaussian
                    what = (f"{domain} scenario: {n_arms} {distribution.capitalize()} arms, "
                            f"{arms}, horizon {horizon}")
                    ids.append(EnvId(f"{name}-v1", _MAB,
                                     f"BanditBench's fixed task instance, {what}.",
                                     kwargs={"config": config, "instance": "fixed"}))
                    ids.append(EnvId(f"{name}-Redraw-v0", _MAB,
                                     f"BanditBench's setting, arms redrawn at every reset, "
                                     f"{what}.",
                                     kwargs={"config": config, "instance": "redraw"}))
    return tuple(ids)


AGENT_NAMES: tuple[str, ...] = (
    "epsilon-greedy", "ucb1", "ts-beta", "ts", "ts-gaussian", "tsallis-inf", "exp3",
    "linucb", "lints", "squarecb", "fastcb", "squarecb-nn", "fastcb-nn",
    "neuralucb", "neuralts", "neucb-sq", "neucb-kl", "chebcb", "exp2", "ftpl-semibandit",
)
"""Every bandit agent, by the name ``make_agent`` takes."""

FAMILY = Family(
    name="bandits",
    title="Contextual bandits",
    envs=(
        # BanditBench's 16 multi-armed tasks (decisiongym.envs.bandits.mab.MAB_CONFIGS), each
        # as BanditBench's fixed instance (-v1) and with its arms redrawn at every reset
        *_banditbench_ids(),
        # synthetic contextual bandits of the neural-bandit papers
        EnvId("decisiongym/ContextualBandit-Linear-v0", _SYNTHETIC,
              "Synthetic contextual bandit (unit-sphere context, 4 arms): reward x.theta_a + "
              "noise.",
              kwargs={"reward": "linear"}),
        EnvId("decisiongym/ContextualBandit-Quadratic-v0", _SYNTHETIC,
              "Synthetic contextual bandit (unit-sphere context, 4 arms): reward 10 "
              "(x.theta_a)^2 + noise.",
              kwargs={"reward": "quadratic"}),
        EnvId("decisiongym/ContextualBandit-Cosine-v0", _SYNTHETIC,
              "Synthetic contextual bandit (unit-sphere context, 4 arms): reward cos(3 "
              "x.theta_a) + noise.",
              kwargs={"reward": "cosine"}),
        # classification data sets as bandits: arm = class, reward 1 for the right class
        EnvId("decisiongym/ClassificationBandit-Digits-v0", _CLASSIFICATION,
              "Classification bandit on scikit-learn's bundled digits (1797 x 64, 10 arms).",
              kwargs={"dataset": "digits"}),
        EnvId("decisiongym/ClassificationBandit-Wine-v0", _CLASSIFICATION,
              "Classification bandit on scikit-learn's bundled wine (178 x 13, 3 arms).",
              kwargs={"dataset": "wine"}),
        EnvId("decisiongym/ClassificationBandit-Iris-v0", _CLASSIFICATION,
              "Classification bandit on scikit-learn's bundled iris (150 x 4, 3 arms).",
              kwargs={"dataset": "iris"}),
        EnvId("decisiongym/ClassificationBandit-BreastCancer-v0", _CLASSIFICATION,
              "Classification bandit on scikit-learn's bundled breast cancer (569 x 30, 2 "
              "arms).",
              kwargs={"dataset": "breast_cancer"}),
        EnvId("decisiongym/ClassificationBandit-v0", _CLASSIFICATION,
              "Classification bandit on any data: dataset= bundled name, CSV, .npy or .npz "
              "path."),
        # a solver parameter as a bandit (Learning to Relax)
        EnvId("decisiongym/SORRelaxation-High-v0", _SOR,
              "Choose SOR's omega for a sequence of shifted 10x10 Laplacian systems (high-"
              "variance shifts); cost = iterations to 1e-8.",
              kwargs={"family": "high"}),
        EnvId("decisiongym/SORRelaxation-Low-v0", _SOR,
              "Choose SOR's omega for a sequence of shifted 10x10 Laplacian systems (low-"
              "variance shifts); cost = iterations to 1e-8.",
              kwargs={"family": "low"}),
        # fair learning with one-sided feedback
        EnvId("decisiongym/OneSidedFairness-v0", _FAIRNESS,
              "Accept or reject k individuals a round; labels only for the accepted; a panel "
              "of auditors reports unfair pairs (accuracy regret and violations)."),
    ),
    baselines={"oracle": ("best-fixed-omega", "instance-optimal-omega")},
    agents=AGENT_NAMES,
)
"""Bandits load no instances and validate no solutions: an episode's record is the regret the
env measures from its own oracle (``info["regret"]``)."""
