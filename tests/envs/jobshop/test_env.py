"""Tests of ``decisiongym/JobShop-v0``: the API checkers, episodes, rewards, invalid actions,
rendering, instance swaps, the native vector env and a short MaskablePPO run."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import pytest

import decisiongym  # noqa: F401  (registers the ids)
from decisiongym.envs.core.errors import InvalidActionError
from decisiongym.envs.jobshop.catalog import load_instance
from decisiongym.envs.jobshop.env import JobShopEnv
from decisiongym.envs.jobshop.generator import RandomInstanceGenerator
from decisiongym.envs.jobshop.solution import validate

ENV_ID = "decisiongym/JobShop-v0"
SCHEMES = ("insertion", "non-delay", "active")
Obs = dict[str, np.ndarray]
Policy = Callable[[Obs], int]

# Checker warnings about the observation layout only: SB3 guesses "image" from a 3-D shape and
# suggests flattening, which MultiInputPolicy does anyway (float32 boxes are never treated as
# images), and the unbounded Box tops are deliberate (times are scaled, not capped).
BENIGN_WARNINGS = (
    "maximum value is infinity",
    "unconventional shape",
    "is an image but",
    "minimal resolution for an image",
    "Treating image space as channels-last",
)


def small_generator() -> RandomInstanceGenerator:
    return RandomInstanceGenerator(n_jobs=(3, 6), n_machines=(3, 5))


def first_legal(obs: Obs) -> int:
    return int(np.flatnonzero(obs["action_mask"])[0])


def random_legal(rng: np.random.Generator) -> Policy:
    return lambda obs: int(rng.choice(np.flatnonzero(obs["action_mask"])))


def spt(obs: Obs) -> int:
    legal = np.flatnonzero(obs["action_mask"])
    # argmin returns the first minimum: lowest job index on ties, as the kernel's rule does.
    return int(legal[np.argmin(obs["jobs"][legal, 1])])


def rollout(env: gym.Env, policy: Policy, seed: int | None = 0) -> tuple[int, float, dict]:
    """Play one episode; return (steps, return, final info)."""
    obs, info = env.reset(seed=seed)
    steps, total, done = 0, 0.0, False
    while not done:
        obs, reward, terminated, truncated, info = env.step(policy(obs))
        steps += 1
        total += reward
        done = terminated or truncated
    return steps, total, info


def unexpected(caught: list[warnings.WarningMessage]) -> list[str]:
    # Library deprecations say nothing about this env; only the checkers' findings count.
    messages = [str(w.message) for w in caught
                if not issubclass(w.category, (DeprecationWarning, FutureWarning))]
    return [m for m in messages if not any(b in m for b in BENIGN_WARNINGS)]


# -- API checkers ------------------------------------------------------------------------------
# The checkers step with action_space.sample(), blind to the mask: every case penalizes illegal
# actions, except ft06 under insertion, where every real job is legal for the first steps.
CHECKED = [
    pytest.param("ft06", s, "penalize", id=f"ft06-{s}") for s in SCHEMES
] + [
    pytest.param("generator", "insertion", "penalize", id="generator"),
    pytest.param("ft06", "insertion", "raise", id="ft06-insertion-raise"),
]


@pytest.mark.parametrize(("instance", "scheme", "invalid_action"), CHECKED)
def test_gymnasium_and_sb3_checkers_pass(instance: str, scheme: str, invalid_action: str) -> None:
    from gymnasium.utils.env_checker import check_env as gym_check_env
    from stable_baselines3.common.env_checker import check_env as sb3_check_env

    source = small_generator() if instance == "generator" else instance
    env = gym.make(ENV_ID, instance=source, scheme=scheme, invalid_action=invalid_action)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gym_check_env(env.unwrapped, skip_render_check=True)
        sb3_check_env(env, warn=True)
    assert unexpected(caught) == []


# -- registration ------------------------------------------------------------------------------
def test_make_by_id_after_import() -> None:
    env = gym.make(ENV_ID, instance="ta01")
    assert isinstance(env.unwrapped, JobShopEnv)
    obs, _ = env.reset(seed=0)
    assert env.unwrapped.instance is not None and env.unwrapped.instance.name == "ta01"
    assert env.action_space == gym.spaces.Discrete(15)
    assert env.observation_space.contains(obs)


def test_make_with_module_prefix_and_async_vector_in_fresh_process(tmp_path: Path) -> None:
    script = tmp_path / "fresh.py"
    script.write_text(textwrap.dedent("""
        import sys

        import gymnasium as gym
        import numpy as np

        ENV = "decisiongym:decisiongym/JobShop-v0"

        if __name__ == "__main__":
            assert "decisiongym" not in sys.modules
            env = gym.make(ENV, instance="ft06")
            obs, _ = env.reset(seed=0)
            assert obs["action_mask"].shape == (6,)
            envs = gym.vector.AsyncVectorEnv([lambda: gym.make(ENV, instance="ft06")] * 2)
            obs, _ = envs.reset(seed=0)
            obs, rewards, terminated, truncated, _ = envs.step(np.array([0, 1]))
            envs.close()
            assert obs["action_mask"].shape == (2, 6)
            assert rewards.shape == (2,) and not terminated.any() and not truncated.any()
            print("ok", obs["operations"][:, :, 0, 3].sum(axis=1).tolist())
    """))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    # Each sub-env scheduled exactly one operation: its job's first one is flagged scheduled.
    assert done.stdout.strip() == "ok [1.0, 1.0]"


# -- episodes and rewards ----------------------------------------------------------------------
@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("reward", ["lb-decrease", "sparse"])
def test_first_legal_episode_is_complete_and_valid(scheme: str, reward: str) -> None:
    env = gym.make(ENV_ID, instance="ft06", scheme=scheme, reward=reward)
    _, reset_info = env.reset(seed=0)
    steps, total, info = rollout(env, first_legal)
    instance = load_instance("ft06")
    assert steps == instance.n_jobs * instance.n_ops
    schedule = info["schedule"]
    assert validate(instance, schedule) == schedule.makespan == info["makespan"]
    assert info["makespan"] >= instance.lower_bound
    if reward == "lb-decrease":
        assert reset_info["initial_lower_bound"] == info["initial_lower_bound"]
        assert total == pytest.approx(info["initial_lower_bound"] - info["makespan"])
    else:
        assert total == -info["makespan"]


@pytest.mark.parametrize("scheme", SCHEMES)
def test_first_legal_makespan_matches_the_reference_dispatcher(scheme: str) -> None:
    from reference_sim import ReferenceSim

    reference = ReferenceSim(load_instance("ft06"), scheme)
    while legal := reference.legal_jobs():
        reference.dispatch(legal[0])
    env = gym.make(ENV_ID, instance="ft06", scheme=scheme)
    info = rollout(env, first_legal)[2]
    assert info["makespan"] == reference.makespan
    assert info["schedule"].start.tolist() == reference.start


def test_non_delay_spt_through_the_env_matches_the_rule() -> None:
    from decisiongym.baselines.jobshop.dispatching import solve_rule

    env = gym.make(ENV_ID, instance="ta01", scheme="non-delay")
    steps, _, info = rollout(env, spt)
    assert steps == 225
    assert info["makespan"] == 1462 == solve_rule(load_instance("ta01"), "spt").makespan
    assert np.array_equal(info["schedule"].start,
                          solve_rule(load_instance("ta01"), "spt").schedule.start)


# -- determinism -------------------------------------------------------------------------------
def test_generator_reset_with_the_same_seed_is_identical() -> None:
    env = gym.make(ENV_ID, instance=small_generator())
    first, _ = env.reset(seed=3)
    name = env.unwrapped.instance.name
    second, _ = env.reset(seed=3)
    assert env.unwrapped.instance.name == name
    for key in first:
        assert np.array_equal(first[key], second[key]), key
    other, _ = gym.make(ENV_ID, instance=small_generator()).reset(seed=3)
    assert all(np.array_equal(first[k], other[k]) for k in first)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_seeded_random_rollouts_repeat(scheme: str) -> None:
    makespans = []
    for _ in range(2):
        env = gym.make(ENV_ID, instance=small_generator(), scheme=scheme)
        episodes = [rollout(env, random_legal(np.random.default_rng(s)), seed=s)[2]["makespan"]
                    for s in range(3)]
        makespans.append(episodes)
    assert makespans[0] == makespans[1]


# -- invalid actions ---------------------------------------------------------------------------
def masked_job(obs: Obs) -> int | None:
    """An unfinished job that the scheme does not allow now, if any."""
    blocked = np.flatnonzero((obs["jobs"][:, 0] > 0) & (obs["action_mask"] == 0))
    return int(blocked[0]) if blocked.size else None


def reach_masked_state(env: gym.Env) -> tuple[Obs, int]:
    """Reset ft06 and dispatch first-legal jobs until some unfinished job is masked."""
    obs, _ = env.reset(seed=0)
    while (job := masked_job(obs)) is None:
        obs = env.step(first_legal(obs))[0]
    return obs, job


def test_masked_job_raises_naming_the_job() -> None:
    env = gym.make(ENV_ID, instance="ft06", scheme="non-delay", invalid_action="raise")
    _, job = reach_masked_state(env)
    with pytest.raises(InvalidActionError, match=rf"job {job} may not be dispatched") as err:
        env.step(job)
    assert err.value.action == job
    assert "legal jobs are" in str(err.value)


@pytest.mark.parametrize("action", [6, -1, 100])
def test_out_of_range_action_raises(action: int) -> None:
    env = gym.make(ENV_ID, instance="ft06", invalid_action="raise")
    env.reset(seed=0)
    with pytest.raises(InvalidActionError, match=r"integer in \[0, 6\)"):
        env.step(action)


@pytest.mark.parametrize("action", [1.5, "two", None, [0, 1]])
def test_non_integer_action_raises(action: Any) -> None:
    env = gym.make(ENV_ID, instance="ft06", invalid_action="raise")
    env.reset(seed=0)
    with pytest.raises(InvalidActionError):
        env.step(action)


def test_finished_job_raises() -> None:
    env = gym.make(ENV_ID, instance="ft06", scheme="insertion", invalid_action="raise")
    env.reset(seed=0)
    for _ in range(6):
        env.step(0)
    with pytest.raises(InvalidActionError, match="job 0 has no operation left"):
        env.step(0)


def test_padding_job_raises() -> None:
    env = gym.make(ENV_ID, instance="ft06", max_jobs=8, max_machines=6, invalid_action="raise")
    env.reset(seed=0)
    with pytest.raises(InvalidActionError, match="job 7 is padding"):
        env.step(7)


def test_penalize_leaves_the_state_and_truncates() -> None:
    env = gym.make(ENV_ID, instance="ft06", scheme="non-delay", invalid_action="penalize")
    obs, job = reach_masked_state(env)
    scheduled = int((obs["operations"][..., 3] > 0).sum())
    instance = load_instance("ft06")
    for count in range(1, instance.n_operations + 1):
        after, reward, terminated, truncated, info = env.step(job)
        assert reward == -float(instance.durations.max())
        assert f"job {job}" in info["invalid_action"]
        assert all(np.array_equal(obs[k], after[k]) for k in obs)
        assert info["scheduled"] == scheduled and not terminated
        assert truncated == (count == instance.n_operations)
    # Out-of-range actions are penalized too, with a custom penalty.
    env = gym.make(ENV_ID, instance="ft06", invalid_action="penalize", invalid_action_penalty=3)
    obs, _ = env.reset(seed=0)
    after, reward, _, truncated, info = env.step(9)
    assert reward == -3.0 and not truncated and "invalid_action" in info
    assert all(np.array_equal(obs[k], after[k]) for k in obs)


def test_illegal_actions_are_penalized_by_default() -> None:
    env = gym.make(ENV_ID, instance="ft06")
    obs, _ = env.reset(seed=0)
    after, reward, terminated, truncated, info = env.step(9)
    assert reward == -float(load_instance("ft06").durations.max())
    assert not terminated and not truncated and "integer in [0, 6)" in info["invalid_action"]
    assert all(np.array_equal(obs[k], after[k]) for k in obs)


def test_bad_constructor_arguments_raise() -> None:
    for kwargs in ({"scheme": "greedy"}, {"reward": "dense"}, {"invalid_action": "ignore"},
                   {"render_mode": "human"}):
        with pytest.raises(ValueError):
            JobShopEnv("ft06", **kwargs)
    with pytest.raises(RuntimeError, match="reset"):
        JobShopEnv("ft06").step(0)


# -- observations ------------------------------------------------------------------------------
@pytest.mark.parametrize("scheme", SCHEMES)
def test_observation_in_space_and_mask_matches(scheme: str) -> None:
    env = gym.make(ENV_ID, instance=small_generator(), scheme=scheme)
    policy = random_legal(np.random.default_rng(1))
    for seed in range(2):
        obs, _ = env.reset(seed=seed)
        done = False
        while not done:
            assert env.observation_space.contains(obs)
            mask = env.unwrapped.action_masks()
            assert mask.dtype == np.bool_ and np.array_equal(mask, obs["action_mask"] == 1)
            assert mask.any()
            obs, _, done, _, _ = env.step(policy(obs))
        assert env.observation_space.contains(obs)
        assert not obs["action_mask"].any()


# -- rendering ---------------------------------------------------------------------------------
def test_render_ansi_names_every_machine() -> None:
    env = gym.make(ENV_ID, instance="ft06", render_mode="ansi")
    rollout(env, first_legal)
    text = env.render()
    assert isinstance(text, str)
    for m in range(6):
        assert f"\nM{m} |" in text
    assert "36/36 operations" in text


def test_render_rgb_array() -> None:
    env = gym.make(ENV_ID, instance="ft06", render_mode="rgb_array")
    env.reset(seed=0)
    env.step(0)
    image = env.render()
    assert isinstance(image, np.ndarray)
    assert image.ndim == 3 and image.shape[2] == 3 and image.dtype == np.uint8
    assert image.min() < image.max()


def test_render_without_mode_returns_none() -> None:
    env = gym.make(ENV_ID, instance="ft06")
    env.reset(seed=0)
    assert env.render() is None


# -- instance swaps ----------------------------------------------------------------------------
def test_reset_option_swaps_the_instance() -> None:
    env = gym.make(ENV_ID, instance="ta01")
    obs, _ = env.reset(seed=0, options={"instance": "ft06"})
    assert env.unwrapped.instance.name == "ft06"
    assert env.observation_space.contains(obs)
    assert np.array_equal(np.flatnonzero(obs["action_mask"]), np.arange(6))
    done, info = False, {}
    while not done:
        obs, _, done, _, info = env.step(first_legal(obs))
    assert validate(load_instance("ft06"), info["schedule"]) == info["makespan"]
    env.reset(seed=0)
    assert env.unwrapped.instance.name == "ta01"
    env.reset(options={"instance": load_instance("ft06")})
    assert env.unwrapped.instance.name == "ft06"


def test_too_large_instance_raises() -> None:
    env = gym.make(ENV_ID, instance="ft06")
    with pytest.raises(ValueError, match="exceeds the observation size"):
        env.reset(options={"instance": "ta01"})
    with pytest.raises(ValueError, match="exceeds the observation size"):
        JobShopEnv(instance=small_generator()).reset(options={"instance": "ta01"})
    with pytest.raises(ValueError, match="needs max_jobs and max_machines"):
        JobShopEnv(instance=lambda rng: load_instance("ft06"))


# -- the native vector env ---------------------------------------------------------------------
def make_vec(num_envs: int = 4, **kwargs: Any) -> gym.vector.VectorEnv:
    return gym.make_vec(ENV_ID, num_envs=num_envs, vectorization_mode="vector_entry_point",
                        **kwargs)


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("reward", ["lb-decrease", "sparse"])
def test_vector_env_matches_single_envs(scheme: str, reward: str) -> None:
    envs = make_vec(instance="ft06", scheme=scheme, reward=reward)
    assert envs.metadata["autoreset_mode"] == gym.vector.AutoresetMode.NEXT_STEP
    singles = [gym.make(ENV_ID, instance="ft06", scheme=scheme, reward=reward) for _ in range(4)]
    obs, _ = envs.reset(seed=0)
    reset_obs = obs
    single_obs = [env.reset(seed=0)[0] for env in singles]
    rng = np.random.default_rng(7)
    for step in range(36):
        for k in obs:
            assert np.array_equal(obs[k], np.stack([o[k] for o in single_obs])), (k, step)
        assert np.array_equal(envs.unwrapped.action_masks(), obs["action_mask"] == 1)
        actions = [int(rng.choice(np.flatnonzero(o["action_mask"]))) for o in single_obs]
        obs, rewards, terminated, truncated, info = envs.step(np.array(actions))
        results = [env.step(a) for env, a in zip(singles, actions)]
        single_obs = [r[0] for r in results]
        assert np.array_equal(rewards, [r[1] for r in results])
        assert np.array_equal(terminated, [r[2] for r in results])
        assert not truncated.any()
        assert np.array_equal(info["makespan"], [r[4]["makespan"] for r in results])
    assert terminated.all()
    instance = load_instance("ft06")
    for i, result in enumerate(results):
        schedule = envs.unwrapped.schedule(i)
        assert np.array_equal(schedule.start, result[4]["schedule"].start)
        assert validate(instance, schedule) == info["makespan"][i]
    # NEXT_STEP autoreset: the step after termination resets and ignores the action.
    obs, rewards, terminated, truncated, info = envs.step(np.zeros(4, np.int64))
    assert not terminated.any() and not truncated.any()
    assert np.array_equal(rewards, np.zeros(4))
    assert np.array_equal(info["makespan"], np.zeros(4))
    for k in obs:
        assert np.array_equal(obs[k], reset_obs[k]), k


def test_vector_env_autoresets_each_sub_env_with_generator() -> None:
    envs = make_vec(instance=small_generator(), scheme="non-delay")
    obs, info = envs.reset(seed=1)
    vec = envs.unwrapped
    names = [vec.schedule(i).instance.name for i in range(4)]
    assert len(set(names)) > 1
    start_bound = info["lower_bound"].copy()
    returns = np.zeros(4)
    resetting = np.zeros(4, np.bool_)
    finished = [0] * 4
    for _ in range(200):
        actions = [0 if resetting[i] else first_legal({"action_mask": obs["action_mask"][i]})
                   for i in range(4)]
        obs, rewards, terminated, _, info = envs.step(np.array(actions))
        assert envs.single_observation_space.contains({k: v[0] for k, v in obs.items()})
        for i in range(4):
            if resetting[i]:
                assert rewards[i] == 0 and not terminated[i] and info["makespan"][i] == 0
                start_bound[i], returns[i] = info["lower_bound"][i], 0.0
                continue
            returns[i] += rewards[i]
            if terminated[i]:
                schedule = vec.schedule(i)
                assert validate(schedule.instance, schedule) == info["makespan"][i]
                assert returns[i] == start_bound[i] - info["makespan"][i]
                finished[i] += 1
        resetting = terminated.copy()
    assert min(finished) >= 2
    # Sub-envs drew new instances when they reset.
    assert [vec.schedule(i).instance.name for i in range(4)] != names


def test_vector_env_illegal_action_names_the_sub_env() -> None:
    envs = make_vec(instance="ft06", scheme="non-delay")
    obs, _ = envs.reset(seed=0)
    # Every sub-env plays ft06 identically, so they all reach a masked state together.
    while (job := masked_job({k: v[2] for k, v in obs.items()})) is None:
        obs = envs.step(np.array([first_legal({"action_mask": m})
                                  for m in obs["action_mask"]]))[0]
    actions = np.array([first_legal({"action_mask": m}) for m in obs["action_mask"]])
    actions[2] = job
    with pytest.raises(InvalidActionError, match=rf"sub-environment 2: job {actions[2]}"):
        envs.step(actions)
    with pytest.raises(InvalidActionError, match="sub-environment 1: job 6"):
        envs.step(np.array([actions[0], 6, actions[0], actions[0]]))
    with pytest.raises(InvalidActionError, match="expected 4 actions"):
        envs.step(np.zeros(3, np.int64))


# -- learning ----------------------------------------------------------------------------------
def test_maskable_ppo_learns_and_rolls_out_a_valid_schedule() -> None:
    from sb3_contrib import MaskablePPO

    env = gym.make(ENV_ID, instance="ft06")
    model = MaskablePPO("MultiInputPolicy", env, n_steps=64, batch_size=32, seed=0,
                        device="cpu")
    model.learn(256)
    assert model.num_timesteps >= 256
    # The wrappers gym.make adds do not forward attributes; read the mask through them.
    action_masks = env.get_wrapper_attr("action_masks")
    obs, _ = env.reset(seed=0)
    done, steps, info = False, 0, {}
    while not done:
        action, _ = model.predict(obs, action_masks=action_masks(), deterministic=True)
        obs, _, done, _, info = env.step(int(action))
        steps += 1
    assert steps == 36
    assert validate(load_instance("ft06"), info["schedule"]) == info["makespan"]


def test_class_docstring_example_runs() -> None:
    import doctest

    from decisiongym.envs.jobshop import env as env_module

    result = doctest.testmod(env_module)
    assert result.attempted > 0
    assert result.failed == 0
