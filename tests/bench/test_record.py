"""The one benchmark record: its CSV row, the round trip through a file, and what it refuses."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from decisiongym.bench.record import (
    COMMON_COLUMNS,
    Record,
    columns,
    read_frame,
    read_records,
    records_frame,
    write_records,
)


def _record(method: str = "cpsat", **extra: object) -> Record:
    return Record(family="jobshop", method=method, instance="ft06", seed=3, budget=2.5,
                  objective=55, objective_name="makespan", sense="min", bound=55, gap=0.0,
                  status="OPTIMAL", valid=True, wall_s=0.25, cpu_s=0.5, extra=dict(extra))


def test_row_starts_with_the_common_columns_then_the_extras() -> None:
    row = _record(scheme="active", workers=2).to_row()
    assert tuple(row)[:len(COMMON_COLUMNS)] == COMMON_COLUMNS
    assert list(row)[len(COMMON_COLUMNS):] == ["scheme", "workers"]
    assert (row["objective"], row["objective_name"], row["sense"]) == (55, "makespan", "min")


def test_columns_join_the_extras_in_the_order_first_named() -> None:
    records = [_record("spt", scheme="active"), _record("cpsat", workers=2, scheme=None)]
    assert columns(records) == list(COMMON_COLUMNS) + ["scheme", "workers"]
    frame = records_frame(records)
    assert list(frame.columns) == columns(records)
    assert math.isnan(frame.loc[0, "workers"])


def test_csv_round_trip_gives_the_same_records(tmp_path: Path) -> None:
    records = [
        _record("spt", scheme="active", warm_start=None, note="a, b"),
        Record(family="soc", method="etf", instance="ds3/rate=5", seed=0, objective=123.456789,
               objective_name="latency_mean_us", status="FEASIBLE", valid=False,
               wall_s=1e-3, cpu_s=2e-3, extra={"scheme": "x", "warm_start": "y", "note": "z"}),
    ]
    path = tmp_path / "records.csv"
    write_records(records, path)
    assert read_records(path) == records
    frame = read_frame(path)
    assert tuple(frame.columns[:len(COMMON_COLUMNS)]) == COMMON_COLUMNS
    assert frame["valid"].tolist() == [True, False]


def test_the_solution_stays_in_memory(tmp_path: Path) -> None:
    record = Record(family="jobshop", method="spt", instance="ft06", seed=0,
                    objective_name="makespan", solution=object())
    assert "solution" not in record.to_row()
    write_records([record], tmp_path / "one.csv")
    assert read_records(tmp_path / "one.csv")[0].solution is None


def test_a_record_refuses_a_bad_sense_a_shadowing_extra_and_a_nested_value() -> None:
    with pytest.raises(ValueError, match="sense"):
        Record(family="soc", method="etf", instance="x", seed=0, objective_name="latency",
               sense="lowest")
    with pytest.raises(ValueError, match="shadow"):
        _record(method_name="spt", gap=1.0)
    with pytest.raises(TypeError, match="curve"):
        _record(curve=[1, 2, 3]).to_row()


def test_a_file_without_the_record_columns_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "old.csv"
    pd.DataFrame({"instance": ["ft06"], "makespan": [55]}).to_csv(path, index=False)
    with pytest.raises(ValueError, match="older version"):
        read_frame(path)
    with pytest.raises(ValueError, match="record columns"):
        Record.from_row({"instance": "ft06", "makespan": 55})
