"""Tests of the Open Bandit Dataset reader and writer on logs the simulator writes in the same
layout: round trips, the encodings, located errors and atomic writes."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pytest

from decisiongym.envs.core.errors import InstanceFormatError
from decisiongym.envs.offline import obd_csv
from decisiongym.envs.offline.logged_bandit import LoggedBanditData
from decisiongym.envs.offline.obd_csv import format_obd_csv, read_obd, write_obd_csv
from decisiongym.envs.offline.synthetic_bandit_log import SyntheticLogger

OBD_HEADER = (
    ",timestamp,item_id,position,click,propensity_score,"
    "user_feature_0,user_feature_1,user_feature_2,user_feature_3,"
)


@pytest.fixture(scope="module")
def log() -> LoggedBanditData:
    return SyntheticLogger(6, 5, reward="logistic", logging_policy="softmax", beta=2.0,
                           seed=3).sample(400)


def written(tmp_path: Path, data: LoggedBanditData, name: str = "all") -> Path:
    folder = tmp_path / name
    folder.mkdir()
    return write_obd_csv(data, folder)


def rewrite_cell(path: Path, row: int, column: str, value: str) -> None:
    """Replace one cell of a CSV written by ``write_obd_csv`` (row 0 is the first data row)."""
    lines = path.read_text().splitlines()
    header = lines[0].split(",")
    fields = lines[row + 1].split(",")
    fields[header.index(column)] = value
    lines[row + 1] = ",".join(fields)
    path.write_text("\n".join(lines) + "\n")


# -- round trip ------------------------------------------------------------------------------


def test_simulated_log_reads_back_exactly(tmp_path: Path, log: LoggedBanditData) -> None:
    path = written(tmp_path, log)
    assert path == tmp_path / "all" / "all.csv"
    assert (tmp_path / "all" / "item_context.csv").is_file()
    back = read_obd(tmp_path / "all", user_features="drop")
    assert np.array_equal(back.contexts, log.contexts)
    assert np.array_equal(back.actions, log.actions)
    assert np.array_equal(back.rewards, log.rewards)
    assert np.array_equal(back.propensities, log.propensities)
    assert np.array_equal(back.positions, log.positions)
    assert np.array_equal(back.timestamps, log.timestamps)
    assert np.array_equal(back.user_features, log.user_features)
    assert back.n_actions == 6
    assert np.array_equal(back.action_context, np.eye(6))
    assert back.feature_names == tuple(f"user-item_affinity_{j}" for j in range(5))
    # Real logs carry no truth.
    assert back.expected_rewards is None and back.logging_probabilities is None


def test_written_file_has_the_obd_header_and_one_based_positions(
    tmp_path: Path, log: LoggedBanditData
) -> None:
    lines = written(tmp_path, log).read_text().splitlines()
    assert lines[0] == OBD_HEADER + ",".join(f"user-item_affinity_{j}" for j in range(5))
    assert len(lines) == log.n_rounds + 1
    first = lines[1].split(",")
    assert first[0] == "0"
    assert first[1] == "2019-11-24 00:00:00.000000+00:00"
    assert first[3] == "1"
    assert len(first[6]) == 32 and int(first[6], 16) >= 0


def test_csv_path_and_folder_read_the_same(tmp_path: Path, log: LoggedBanditData) -> None:
    path = written(tmp_path, log)
    a = read_obd(path)
    b = read_obd(path.parent)
    assert np.array_equal(a.contexts, b.contexts)


def test_onehot_user_features_mark_the_sign_of_each_context_feature(
    tmp_path: Path, log: LoggedBanditData
) -> None:
    data = read_obd(written(tmp_path, log))
    # 4 hashed features with 2 values each, then the 5 affinity columns.
    assert data.dim == 4 * 2 + 5
    assert np.array_equal(data.contexts[:, 8:], log.contexts)
    for j in range(4):
        names = [n for n in data.feature_names if n.startswith(f"user_feature_{j}=")]
        assert len(names) == 2
        block = data.contexts[:, [data.feature_names.index(n) for n in names]]
        assert np.array_equal(block.sum(axis=1), np.ones(log.n_rounds))
        positive = hashlib.md5(f"user_feature_{j}=1".encode()).hexdigest()
        column = data.contexts[:, data.feature_names.index(f"user_feature_{j}={positive}")]
        assert np.array_equal(column == 1, log.contexts[:, j] > 0)


def test_code_encoding_gives_one_sorted_code_per_feature(
    tmp_path: Path, log: LoggedBanditData
) -> None:
    data = read_obd(written(tmp_path, log), user_features="codes", affinities=False)
    assert data.feature_names == tuple(f"user_feature_{j}" for j in range(4))
    for j in range(4):
        categories = sorted(set(log.user_features[:, j]))
        expected = [categories.index(s) for s in log.user_features[:, j]]
        assert np.array_equal(data.contexts[:, j], expected)


def test_hand_written_obd_file_with_text_item_features(tmp_path: Path) -> None:
    folder = tmp_path / "men"
    folder.mkdir()
    (folder / "men.csv").write_text(
        ",timestamp,item_id,position,click,propensity_score,user_feature_0,"
        "user-item_affinity_0,user-item_affinity_1\n"
        "0,2019-11-24 00:00:17.187174+00:00,1,3,0,0.0125,81ce123cbb5bd8ce818f60fb3586bba5,0,2\n"
        "1,2019-11-24 00:00:19.783034+00:00,0,1,1,0.0125,03a5648a76832f83c859d46bc06cb64a,1,0\n"
    )
    (folder / "item_context.csv").write_text(
        ",item_id,item_feature_0,item_feature_1\n"
        "0,0,-0.5,a3\n1,1,0.25,b7\n2,2,1.5,a3\n"
    )
    data = read_obd(folder)
    assert data.n_actions == 3  # from item_context.csv, though item 2 is never logged
    assert np.array_equal(data.positions, [2, 0])
    assert np.array_equal(data.rewards, [0.0, 1.0])
    assert np.array_equal(data.action_context, [[-0.5, 0.0], [0.25, 1.0], [1.5, 0.0]])
    assert data.feature_names == (
        "user_feature_0=03a5648a76832f83c859d46bc06cb64a",
        "user_feature_0=81ce123cbb5bd8ce818f60fb3586bba5",
        "user-item_affinity_0", "user-item_affinity_1",
    )
    assert np.array_equal(data.contexts, [[0, 1, 0, 2], [1, 0, 1, 0]])
    assert read_obd(folder, n_actions=5).action_context.shape == (5, 2)


# -- located errors --------------------------------------------------------------------------


def test_missing_column_is_named_with_the_header_line(
    tmp_path: Path, log: LoggedBanditData
) -> None:
    path = written(tmp_path, log)
    lines = path.read_text().splitlines()
    header = lines[0].split(",")
    drop = header.index("click")
    path.write_text("\n".join(",".join(f for i, f in enumerate(line.split(",")) if i != drop)
                              for line in lines) + "\n")
    with pytest.raises(InstanceFormatError, match="'click'") as err:
        read_obd(path)
    assert err.value.file == str(path)
    assert err.value.line == 1


def test_non_numeric_click_names_file_line_and_column(
    tmp_path: Path, log: LoggedBanditData
) -> None:
    path = written(tmp_path, log)
    rewrite_cell(path, 41, "click", "yes")
    with pytest.raises(InstanceFormatError) as err:
        read_obd(path)
    assert err.value.file == str(path)
    assert err.value.line == 43  # header, then rows 0..41
    message = str(err.value)
    assert "'click' (column 5)" in message and "'yes'" in message
    assert message.startswith(f"{path}, line 43: ")


@pytest.mark.parametrize("value", ["0", "0.0", "1.5", "-0.1", "nan", "abc"])
def test_propensity_outside_zero_one_is_located(
    tmp_path: Path, log: LoggedBanditData, value: str
) -> None:
    path = written(tmp_path, log)
    rewrite_cell(path, 7, "propensity_score", value)
    with pytest.raises(InstanceFormatError, match=r"'propensity_score' \(column 6\)") as err:
        read_obd(path)
    assert err.value.line == 9
    assert "(0, 1]" in str(err.value)


def test_a_propensity_of_exactly_one_is_accepted(tmp_path: Path, log: LoggedBanditData) -> None:
    path = written(tmp_path, log)
    rewrite_cell(path, 0, "propensity_score", "1")
    assert read_obd(path).propensities[0] == 1.0


@pytest.mark.parametrize(("column", "value"), [("item_id", "-1"), ("item_id", "2.5"),
                                               ("position", "0"),
                                               ("user-item_affinity_2", "x")])
def test_bad_integer_and_affinity_cells_are_located(
    tmp_path: Path, log: LoggedBanditData, column: str, value: str
) -> None:
    path = written(tmp_path, log)
    rewrite_cell(path, 3, column, value)
    with pytest.raises(InstanceFormatError, match=f"'{column}'") as err:
        read_obd(path)
    assert err.value.line == 5


def test_blank_line_and_ragged_row_are_located(tmp_path: Path, log: LoggedBanditData) -> None:
    path = written(tmp_path, log)
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:6] + [""] + lines[6:]) + "\n")
    with pytest.raises(InstanceFormatError, match="blank line") as err:
        read_obd(path)
    assert err.value.line == 7
    path.write_text("\n".join(lines[:4] + [lines[4] + ",extra"] + lines[5:]) + "\n")
    with pytest.raises(InstanceFormatError, match="number of fields") as err:
        read_obd(path)
    assert err.value.line == 5


def test_folder_with_several_logs_is_ambiguous(tmp_path: Path, log: LoggedBanditData) -> None:
    path = written(tmp_path, log, "random")
    (path.parent / "all.csv").write_text(path.read_text())
    (path.parent / "men.csv").write_text(path.read_text())
    path.unlink()
    with pytest.raises(InstanceFormatError, match="all.csv, men.csv"):
        read_obd(path.parent)
    with pytest.raises(FileNotFoundError):
        read_obd(tmp_path / "nowhere")


# -- atomic writes ---------------------------------------------------------------------------


def test_failed_write_keeps_the_old_file_and_leaves_no_temporary(
    tmp_path: Path, log: LoggedBanditData, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "log.csv"
    target.write_text("old content\n")

    def fail(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(obd_csv.os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        write_obd_csv(log.take(slice(0, 10)), target)
    assert target.read_text() == "old content\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["log.csv"]


def test_write_goes_through_a_temporary_beside_the_target(
    tmp_path: Path, log: LoggedBanditData, monkeypatch: pytest.MonkeyPatch
) -> None:
    moves: list[tuple[str, str]] = []
    real_replace = os.replace

    def record(src: str, dst: str) -> None:
        moves.append((str(src), str(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(obd_csv.os, "replace", record)
    target = tmp_path / "log.csv"
    write_obd_csv(log, target)
    assert [Path(dst).name for _, dst in moves] == ["log.csv", "item_context.csv"]
    assert all(Path(src).parent == tmp_path and Path(src).name.endswith(".tmp")
               for src, _ in moves)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["item_context.csv", "log.csv"]
    assert target.read_text() == format_obd_csv(log)


def test_text_with_commas_is_refused_before_anything_is_written(
    tmp_path: Path, log: LoggedBanditData
) -> None:
    bad = LoggedBanditData(log.contexts[:2], log.actions[:2], log.rewards[:2],
                           log.propensities[:2], n_actions=6,
                           timestamps=np.array(["a,b", "c"]))
    with pytest.raises(ValueError, match="commas"):
        write_obd_csv(bad, tmp_path / "x.csv")
    assert list(tmp_path.iterdir()) == []

