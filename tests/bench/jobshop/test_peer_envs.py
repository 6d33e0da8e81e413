from __future__ import annotations

import sys
from pathlib import Path

import pytest

from decisiongym.bench.jobshop.peer_envs import (
    PeerRate,
    available_peers,
    measure_job_shop_lib,
    measure_jssenv,
)

FT06 = (
    "6 6\n"
    "2 1 0 3 1 6 3 7 5 3 4 6\n"
    "1 8 2 5 4 10 5 10 0 10 3 4\n"
    "2 5 3 4 5 8 0 9 1 1 4 7\n"
    "1 5 0 5 2 5 3 3 4 8 5 9\n"
    "2 9 1 3 4 5 5 4 0 3 3 1\n"
    "1 3 3 3 5 9 0 10 4 4 2 1\n"
)


@pytest.fixture
def ft06(tmp_path: Path) -> Path:
    path = tmp_path / "ft06.txt"
    path.write_text(FT06)
    return path


def test_available_peers_is_a_dict_of_versions() -> None:
    peers = available_peers()
    assert isinstance(peers, dict)
    assert set(peers) <= {"JSSEnv", "job-shop-lib"}
    assert all(isinstance(v, str) and v for v in peers.values())


def _check(rate: PeerRate, peer: str) -> None:
    assert rate.peer == peer
    assert rate.instance == "ft06"
    assert rate.steps_per_s > 0
    assert rate.episodes >= 1
    assert rate.seconds >= 0.3


def test_jssenv_step_rate(ft06: Path) -> None:
    pytest.importorskip("JSSEnv")
    _check(measure_jssenv(ft06, seconds=0.3, seed=0), "JSSEnv")


def test_job_shop_lib_step_rate(ft06: Path) -> None:
    pytest.importorskip("job_shop_lib")
    _check(measure_job_shop_lib(ft06, seconds=0.3, seed=0), "job-shop-lib")


def test_missing_peer_says_how_to_install(ft06: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "JSSEnv", None)
    monkeypatch.setitem(sys.modules, "JSSEnv.envs", None)
    monkeypatch.setitem(sys.modules, "job_shop_lib", None)
    with pytest.raises(ModuleNotFoundError, match=r"decisiongym\[peers\]"):
        measure_jssenv(ft06, seconds=0.01)
    with pytest.raises(ModuleNotFoundError, match=r"decisiongym\[peers\]"):
        measure_job_shop_lib(ft06, seconds=0.01)
