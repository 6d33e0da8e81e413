"""Tests of the classification bandits: bundled data sets, CSV / NumPy round trips, the error
for each kind of bad input, the oracle in ``info``, seeding, truncation and the ids."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from stable_baselines3.common.env_checker import check_env as sb3_check_env

import decisiongym  # noqa: F401  (registers the ids)
from decisiongym.envs.bandits.classification import (
    ClassificationBanditEnv,
    load_classification_data,
)
from decisiongym.envs.bandits.ids import FAMILY
from decisiongym.envs.core.errors import InstanceFormatError, InvalidActionError

BUNDLED = [  # name, arms, rows, features (scikit-learn's bundled sets)
    ("digits", 10, 1797, 64),
    ("wine", 3, 178, 13),
    ("iris", 3, 150, 4),
    ("breast_cancer", 2, 569, 30),
]


def small_data(rng: np.random.Generator, rows: int = 30) -> tuple[np.ndarray, np.ndarray]:
    features = rng.normal(size=(rows, 3)) * [1.0, 10.0, 0.1] + [0.0, 5.0, -2.0]
    labels = np.array(["cat", "ant", "bee"])[np.arange(rows) % 3]
    return features, labels


def standardized(features: np.ndarray) -> np.ndarray:
    return (features - features.mean(axis=0)) / features.std(axis=0)


@pytest.mark.parametrize("name, arms, rows, n_features", BUNDLED)
def test_every_bundled_data_set_loads_with_its_number_of_arms(
        name: str, arms: int, rows: int, n_features: int) -> None:
    env = ClassificationBanditEnv(name)
    assert (env.n_arms, env.n_samples, env.dim) == (arms, rows, n_features)
    assert env.features.shape == (rows, n_features) and len(env.class_names) == arms
    assert set(np.unique(env.labels)) == set(range(arms))
    varying = env.features.std(axis=0) > 0
    assert np.allclose(env.features.mean(axis=0), 0.0)
    assert np.allclose(env.features.std(axis=0)[varying], 1.0)


def test_bundled_class_names_are_the_target_names() -> None:
    assert ClassificationBanditEnv("iris").class_names == ("setosa", "versicolor", "virginica")
    assert ClassificationBanditEnv("digits").class_names == tuple(str(d) for d in range(10))
    assert ClassificationBanditEnv("breast-cancer").n_arms == 2  # the dashed spelling works


@pytest.mark.parametrize("dataset", ["iris", "digits"])
def test_gymnasium_and_sb3_checkers_pass_without_warnings(dataset: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(ClassificationBanditEnv(dataset), skip_render_check=True)
        sb3_check_env(ClassificationBanditEnv(dataset))


def test_oracle_is_the_label_of_the_row_shown() -> None:
    env = ClassificationBanditEnv("wine", horizon=300)
    obs, info = env.reset(seed=0)
    rng = np.random.default_rng(1)
    for _ in range(300):
        row = env.row
        label = int(env.labels[row])
        assert np.array_equal(obs, env.features[row])
        arm = int(rng.integers(env.n_arms))
        obs, reward, terminated, truncated, info = env.step(arm)
        assert info["best_arm"] == label
        assert np.array_equal(info["expected_rewards"], np.eye(3)[label])
        assert reward == float(arm == label)
        assert info["regret"] == (0.0 if arm == label else 1.0)
    assert truncated and not terminated


def test_rows_are_drawn_uniformly_with_replacement() -> None:
    env = ClassificationBanditEnv("iris", horizon=3000)
    env.reset(seed=2)
    rows = [env.row]
    for _ in range(2999):
        env.step(0)
        rows.append(env.row)
    # with replacement, rows repeat within one data set's worth of rounds (a permutation
    # would show each row once)
    assert len(set(rows[:150])) < 150
    assert np.bincount(env.labels[rows], minlength=3) / 3000 == pytest.approx([1 / 3] * 3,
                                                                              abs=0.04)


def test_same_seed_same_rows_and_another_seed_differs() -> None:
    def rows(seed: int) -> list[int]:
        env = ClassificationBanditEnv("digits", horizon=50)
        env.reset(seed=seed)
        seen = [env.row]
        for _ in range(50):
            env.step(0)
            seen.append(env.row)
        return seen

    assert rows(5) == rows(5)
    assert rows(5) != rows(6)


def test_truncated_exactly_at_the_horizon() -> None:
    env = ClassificationBanditEnv("iris", horizon=12)
    env.reset(seed=0)
    flags = [env.step(0)[2:4] for _ in range(12)]
    assert flags[:-1] == [(False, False)] * 11 and flags[-1] == (False, True)
    assert ClassificationBanditEnv("iris").horizon == 2000


def test_csv_round_trip(tmp_path: Path) -> None:
    features, labels = small_data(np.random.default_rng(0))
    path = tmp_path / "animals.csv"
    lines = ["x0,species,x1,x2"] + [",".join([repr(float(a)), str(y), repr(float(b)),
                                              repr(float(c))])
                                    for (a, b, c), y in zip(features, labels)]
    path.write_text("\n".join(lines) + "\n\n")  # trailing blank lines are not rows
    env = ClassificationBanditEnv(path, label="species")
    assert env.class_names == ("ant", "bee", "cat")
    assert env.labels.tolist() == [{"ant": 0, "bee": 1, "cat": 2}[y] for y in labels]
    assert np.allclose(env.features, standardized(features))
    assert env.source == str(path)


def test_csv_numeric_labels_sort_numerically(tmp_path: Path) -> None:
    path = tmp_path / "numbers.csv"
    path.write_text("f,label\n0.5,10\n1.5,2\n2.5,10\n3.5,2\n4.5,7\n")
    env = ClassificationBanditEnv(str(path))
    assert env.class_names == ("2", "7", "10")
    assert env.labels.tolist() == [2, 0, 2, 0, 1]


def test_npy_round_trip_with_a_label_column(tmp_path: Path) -> None:
    features, _ = small_data(np.random.default_rng(1))
    codes = np.arange(len(features)) % 4
    path = tmp_path / "table.npy"
    np.save(path, np.column_stack([features[:, :2], codes, features[:, 2]]))
    env = ClassificationBanditEnv(path, label=2)
    assert env.n_arms == 4 and env.labels.tolist() == codes.tolist()
    assert np.allclose(env.features, standardized(features))
    assert ClassificationBanditEnv(path, label=-2).labels.tolist() == codes.tolist()


def test_npz_round_trip_with_separate_arrays(tmp_path: Path) -> None:
    features, labels = small_data(np.random.default_rng(2))
    named = tmp_path / "named.npz"
    np.savez(named, features=features, target=labels, weights=np.ones(len(labels)))
    env = ClassificationBanditEnv(named, label="target")
    assert env.class_names == ("ant", "bee", "cat")
    assert np.allclose(env.features, standardized(features))
    pair = tmp_path / "pair.npz"
    np.savez(pair, X=features, y=(np.arange(len(labels)) % 2))
    assert ClassificationBanditEnv(pair, label="y").n_arms == 2


def test_in_memory_pair() -> None:
    features, labels = small_data(np.random.default_rng(3))
    data = load_classification_data((features, labels))
    assert data.class_names == ("ant", "bee", "cat") and data.source == "<memory>"
    assert np.array_equal(data.features, features)
    assert ClassificationBanditEnv((features, labels)).n_arms == 3


CSV_FAULTS = [  # file text, label, the pieces the message must hold
    ("a,b,c\n1,2,3\n4,5,6\n", "label", ["no label column 'label'", "'a', 'b', 'c'", "line 1"]),
    ("1,2,3\n4,5,6\n", "label", ["header row", "line 1"]),
    ("f1,f2,label\n1,2,x\n3,,y\n4,5,x\n", "label", ["line 3", "'f2'", "missing value"]),
    ("f1,f2,label\n1,2,x\n3,4,y\n5,NaN,x\n", "label", ["line 4", "'f2'", "NaN"]),
    ("f1,f2,label\n1,2,x\n3,4,\n", "label", ["line 3", "'label'", "missing"]),
    ("f1,f2,label\n1,2,x\n3,4,x\n", "label", ["only one class", "(x)", "'label'"]),
    ("f1,f2,label\n1,2,x\n3,abc,y\n", "label", ["line 3", "non-numeric", "'abc'", "'f2'"]),
    ("f1,f2,label\n1,inf,x\n3,4,y\n", "label", ["line 2", "infinite", "'f2'"]),
    ("label\nx\ny\n", "label", ["no feature columns"]),
    ("", "label", ["empty"]),
]


@pytest.mark.parametrize("text, label, pieces", CSV_FAULTS)
def test_each_bad_csv_raises_naming_the_file_and_the_fault(
        tmp_path: Path, text: str, label: str, pieces: list[str]) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(InstanceFormatError) as caught:
        ClassificationBanditEnv(path, label=label)
    message = str(caught.value)
    assert message.startswith(str(path))
    assert caught.value.file == str(path)
    for piece in pieces:
        assert piece in message, (piece, message)


def test_bad_numpy_files_raise_naming_the_file_row_and_column(tmp_path: Path) -> None:
    table = np.array([[1.0, 2.0, 0.0], [3.0, np.nan, 1.0], [5.0, 6.0, 1.0]])
    nan_file = tmp_path / "nan.npy"
    np.save(nan_file, table)
    with pytest.raises(InstanceFormatError, match=re.escape(f"{nan_file}: row 1, column 1")):
        ClassificationBanditEnv(nan_file, label=2)
    with pytest.raises(InstanceFormatError, match="label=<column index>"):
        ClassificationBanditEnv(nan_file)
    with pytest.raises(InstanceFormatError, match="out of range.*3 columns"):
        ClassificationBanditEnv(nan_file, label=3)
    single = tmp_path / "single.npy"
    np.save(single, np.array([[1.0, 4.0], [2.0, 4.0]]))
    with pytest.raises(InstanceFormatError, match=r"single.npy: only one class \(4\)"):
        ClassificationBanditEnv(single, label=1)
    text = tmp_path / "text.npz"
    np.savez(text, features=np.array([["1", "2"], ["3", "x"]]), label=np.array([0, 1]))
    with pytest.raises(InstanceFormatError,
                       match=r"text.npz: row 1, column 1 of array 'features': non-numeric.*'x'"):
        ClassificationBanditEnv(text)
    missing = tmp_path / "missing.npz"
    np.savez(missing, X=np.ones((2, 2)), y=np.array([0, 1]))
    with pytest.raises(InstanceFormatError, match="no label array 'label'.*'X', 'y'"):
        ClassificationBanditEnv(missing)
    garbage = tmp_path / "garbage.npy"
    garbage.write_text("not numpy")
    with pytest.raises(InstanceFormatError, match="garbage.npy"):
        ClassificationBanditEnv(garbage, label=0)


def test_bad_in_memory_data_raises_a_plain_value_error() -> None:
    with pytest.raises(ValueError, match="row 1, column 0: missing value") as caught:
        ClassificationBanditEnv((np.array([[1.0], [np.nan]]), np.array([0, 1])))
    assert not isinstance(caught.value, InstanceFormatError)
    with pytest.raises(ValueError, match="2 labels for 3 feature rows"):
        ClassificationBanditEnv((np.ones((3, 2)), np.array([0, 1])))


def test_unknown_names_and_missing_files_raise(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown data set 'mnist'"):
        ClassificationBanditEnv("mnist")
    with pytest.raises(FileNotFoundError, match="nowhere.csv"):
        ClassificationBanditEnv(tmp_path / "nowhere.csv")


@pytest.mark.parametrize("action", [3, -1, 0.5])
def test_an_invalid_action_raises(action: object) -> None:
    env = ClassificationBanditEnv("iris")
    env.reset(seed=0)
    with pytest.raises(InvalidActionError):
        env.step(action)


def test_ids_are_registered(tmp_path: Path) -> None:
    ids = {"Digits": 10, "Wine": 3, "Iris": 3, "BreastCancer": 2}
    for name, arms in ids.items():
        env = gym.make(f"decisiongym/ClassificationBandit-{name}-v0")
        unwrapped = env.unwrapped
        assert isinstance(unwrapped, ClassificationBanditEnv) and unwrapped.n_arms == arms
        env.close()
    path = tmp_path / "two.csv"
    path.write_text("f,label\n1,a\n2,b\n3,a\n")
    env = gym.make("decisiongym/ClassificationBandit-v0", dataset=str(path))
    unwrapped = env.unwrapped
    assert isinstance(unwrapped, ClassificationBanditEnv)
    assert unwrapped.class_names == ("a", "b")
    env.close()
    registered = {env.id for env in FAMILY.envs}
    assert {f"decisiongym/ClassificationBandit-{name}-v0" for name in ids} <= registered
