"""The one benchmark record of every family, and the CSV files that hold them.

A cell of any family's grid returns one :class:`Record`: what ran (family, method, instance,
seed, budget), what it found (the objective with its name and sense, a bound, a gap, the
method's status), whether the family's own ``validate`` accepted the answer, and what it cost
(wall and CPU seconds). What only one family measures goes to ``extra``.

A results CSV starts with :data:`COMMON_COLUMNS`, in that order, then the extra keys in the
order the records first name them. Tables and plots are rendered from the CSV
(:func:`read_frame`), so a table can be rebuilt without rerunning anything.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from decisiongym.envs.core.errors import InputError
from decisiongym.envs.core.files import write_frame_atomic

COMMON_COLUMNS: tuple[str, ...] = (
    "family", "method", "instance", "seed", "budget", "objective", "objective_name", "sense",
    "bound", "gap", "status", "valid", "wall_s", "cpu_s",
)
"""The first columns of every results CSV, in this order."""

SENSES = ("min", "max")

_OPTIONAL_NUMBERS = ("budget", "objective", "bound", "gap")


@dataclass(frozen=True, kw_only=True)
class Record:
    """One cell's answer, as a row of a results CSV.

    :param family: the family the cell belongs to (``"jobshop"``, ``"soc"``, ``"bandits"``).
    :param method: the method as the tables name it (``"cpsat-warm"``, ``"etf"``, ``"linucb"``).
    :param instance: the problem instance's name (an instance name, a DAG's name, an env id).
    :param seed: the seed of the method and, where the instance is drawn, of the instance.
    :param budget: what the method was given, in the family's unit (CP-SAT's time limit in
        seconds; a bandit's horizon in rounds); ``None`` when it runs to completion.
    :param objective: the value the family compares methods by; ``None`` without an answer.
    :param objective_name: what ``objective`` measures, with its unit where it has one
        (``"makespan"``, ``"latency_mean_us"``, ``"regret"``).
    :param sense: ``"min"`` or ``"max"``: which way ``objective`` is better.
    :param bound: the best bound the method proved on the objective, ``None`` without one.
    :param gap: percent by which ``objective`` falls short of the family's reference value
        (job shop: the best-known upper bound; SoC CP-SAT: its own bound), ``None`` without one.
    :param status: the method's own word on its answer: CP-SAT's status (``"OPTIMAL"``,
        ``"FEASIBLE"``, ``"UNKNOWN"``...), ``"FEASIBLE"`` for a heuristic's answer,
        ``"COMPLETED"`` for a run with nothing to prove (a bandit episode).
    :param valid: whether the family's ``validate`` accepted the answer, re-checked in the cell.
    :param wall_s: wall-clock seconds of the method.
    :param cpu_s: CPU seconds of the method (this process).
    :param extra: the family's own columns: flat values only (text, numbers, booleans, None).
    :param solution: the answer itself (a schedule, a trace) while the record is in memory;
        never written, and dropped before a record leaves its cell.
    """

    family: str
    method: str
    instance: str
    seed: int
    budget: float | None = None
    objective: float | None = None
    objective_name: str
    sense: str = "min"
    bound: float | None = None
    gap: float | None = None
    status: str = ""
    valid: bool = False
    wall_s: float = 0.0
    cpu_s: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)
    solution: Any = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.sense not in SENSES:
            raise ValueError(f"sense must be one of {SENSES}, got {self.sense!r}")
        clash = [key for key in self.extra if key in COMMON_COLUMNS]
        if clash:
            raise ValueError(f"extra keys {clash} would shadow the common columns; rename them")

    def to_row(self) -> dict[str, Any]:
        """The CSV row: the common columns in :data:`COMMON_COLUMNS` order, then ``extra``.

        :raises TypeError: when an extra value is not flat (a list, a dict, an array...).
        """
        for key, value in self.extra.items():
            if not _is_flat(value):
                raise TypeError(f"extra[{key!r}] is a {type(value).__name__}; a CSV cell holds "
                                "text, a number, a boolean or None (encode it, e.g. as JSON)")
        row = {name: getattr(self, name) for name in COMMON_COLUMNS}
        row.update(self.extra)
        return row

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Record:
        """The record of a CSV row, the inverse of :meth:`to_row` (an empty cell reads as None).

        :raises ValueError: when a common column is missing.
        """
        missing = [name for name in COMMON_COLUMNS if name not in row]
        if missing:
            raise ValueError(f"the row lacks the record columns {missing}")
        value = {name: _missing_as_none(row[name]) for name in COMMON_COLUMNS}
        return cls(
            family=str(value["family"]), method=str(value["method"]),
            instance=str(value["instance"]), seed=int(value["seed"]),
            **{name: value[name] for name in _OPTIONAL_NUMBERS},
            objective_name=str(value["objective_name"]), sense=str(value["sense"]),
            status="" if value["status"] is None else str(value["status"]),
            valid=bool(value["valid"]), wall_s=float(value["wall_s"] or 0.0),
            cpu_s=float(value["cpu_s"] or 0.0),
            extra={key: _missing_as_none(v) for key, v in row.items()
                   if key not in COMMON_COLUMNS},
        )


def _is_flat(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool, np.generic))


def _missing_as_none(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def columns(records: Iterable[Record]) -> list[str]:
    """The CSV columns of ``records``: the common ones, then every extra key in the order the
    records first name it."""
    extra: dict[str, None] = {}
    for record in records:
        extra.update(dict.fromkeys(record.extra))
    return list(COMMON_COLUMNS) + list(extra)


def records_frame(records: Sequence[Record]) -> pd.DataFrame:
    """The records as the table a results CSV holds (one row each, :func:`columns` order)."""
    return pd.DataFrame.from_records([r.to_row() for r in records], columns=columns(records))


def write_records(records: Sequence[Record], path: str | os.PathLike[str]) -> None:
    """Write ``records`` to a results CSV (no index column), whole or not at all."""
    write_frame_atomic(records_frame(records), path, index=False)


def read_frame(path: str | os.PathLike[str]) -> pd.DataFrame:
    """A results CSV as a table (the one the reports render from).

    :raises ValueError: when the file does not start with :data:`COMMON_COLUMNS` (a file of
        an older version: run its benchmark again).
    """
    frame = pd.read_csv(path)
    if tuple(frame.columns[:len(COMMON_COLUMNS)]) != COMMON_COLUMNS:
        raise InputError(f"{os.fspath(path)} does not start with the record columns "
                         f"({', '.join(COMMON_COLUMNS)}): it was written by an older version; "
                         "run its benchmark again")
    return frame


def read_records(path: str | os.PathLike[str]) -> list[Record]:
    """The records of a results CSV (:meth:`Record.from_row` of each row)."""
    return [Record.from_row(row) for row in read_frame(path).to_dict("records")]

