"""Training writes its policy whole or not at all, and refuses an output path it could not
write before it trains."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import torch

from decisiongym.agents.soc.training import TrainConfig, train
from decisiongym.envs.core.errors import OutputPathError

SMALL = TrainConfig(rate_jobs_per_ms=20.0, n_jobs=12, imitation_episodes=0, pg_episodes=0,
                    eval_episodes=1)


def test_an_output_that_cannot_be_written_is_refused_before_training(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import decisiongym.agents.soc.training as training

    monkeypatch.setattr(training, "_train", lambda *a: pytest.fail("training started"))
    (tmp_path / "a_file").write_text("")
    with pytest.raises(OutputPathError, match="is a folder; give a file name"):
        train(replace(SMALL, out=str(tmp_path)), progress=False)
    with pytest.raises(OutputPathError, match="is a file, not a folder"):
        train(replace(SMALL, out=str(tmp_path / "p.pt"),
                      checkpoint_dir=str(tmp_path / "a_file")), progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file"]


def test_a_failed_write_leaves_no_partial_file(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "runs" / "policy.pt"

    def full_disk(obj: object, target: object) -> None:
        Path(str(target)).write_bytes(b"half a fi")
        raise OSError("No space left on device")

    monkeypatch.setattr(torch, "save", full_disk)
    with pytest.raises(OSError, match="No space left"):
        train(replace(SMALL, out=str(out)), progress=False)
    assert list(tmp_path.iterdir()) == []  # neither the file, a temporary, nor its folder
