"""Tests of the off-policy table: the synthetic section's rows and their accuracy, the records
that render the same lines again, the Open Bandit Dataset split on a log in its layout, and the
line that says the split was skipped."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from decisiongym.bench.bandits.offpolicy_report import (
    NO_OBD,
    evaluate_obd,
    obd_target_policy,
    offpolicy_section,
    render_offpolicy,
)
from decisiongym.envs.offline.logged_bandit import LoggedBanditData
from decisiongym.envs.offline.obd_csv import write_obd_csv
from decisiongym.envs.offline.synthetic_bandit_log import SyntheticLogger

ROWS = ("IPS", "SNIPS", "DM", "DR")


def table_rows(lines: list[str], title: str) -> dict[str, list[str]]:
    """The body rows of the first table after the heading ``title``, by their first cell."""
    start = lines.index(title)
    rows: dict[str, list[str]] = {}
    for line in lines[start + 1:]:
        if line.startswith("#"):
            break
        if line.startswith("| ") and not line.startswith("| estimator"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            rows[cells[0]] = cells[1:]
    return rows


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], Path]:
    csv = tmp_path_factory.mktemp("offpolicy") / "bandits_offpolicy.csv"
    return offpolicy_section(seeds=3, quick=True, csv_path=csv), csv


def test_synthetic_table_has_every_estimator_close_to_the_truth(
    synthetic: tuple[list[str], Path]
) -> None:
    lines, _ = synthetic
    assert lines[0] == "## Off-policy evaluation" and lines[-1] == ""
    rows = table_rows(lines, "### Synthetic logs")
    assert tuple(rows) == ROWS
    for name, (estimate, truth, relative, seeds) in rows.items():
        assert seeds == "3", name
        assert " ± " in estimate and " ± " in truth
        # The target's value is about 0.65; every estimator lands within a few percent of it.
        mean_error = float(relative.split(" %")[0])
        assert 0 < mean_error < 6, (name, relative)


def test_records_render_the_same_lines_again(synthetic: tuple[list[str], Path]) -> None:
    lines, csv = synthetic
    records = pd.read_csv(csv)
    assert len(records) == 3 * 4
    assert set(records["data"]) == {"synthetic"}
    assert (records["relative_error"] < 0.15).all()
    assert render_offpolicy(records) == lines


def test_skipped_split_says_why() -> None:
    lines = offpolicy_section(seeds=1, quick=True)
    at = lines.index("### Open Bandit Dataset: random -> Bernoulli TS")
    assert lines[at + 2] == NO_OBD and "--obd PATH" in NO_OBD
    missing = offpolicy_section(seeds=1, quick=True, obd="/nowhere/obd")
    at = missing.index("### Open Bandit Dataset: random -> Bernoulli TS")
    assert missing[at + 2].startswith("Skipped: no OBD log at /nowhere/obd/bts/all")


def test_target_policy_is_the_item_share_per_position() -> None:
    contexts = np.zeros((5, 1))
    target_log = LoggedBanditData(contexts, np.array([0, 0, 1, 2, 2]), np.zeros(5),
                                  np.full(5, 0.5), n_actions=3,
                                  positions=np.array([0, 0, 0, 1, 1]))
    pi = obd_target_policy(target_log, np.array([1, 0, 2]), 3)
    assert np.allclose(pi, [[0, 0, 1], [2 / 3, 1 / 3, 0], [0.4, 0.2, 0.4]])


def write_obd_folder(root: Path) -> float:
    """An OBD-shaped dataset: a uniform ``random`` log and a context-free ``bts`` log of the same
    world; returns the bts policy's exact value."""
    world = SyntheticLogger(4, 3, reward="logistic", logging_policy="uniform", seed=11)
    shares = np.array([0.55, 0.25, 0.15, 0.05])

    def bts(contexts: np.ndarray) -> np.ndarray:
        return np.tile(shares, (contexts.shape[0], 1))

    random_log = world.sample(20_000)
    bts_log = world.sample(50_000, bts)
    for name, log in (("random", random_log), ("bts", bts_log)):
        folder = root / name / "all"
        folder.mkdir(parents=True)
        write_obd_csv(log, folder)
    return float((bts(random_log.contexts) * random_log.expected_rewards).sum(axis=1).mean())


def test_obd_split_recovers_the_bts_value(tmp_path: Path) -> None:
    value = write_obd_folder(tmp_path)
    records = evaluate_obd(tmp_path)
    assert [r["estimator"] for r in records] == ["ips", "snips", "dm", "dr"]
    for record in records:
        assert record["n_rounds"] == 20_000
        assert abs(record["truth"] - value) < 4 * record["truth_std_error"]
        assert abs(record["estimate"] - value) < 4 * record["std_error"] + 0.01, record
    lines = render_offpolicy(records)
    rows = table_rows(lines, "### Open Bandit Dataset: random -> Bernoulli TS")
    assert tuple(rows) == ROWS
    assert all(len(cells) == 3 and cells[2].endswith(" %") for cells in rows.values())
    assert "### Synthetic logs" not in lines
