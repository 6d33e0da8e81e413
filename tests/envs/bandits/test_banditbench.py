"""BanditBench's task instances: each task's arms come from its own FullBench seed by
BanditBench's rule (pinned here by hand and with literal numbers), Video and Clothes twins are
different instances, and a reset changes the reward noise but never the arms."""

from __future__ import annotations

import numpy as np
import pytest

from decisiongym.envs.bandits.banditbench import (
    TASK_SEEDS,
    TRIALS,
    bernoulli_means,
    gaussian_means,
    trial_seeds,
)
from decisiongym.envs.bandits.mab import MAB_CONFIGS, MultiArmedBanditEnv
from decisiongym.envs.core.errors import InputError

# FullBench numbers its tasks 1, 2, ... over K in (5, 20), then the scenario, then the
# difficulty; the Bernoulli and the Gaussian task of a step share the number as their seed.
FULLBENCH_SEEDS = {
    (5, "video", "easy"): 1, (5, "video", "hard"): 2,
    (5, "clothes", "easy"): 3, (5, "clothes", "hard"): 4,
    (20, "video", "easy"): 5, (20, "video", "hard"): 6,
    (20, "clothes", "easy"): 7, (20, "clothes", "hard"): 8,
}

# The best arm of each task's instance (the index of the 0.5 + gap/2 arm; the largest mean).
BEST_ARMS = {
    "bernoulli-easy-k5-video": 0, "bernoulli-hard-k5-video": 1,
    "bernoulli-easy-k5-clothes": 0, "bernoulli-hard-k5-clothes": 1,
    "bernoulli-easy-k20-video": 6, "bernoulli-hard-k20-video": 5,
    "bernoulli-easy-k20-clothes": 15, "bernoulli-hard-k20-clothes": 12,
    "gaussian-easy-k5-video": 0, "gaussian-hard-k5-video": 1,
    "gaussian-easy-k5-clothes": 4, "gaussian-hard-k5-clothes": 0,
    "gaussian-easy-k20-video": 0, "gaussian-hard-k20-video": 19,
    "gaussian-easy-k20-clothes": 11, "gaussian-hard-k20-clothes": 4,
}


def by_hand_bernoulli(n_arms: int, gap: float, seed: int) -> list[float]:
    """BanditBench's rule written out: K-1 low means then the high one, shuffled in place."""
    means = [0.5 - gap / 2] * (n_arms - 1) + [0.5 + gap / 2]
    np.random.default_rng(seed).shuffle(means)
    return means


def by_hand_gaussian(n_arms: int, sigma: float, seed: int) -> list[float]:
    """BanditBench's rule written out: (mean, sigma) pairs drawn one by one, then shuffled by a
    fresh generator of the same seed."""
    draw = np.random.default_rng(seed)
    pairs = [(draw.normal(0, sigma), sigma) for _ in range(n_arms)]
    np.random.default_rng(seed).shuffle(pairs)
    return [float(mean) for mean, _ in pairs]


def test_task_seeds_follow_fullbench_numbering() -> None:
    assert FULLBENCH_SEEDS == TASK_SEEDS
    for name, config in MAB_CONFIGS.items():
        assert config.instance_seed == FULLBENCH_SEEDS[(config.n_arms, config.domain,
                                                        config.difficulty)], name


def test_a_bernoulli_task_has_banditbench_means_for_its_seed() -> None:
    env = MultiArmedBanditEnv("bernoulli-hard-k20-clothes")  # FullBench task 8
    expected = [0.4] * 20
    expected[12] = 0.6
    assert env.means.tolist() == expected == by_hand_bernoulli(20, 0.2, 8)
    assert env.reset(seed=0)[1]["expected_rewards"].tolist() == expected
    easy = MultiArmedBanditEnv("bernoulli-easy-k5-video")  # task 1: the high arm lands first
    assert easy.means.tolist() == [0.75, 0.25, 0.25, 0.25, 0.25] == by_hand_bernoulli(5, 0.5, 1)


