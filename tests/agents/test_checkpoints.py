"""Agent checkpoints: each kind reads only its own files, with typed errors, and a failed write
leaves the previous file whole."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from decisiongym.agents.checkpoints import read_checkpoint, write_checkpoint
from decisiongym.agents.jobshop.network import DispatchNetwork, NetworkConfig
from decisiongym.agents.soc.config import PolicyConfig
from decisiongym.agents.soc.policy import SoCPolicy
from decisiongym.cli import main
from decisiongym.envs.core.errors import CheckpointError


def test_soc_policy_round_trip(tmp_path: Path) -> None:
    policy = SoCPolicy(PolicyConfig(embed_dim=8, hidden_dim=16, message_rounds=2))
    policy.save(tmp_path / "policy.pt")
    loaded = SoCPolicy.load(tmp_path / "policy.pt")
    assert loaded.config == policy.config
    for key, value in policy.state_dict().items():
        assert torch.equal(value, loaded.state_dict()[key])
    assert not (tmp_path / "policy.pt.partial").exists()


def test_each_agent_refuses_the_others_checkpoint(tmp_path: Path) -> None:
    SoCPolicy(PolicyConfig(embed_dim=8)).save(tmp_path / "soc.pt")
    DispatchNetwork(NetworkConfig(embed_dim=8, op_dim=4, hidden_dim=16)).save(tmp_path / "js.pt")
    with pytest.raises(CheckpointError, match="not a job-shop dispatching checkpoint"):
        DispatchNetwork.load(tmp_path / "soc.pt")
    with pytest.raises(CheckpointError,
                       match="not a SoC policy checkpoint .format field 'decisiongym-jobshop"):
        SoCPolicy.load(tmp_path / "js.pt")


def test_unreadable_missing_and_newer_files(tmp_path: Path) -> None:
    (tmp_path / "junk.pt").write_bytes(b"garbage")
    with pytest.raises(CheckpointError, match="junk.pt: not a readable torch checkpoint"):
        SoCPolicy.load(tmp_path / "junk.pt")
    with pytest.raises(FileNotFoundError, match="no SoC policy checkpoint at"):
        SoCPolicy.load(tmp_path / "missing.pt")
    write_checkpoint(tmp_path / "v2.pt", "decisiongym-soc-policy", 2, {})
    with pytest.raises(CheckpointError, match="version 2, this library reads version 1"):
        SoCPolicy.load(tmp_path / "v2.pt")


def test_a_config_or_weights_that_do_not_fit_are_refused(tmp_path: Path) -> None:
    state = SoCPolicy(PolicyConfig(embed_dim=8)).state_dict()
    cases = {
        "unknown": ({"width": 3}, state, "config.width is not a setting of a SoC policy"),
        "text": ({"embed_dim": "8"}, state, "config.embed_dim = '8' is not of type int"),
        # refused from the shapes alone: nothing of that size is ever allocated
        "huge": ({"embed_dim": 10**12}, state, "weights do not fit the SoC policy its config "
                 "describes .*expected shape .*1000000000000"),
        "missing": ({"embed_dim": 8}, {}, "weights do not fit"),
        "no weights": ({"embed_dim": 8}, [1, 2], "without a state_dict"),
    }
    for name, (config, weights, message) in cases.items():
        write_checkpoint(tmp_path / f"{name}.pt", "decisiongym-soc-policy", 1,
                         {"config": config, "state_dict": weights})
        with pytest.raises(CheckpointError, match=message):
            SoCPolicy.load(tmp_path / f"{name}.pt")
    network = DispatchNetwork(NetworkConfig(embed_dim=8, op_dim=4, hidden_dim=16))
    network.save(tmp_path / "js.pt")
    content = torch.load(tmp_path / "js.pt", weights_only=True)
    torch.save({**content, "metadata": [1, 2]}, tmp_path / "js.pt")
    with pytest.raises(CheckpointError, match="its metadata is a list, expected a dict"):
        DispatchNetwork.load(tmp_path / "js.pt")


def test_a_failed_write_keeps_the_previous_file(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "agent.pt"
    write_checkpoint(path, "kind", 1, {"weights": torch.ones(3)})

    def full_disk(obj: object, target: object) -> None:
        Path(str(target)).write_bytes(b"half a fi")
        raise OSError("No space left on device")

    monkeypatch.setattr(torch, "save", full_disk)
    with pytest.raises(OSError, match="No space left"):
        write_checkpoint(path, "kind", 1, {"weights": torch.zeros(3)})
    monkeypatch.undo()
    assert torch.equal(read_checkpoint(path, "kind", 1, "test")["weights"], torch.ones(3))
    assert [p.name for p in tmp_path.iterdir()] == ["agent.pt"]  # no temporary left


def test_simulate_soc_with_a_bad_checkpoint_exits_2(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "junk.pt").write_bytes(b"garbage")
    code = main(["simulate", "soc", "--scheduler", "learned", "--checkpoint",
                 str(tmp_path / "junk.pt"), "--rate", "5", "--jobs", "10"])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.startswith("decisiongym: error: ") and "not a readable torch checkpoint" in err
