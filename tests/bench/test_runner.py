"""The grid runner: records in the cells' order on every local backend, and nothing but
records accepted."""

from __future__ import annotations

import pytest

from decisiongym.bench.record import Record
from decisiongym.bench.runner import run_grid


def square(cell: int) -> Record:
    return Record(family="test", method="square", instance=str(cell), seed=0,
                  objective=cell * cell, objective_name="square", valid=True)


def not_a_record(cell: int) -> dict[str, int]:
    return {"cell": cell}


@pytest.mark.parametrize("processes", [1, 2])
def test_records_come_back_in_the_order_of_the_cells(processes: int) -> None:
    records = run_grid([3, 1, 2], square, processes=processes, title="test")
    assert [(r.instance, r.objective) for r in records] == [("3", 9), ("1", 1), ("2", 4)]


def test_a_cell_that_returns_no_record_stops_the_run() -> None:
    with pytest.raises(TypeError, match="'7' returned a dict, not a Record"):
        run_grid([7], not_a_record)


def test_an_unknown_backend_is_refused() -> None:
    with pytest.raises(ValueError, match="backend"):
        run_grid([1], square, backend="cloud")