def test_a_gaussian_task_has_banditbench_means_for_its_seed() -> None:
    hard = MultiArmedBanditEnv("gaussian-hard-k5-video")  # FullBench task 2
    expected = [-1.2391906301756803, 5.399122148162706, -7.324402147919567,
                0.5671601453805992, -1.568245324442242]
    assert hard.means.tolist() == expected == by_hand_gaussian(5, 3.0, 2)
    easy = MultiArmedBanditEnv("gaussian-easy-k5-clothes")  # task 3
    assert easy.means.tolist() == [-0.45264929211044586, 0.41809884672577885,
                                   -2.5556650313141818, -0.5677696061279298,
                                   2.0409191213851825] == by_hand_gaussian(5, 1.0, 3)
    assert hard.config.reward_noise == 3.0 and easy.config.reward_noise == 1.0


@pytest.mark.parametrize("name", sorted(MAB_CONFIGS))
def test_every_task_is_banditbench_instance(name: str) -> None:
    config = MAB_CONFIGS[name]
    seed = FULLBENCH_SEEDS[(config.n_arms, config.domain, config.difficulty)]
    if config.distribution == "bernoulli":
        assert config.gap is not None
        expected = by_hand_bernoulli(config.n_arms, config.gap, seed)
    else:
        assert config.sigma is not None
        expected = by_hand_gaussian(config.n_arms, config.sigma, seed)
    env = MultiArmedBanditEnv(name)
    assert env.means.tolist() == expected
    assert env.reset(seed=123)[1]["best_arm"] == BEST_ARMS[name]


def test_video_and_clothes_differ_the_way_banditbench_twins_do() -> None:
    for name in MAB_CONFIGS:
        if not name.endswith("-video"):
            continue
        video = MultiArmedBanditEnv(name)
        clothes = MultiArmedBanditEnv(name.replace("-video", "-clothes"))
        # another seed: another instance, and other trials
        assert video.config.instance_seed != clothes.config.instance_seed
        assert set(video.trial_seeds()).isdisjoint(clothes.trial_seeds())
        assert video.arm_names[0] == "video 0" and clothes.arm_names[0] == "item 0"
        if video.config.distribution == "gaussian":
            assert not np.array_equal(video.means, clothes.means), name
    # A Bernoulli task has one high arm among K: the twins' seeds may put it on the same arm
    # (K = 5, easy: arm 0 for seeds 1 and 3) or not (K = 20, easy: arms 6 and 15).
    same = MultiArmedBanditEnv("bernoulli-easy-k5-video"), MultiArmedBanditEnv(
        "bernoulli-easy-k5-clothes")
    assert np.array_equal(same[0].means, same[1].means)
    twins = MultiArmedBanditEnv("bernoulli-easy-k20-video"), MultiArmedBanditEnv(
        "bernoulli-easy-k20-clothes")
    assert [int(env.means.argmax()) for env in twins] == [6, 15]


def test_reset_keeps_the_arms_and_reseeds_only_the_rewards() -> None:
    for name in ("bernoulli-hard-k5-video", "gaussian-hard-k20-clothes"):
        env = MultiArmedBanditEnv(name, horizon=50)
        instance = env.means
        rewards = []
        for seed in (0, 1, 2):
            _, info = env.reset(seed=seed)
            assert np.array_equal(info["expected_rewards"], instance)
            rewards.append([env.step(arm % env.n_arms)[1] for arm in range(50)])
            assert np.array_equal(env.means, instance)
        assert rewards[0] != rewards[1] != rewards[2] != rewards[0]


def test_a_reset_seed_gives_the_rewards_of_banditbench_trial_with_that_seed() -> None:
    """BanditBench reseeds its reward generator with default_rng(trial seed) and draws
    ``uniform(0, 1) < p`` (Bernoulli) or ``normal(mean, sigma)`` (Gaussian) per pull."""
    arms = np.random.default_rng(5).integers(0, 5, 100).tolist()
    for name in ("bernoulli-hard-k5-clothes", "gaussian-hard-k5-video"):
        env = MultiArmedBanditEnv(name)
        seed = env.trial_seeds()[3]
        env.reset(seed=seed)
        ours = [env.step(arm)[1] for arm in arms]
        noise = np.random.default_rng(seed)
        means, sigma = env.means, env.config.sigma
        if sigma is None:
            theirs = [1.0 if noise.uniform(0, 1) < means[arm] else 0.0 for arm in arms]
        else:
            theirs = [float(noise.normal(means[arm], sigma)) for arm in arms]
        assert ours == theirs


