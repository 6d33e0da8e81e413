"""Malformed PPO resume checkpoints (the SB3 model archive and the reward statistics beside it):
a :class:`CheckpointError` naming the file, or a model ready to train on the run's envs."""

from __future__ import annotations

import io
import json
import math
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from fuzz_harness import (
    FUZZ_SETTINGS,
    MUST_LOAD,
    Case,
    byte_mutations,
    run_case,
    tree_mutations,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from decisiongym.agents.jobshop.network import NetworkConfig
from decisiongym.agents.jobshop.ppo import PPOConfig, make_vec_env
from decisiongym.agents.jobshop.ppo_checkpoint import (
    STATISTICS_FORMAT,
    read_resumable,
    statistics_path,
    write_resumable,
)

NETWORK = NetworkConfig(embed_dim=8, op_dim=4, hidden_dim=8)
CONFIG = PPOConfig(n_envs=2, min_size=(4, 3), max_size=(5, 4), network=NETWORK)
ARCHIVE_NAME = "model_000000016.zip"
STATISTICS_NAME = "vecnormalize_000000016.npz"


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """A fresh tiny model's archive and statistics, by file name."""
    from sb3_contrib import MaskablePPO

    from decisiongym.agents.jobshop.sb3_policy import DispatchActorCriticPolicy

    envs = make_vec_env(CONFIG)
    model = MaskablePPO(DispatchActorCriticPolicy, envs, n_steps=16, batch_size=16, seed=0,
                        policy_kwargs={"network_config": {"embed_dim": 8, "op_dim": 4,
                                                          "hidden_dim": 8}})
    envs.ret_rms.mean, envs.ret_rms.var, envs.ret_rms.count = (np.float64(2.5), np.float64(4.0),
                                                                9.0)
    archive = write_resumable(model, envs, tmp_path_factory.mktemp("ppo"), 16)
    return {ARCHIVE_NAME: archive.read_bytes(),
            STATISTICS_NAME: statistics_path(archive).read_bytes()}


def resume(path: Path) -> tuple[Any, Any]:
    envs = make_vec_env(CONFIG)
    return read_resumable(path, envs, NETWORK, 0.2, seed=0), envs


def check(resumed: tuple[Any, Any], path: Path) -> None:
    model, envs = resumed
    assert model.policy.network_config == NETWORK
    for tensor in model.policy.state_dict().values():
        assert torch.isfinite(tensor).all()
    statistics = envs.ret_rms
    assert np.isfinite(statistics.mean) and statistics.var >= 0 and statistics.count > 0
    assert 1 <= model.n_steps <= 10**7 and 1 <= model.batch_size <= 10**7
    assert math.isfinite(model.learning_rate) and model.learning_rate > 0
    assert 0 <= model.gamma <= 1 and 0 <= model.gae_lambda <= 1


def with_entries(archive: bytes, replace: dict[str, bytes | None]) -> bytes:
    """The archive with entries replaced (``None``: removed)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(archive)) as source, zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            content = replace.get(name, source.read(name))
            if content is not None:
                target.writestr(name, content)
        for name, content in replace.items():
            if name not in source.namelist() and content is not None:
                target.writestr(name, content)
    return out.getvalue()


def data_of(archive: bytes) -> dict[str, Any]:
    with zipfile.ZipFile(io.BytesIO(archive)) as source:
        return json.loads(source.read("data"))


def with_data(archive: bytes, **fields: Any) -> bytes:
    data = data_of(archive)
    for key, value in fields.items():
        if value is _DELETE:
            del data[key]
        else:
            data[key] = value
    return with_entries(archive, {"data": json.dumps(data).encode()})


_DELETE = object()


def statistics(**fields: Any) -> bytes:
    arrays = {"format": np.array(STATISTICS_FORMAT), "version": np.array(1),
              "return_mean": np.array(2.5), "return_var": np.array(4.0),
              "return_count": np.array(9.0)}
    arrays.update(fields)
    buffer = io.BytesIO()
    np.savez(buffer, **{k: v for k, v in arrays.items() if v is not None})
    return buffer.getvalue()


def torch_bytes(value: Any) -> bytes:
    buffer = io.BytesIO()
    torch.save(value, buffer)
    return buffer.getvalue()


BAD_SETTINGS: tuple[tuple[str, Any], ...] = (
    ("n_steps", 0), ("n_steps", -1), ("n_steps", 10**12), ("n_steps", 10**30),
    ("n_steps", math.nan), ("n_steps", "16"), ("n_steps", 16.0), ("batch_size", 0),
    ("batch_size", 10**12), ("n_epochs", 10**9), ("learning_rate", math.nan),
    ("learning_rate", math.inf), ("learning_rate", -1.0), ("learning_rate", 0.0),
    ("learning_rate", "fast"), ("gamma", 2.0), ("gamma", math.nan), ("gae_lambda", -1.0),
    ("ent_coef", math.inf), ("vf_coef", math.nan), ("max_grad_norm", math.nan),
    ("target_kl", -1.0), ("num_timesteps", -5), ("num_timesteps", 10**30), ("n_envs", 10**9),
    ("_stats_window_size", 0),
)
"""Settings of the archive's plain data no run could have."""


def archive_cases(valid: bytes) -> list[Case]:
    policy = torch.load(io.BytesIO(zipfile.ZipFile(io.BytesIO(valid)).read("policy.pth")),
                        weights_only=True)
    first = next(iter(policy))
    return [
        Case("the valid archive", valid, MUST_LOAD),
        Case("empty file", b"", "not a readable model archive"),
        Case("text", b"a model\n", "not a readable model archive"),
        Case("truncated", valid[: len(valid) // 2], "model archive"),
        Case("the last byte cut", valid[:-1], None),
        Case("no data entry", with_entries(valid, {"data": None}), "no 'data'"),
        Case("no policy.pth", with_entries(valid, {"policy.pth": None}), None),
        Case("no optimizer", with_entries(valid, {"policy.optimizer.pth": None}), None),
        Case("data not JSON", with_entries(valid, {"data": b"{not json"}), "not JSON"),
        Case("data not UTF-8", with_entries(valid, {"data": b"\xff\xfe{}"}), "not JSON"),
        Case("data a list", with_entries(valid, {"data": b"[1, 2]"}), "JSON list"),
        Case("data nested deep", with_entries(valid, {"data": b"[" * 100_000 + b"]" * 100_000}),
             None),
        Case("data of 17 MiB", with_entries(valid, {"data": b" " * (17 * 2**20) + b"{}"}),
             "over 16 MiB"),
        Case("policy.pth junk", with_entries(valid, {"policy.pth": b"junk"}), "policy.pth"),
        Case("policy.pth a weight NaN", with_entries(valid, {"policy.pth": torch_bytes(
            {**policy, first: torch.full_like(policy[first], math.nan)})}), None),
        Case("policy.pth a weight of another shape", with_entries(valid, {
            "policy.pth": torch_bytes({**policy, first: torch.zeros(3)})}), None),
        Case("policy.pth a weight missing", with_entries(valid, {
            "policy.pth": torch_bytes({k: v for k, v in policy.items() if k != first})}), None),
        Case("policy.pth a list", with_entries(valid, {"policy.pth": torch_bytes([1, 2])}),
             None),
        *(Case(f"{key} {value!r}", with_data(valid, **{key: value}), f"setting {key}")
          for key, value in BAD_SETTINGS),
        Case("no policy_kwargs", with_data(valid, policy_kwargs=_DELETE), "policy_kwargs"),
        Case("no observation_space", with_data(valid, observation_space=_DELETE), None),
        Case("an unknown pickled entry", with_data(valid, extra={":type:": "x",
                                                                 ":serialized:": "gAVOLg=="}),
             "entry 'extra'"),
        Case("a network size 10^9", with_data(valid, policy_kwargs={
            "network_config": {"embed_dim": 10**9, "op_dim": 4, "hidden_dim": 8}}), None),
        Case("a network scheme unknown", with_data(valid, policy_kwargs={
            "network_config": {"embed_dim": 8, "op_dim": 4, "hidden_dim": 8,
                               "scheme": "magic"}}), "unknown scheme"),
    ]


STATISTICS_CASES = [
    Case("the valid statistics", statistics(), MUST_LOAD),
    Case("empty statistics", b"", "reward-statistics"),
    Case("statistics truncated", statistics()[:100], "reward-statistics"),
    Case("statistics of another format", statistics(format=np.array("x")), "format field"),
    Case("statistics of version 2", statistics(version=np.array(2)), "version"),
    Case("statistics without the mean", statistics(return_mean=None), "return_mean"),
    Case("a NaN mean", statistics(return_mean=np.array(math.nan)), "return_mean"),
    Case("an infinite variance", statistics(return_var=np.array(math.inf)), "return_var"),
    Case("a negative variance", statistics(return_var=np.array(-1.0)), "return_var"),
    Case("a zero count", statistics(return_count=np.array(0.0)), "return_count"),
    Case("a count of integers", statistics(return_count=np.array(9)), "return_count"),
    Case("a mean per env", statistics(return_mean=np.zeros(2)), "return_mean"),
    Case("a mean of text", statistics(return_mean=np.array("2.5")), "return_mean"),
    Case("a one-array file", b"\x93NUMPY" + statistics()[6:200], "reward-statistics"),
]


ARCHIVE_CASES = 23 + len(BAD_SETTINGS)
"""How many :func:`archive_cases` makes (they need the archive, written by a fixture)."""


@pytest.mark.parametrize("index", range(ARCHIVE_CASES))
def test_hand_made_archives(index: int, written: dict[str, bytes]) -> None:
    cases = archive_cases(written[ARCHIVE_NAME])
    assert len(cases) == ARCHIVE_CASES
    case = cases[index]
    run_case("PPO resume archive", resume, case.data, ARCHIVE_NAME, case=case.name,
             expect=case.expect, check=check,
             beside={STATISTICS_NAME: written[STATISTICS_NAME]})


@pytest.mark.parametrize("case", STATISTICS_CASES, ids=[case.name for case in STATISTICS_CASES])
def test_hand_made_statistics(case: Case, written: dict[str, bytes]) -> None:
    run_case("PPO reward statistics", resume, written[ARCHIVE_NAME], ARCHIVE_NAME,
             case=case.name, expect=case.expect, check=check,
             beside={STATISTICS_NAME: case.data})


FEW = settings(FUZZ_SETTINGS, max_examples=25)


@FEW
@given(draw=st.data())
def test_mutated_archive_data(written: dict[str, bytes], draw: st.DataObject) -> None:
    archive = written[ARCHIVE_NAME]
    entry = draw.draw(tree_mutations(data_of(archive)))
    run_case("PPO resume archive", resume, with_entries(archive, {"data": entry}), ARCHIVE_NAME,
             check=check, beside={STATISTICS_NAME: written[STATISTICS_NAME]})


@FEW
@given(draw=st.data())
def test_mutated_archive_bytes(written: dict[str, bytes], draw: st.DataObject) -> None:
    data = draw.draw(byte_mutations(written[ARCHIVE_NAME]))
    run_case("PPO resume archive", resume, data, ARCHIVE_NAME, check=check,
             beside={STATISTICS_NAME: written[STATISTICS_NAME]})


@FUZZ_SETTINGS
@given(draw=st.data())
def test_mutated_statistics(written: dict[str, bytes], draw: st.DataObject) -> None:
    data = draw.draw(byte_mutations(written[STATISTICS_NAME]))
    run_case("PPO reward statistics", resume, written[ARCHIVE_NAME], ARCHIVE_NAME, check=check,
             beside={STATISTICS_NAME: data})


def test_enough_malformed_ppo_inputs(written: dict[str, bytes]) -> None:
    assert len(archive_cases(written[ARCHIVE_NAME])) + FEW.max_examples >= 50
    assert len(STATISTICS_CASES) + FUZZ_SETTINGS.max_examples >= 50
