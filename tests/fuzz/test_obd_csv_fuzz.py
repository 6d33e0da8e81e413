"""Malformed logged-bandit files in the Open Bandit Dataset's CSV layout (the log and the
``item_context.csv`` beside it): a typed error naming the file, line and column, or a log that
holds what the file says."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pytest
from fuzz_harness import FUZZ_SETTINGS, MUST_LOAD, Case, byte_mutations, common_text_cases, run_case
from hypothesis import given, settings

from decisiongym.envs.offline.logged_bandit import LoggedBanditData
from decisiongym.envs.offline.obd_csv import read_obd

HEADER = (",timestamp,item_id,position,click,propensity_score,user_feature_0,user_feature_1,"
          "user-item_affinity_0,user-item_affinity_1,user-item_affinity_2")
ROWS = [
    "0,2019-11-24 00:00:00.000000+00:00,0,1,0,0.3333,81ce,03a5,0.0,1.5,0.0",
    "1,2019-11-24 00:00:01.000000+00:00,2,2,1,0.5,81ce,9b2d,0.5,0.0,2.0",
    "2,2019-11-24 00:00:02.000000+00:00,1,3,0,0.25,c41a,03a5,0.0,0.0,0.0",
    "3,2019-11-24 00:00:03.000000+00:00,2,1,1,1.0,c41a,9b2d,1.0,1.0,1.0",
    "4,2019-11-24 00:00:04.000000+00:00,0,2,0,0.125,81ce,03a5,0.25,0.5,0.75",
]
VALID = "\n".join([HEADER, *ROWS]) + "\n"
ITEM_CONTEXT = (",item_id,item_feature_0,item_feature_1\n"
                "0,0,-0.5,a1b2\n1,1,0.25,c3d4\n2,2,1.0,a1b2\n")


def with_cell(row: int, column: str, value: str, text: str = VALID) -> str:
    """``text`` with one cell of data row ``row`` (0 is the first) replaced."""
    lines = text.splitlines()
    fields = lines[row + 1].split(",")
    fields[lines[0].split(",").index(column)] = value
    lines[row + 1] = ",".join(fields)
    return "\n".join(lines) + "\n"


def check(data: LoggedBanditData, path: Path) -> None:
    """The log's arrays are the file's columns."""
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert data.n_rounds == len(rows)
    assert data.actions.tolist() == [int(row["item_id"]) for row in rows]
    assert data.rewards.tolist() == [float(row["click"]) for row in rows]
    assert data.propensities.tolist() == [float(row["propensity_score"]) for row in rows]
    assert data.positions is not None
    assert (data.positions + 1).tolist() == [int(row["position"]) for row in rows]
    assert ((data.propensities > 0) & (data.propensities <= 1)).all()
    assert np.isfinite(data.contexts).all() and np.isfinite(data.rewards).all()
    assert data.n_actions > data.actions.max()
    if data.action_context is not None:
        assert data.action_context.shape[0] == data.n_actions
        assert np.isfinite(data.action_context).all()


def load_with_items(path: Path) -> LoggedBanditData:
    return read_obd(path.parent)


CASES = [
    *common_text_cases(VALID.encode()),
    Case.text("the valid file", VALID, MUST_LOAD),
    Case.text("columns in another order", "\n".join(
        ",".join(line.split(",")[i] for i in (0, 2, 1, 4, 3, 5, 6, 7, 8, 9, 10))
        for line in [HEADER, *ROWS]) + "\n", MUST_LOAD),
    Case.text("no index column", "\n".join(line.split(",", 1)[1] for line in [HEADER, *ROWS])
              + "\n", MUST_LOAD),
    Case.text("header only", HEADER + "\n", "line 2"),
    Case.text("no item_id column", VALID.replace(",item_id,", ",item,"), "'item_id'"),
    Case.text("no propensity column", VALID.replace("propensity_score", "pscore"),
              "'propensity_score'"),
    Case.text("a header missing one name", VALID.replace(",timestamp", ""),
              "line 2"),
    Case.text("item_id negative", with_cell(1, "item_id", "-1"), "line 3"),
    Case.text("item_id a float", with_cell(1, "item_id", "1.5"), "line 3"),
    Case.text("item_id NaN", with_cell(1, "item_id", "nan"), "line 3"),
    Case.text("item_id empty", with_cell(1, "item_id", ""), "line 3"),
    Case.text("item_id 2^63", with_cell(1, "item_id", str(2**63)), "'item_id'"),
    Case.text("item_id of 400 digits", with_cell(1, "item_id", "9" * 400), "'item_id'"),
    Case.text("item_id 10^12", with_cell(1, "item_id", str(10**12)), "'item_id'"),
    Case.text("position 0", with_cell(0, "position", "0"), "line 2"),
    Case.text("position -1", with_cell(0, "position", "-1"), "line 2"),
    Case.text("position 10^30", with_cell(0, "position", str(10**30)), "'position'"),
    Case.text("click NaN", with_cell(2, "click", "nan"), "line 4"),
    Case.text("click infinite", with_cell(2, "click", "inf"), "line 4"),
    Case.text("click 1e400", with_cell(2, "click", "1e400"), "line 4"),
    Case.text("click a word", with_cell(2, "click", "yes"), "line 4"),
    Case.text("propensity 0", with_cell(3, "propensity_score", "0"), "line 5"),
    Case.text("propensity negative", with_cell(3, "propensity_score", "-0.5"), "line 5"),
    Case.text("propensity above 1", with_cell(3, "propensity_score", "1.5"), "line 5"),
    Case.text("propensity NaN", with_cell(3, "propensity_score", "nan"), "line 5"),
    Case.text("propensity 1e-320", with_cell(3, "propensity_score", "1e-320"), None),
    Case.text("an affinity infinite", with_cell(4, "user-item_affinity_1", "-inf"), "line 6"),
    Case.text("an affinity a word", with_cell(4, "user-item_affinity_1", "high"), "line 6"),
    Case.text("a user feature empty", with_cell(4, "user_feature_0", ""), None),
    Case.text("a row too long", VALID + "5,t,0,1,0,0.5,a,b,0,0,0,9\n", "line 7"),
    Case.text("a row too short", VALID + "5,t,0,1\n", None),
    Case.text("a blank line inside", VALID.replace("\n", "\n\n", 2), "line 2"),
    Case.text("an unclosed quote", with_cell(0, "timestamp", '"2019'), None),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_hand_made_logs(case: Case) -> None:
    run_case("logged-bandit OBD CSV", read_obd, case.data, "all.csv", case=case.name,
             expect=case.expect, check=check)


ITEM_CASES = [
    Case.text("the valid item context", ITEM_CONTEXT, MUST_LOAD),
    Case.text("an empty item context", "", None),
    Case.text("item context without item_id", ITEM_CONTEXT.replace("item_id", "id"),
              "'item_id'"),
    Case.text("an item twice", ITEM_CONTEXT + "3,2,1.0,a1b2\n", "each item once"),
    Case.text("an item id 10^12", ITEM_CONTEXT + f"3,{10**12},1.0,a1b2\n", "'item_id'"),
    Case.text("an item id 2^63", ITEM_CONTEXT + f"3,{2**63},1.0,a1b2\n", "'item_id'"),
    Case.text("an item feature NaN", ITEM_CONTEXT.replace("0.25", "nan"), None),
    Case.text("an item feature infinite", ITEM_CONTEXT.replace("0.25", "inf"), None),
]


@pytest.mark.parametrize("case", ITEM_CASES, ids=[case.name for case in ITEM_CASES])
def test_hand_made_item_contexts(case: Case) -> None:
    run_case("logged-bandit item context CSV", load_with_items, case.data, "item_context.csv",
             case=case.name, expect=case.expect, check=lambda data, path: check(
                 data, path.parent / "all.csv"), beside={"all.csv": VALID.encode()})


@FUZZ_SETTINGS
@given(data=byte_mutations(VALID.encode()))
def test_mutated_logs(data: bytes) -> None:
    run_case("logged-bandit OBD CSV", read_obd, data, "all.csv", check=check)


@settings(FUZZ_SETTINGS, max_examples=45)
@given(data=byte_mutations(ITEM_CONTEXT.encode()))
def test_mutated_item_contexts(data: bytes) -> None:
    run_case("logged-bandit item context CSV", load_with_items, data, "item_context.csv",
             check=lambda log, path: check(log, path.parent / "all.csv"),
             beside={"all.csv": VALID.encode()})


def test_enough_malformed_log_inputs() -> None:
    assert len(CASES) + FUZZ_SETTINGS.max_examples >= 50
    assert len(ITEM_CASES) + 45 >= 50