def test_trial_seeds_are_randomstate_draws_of_the_task_seed() -> None:
    assert TRIALS == 20
    assert trial_seeds(1)[:3] == (1791095845, 4282876139, 3093770124)
    assert trial_seeds(2)[:3] == (1872583848, 794921487, 111352301)
    expected = np.random.RandomState(4).randint(0, 2**32 - 1, size=20)
    assert trial_seeds(4) == tuple(int(s) for s in expected)
    assert trial_seeds(4, 30)[:20] == trial_seeds(4)  # more trials extend the 20
    env = MultiArmedBanditEnv("gaussian-hard-k5-clothes")
    assert env.trial_seeds() == trial_seeds(4) and len(env.trial_seeds(3)) == 3


def test_redraw_keeps_the_former_behaviour() -> None:
    redraw = MultiArmedBanditEnv("bernoulli-easy-k5-video", instance="redraw")
    rng = np.random.default_rng(7)  # Gymnasium's np_random for seed 7
    best = int(rng.integers(5))
    assert redraw.reset(seed=7)[1]["best_arm"] == best
    gauss = MultiArmedBanditEnv("gaussian-hard-k5-video", instance="redraw")
    means = np.random.default_rng(7).normal(0.0, 3.0, 5)
    assert np.array_equal(gauss.reset(seed=7)[1]["expected_rewards"], means)
    assert not np.array_equal(gauss.reset(seed=8)[1]["expected_rewards"], means)


def test_domain_selects_the_scenario_task_and_new_arms_leave_the_instance() -> None:
    twin = MultiArmedBanditEnv("gaussian-hard-k5-video", domain="clothes")
    assert twin.config == MAB_CONFIGS["gaussian-hard-k5-clothes"]
    assert twin.means.tolist() == by_hand_gaussian(5, 3.0, 4)
    short = MultiArmedBanditEnv("gaussian-hard-k5-video", horizon=20, noise=1.0)
    assert short.means.tolist() == by_hand_gaussian(5, 3.0, 2)  # same arms, other noise
    custom = MultiArmedBanditEnv(distribution="gaussian", n_arms=7, sigma=2.0)
    assert (custom.instance, custom.config.instance_seed) == ("redraw", None)
    seeded = MultiArmedBanditEnv(distribution="gaussian", n_arms=7, sigma=2.0, instance_seed=42)
    assert seeded.instance == "fixed"
    assert seeded.means.tolist() == by_hand_gaussian(7, 2.0, 42)
    assert np.array_equal(seeded.means, gaussian_means(7, 2.0, 42))
    assert bernoulli_means(3, 0.4, 0).tolist() == by_hand_bernoulli(3, 0.4, 0)


@pytest.mark.parametrize("kwargs, field", [
    ({"instance": "sometimes"}, "instance"),
    ({"distribution": "gaussian", "sigma": 2.0, "instance": "fixed"}, "instance"),
    ({"means": [0.2, 0.4], "instance": "redraw"}, "instance"),
    ({"instance_seed": -1}, "instance_seed"),
    ({"instance_seed": 1.5}, "instance_seed"),
    ({"means": [0.2, 0.4], "instance_seed": 3}, "instance_seed"),
])
def test_bad_instance_arguments_raise_an_input_error_naming_them(kwargs: dict,
                                                                  field: str) -> None:
    with pytest.raises(InputError) as caught:
        MultiArmedBanditEnv(**kwargs)
    assert caught.value.field == field


def test_trial_seeds_need_a_seeded_instance() -> None:
    with pytest.raises(InputError, match="instance"):
        MultiArmedBanditEnv("bernoulli-easy-k5-video", instance="redraw").trial_seeds()
    with pytest.raises(InputError, match="n_trials"):
        trial_seeds(1, 0)
