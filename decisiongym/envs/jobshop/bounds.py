"""Makespan bounds: the check every instance's optional bounds pass, and best-known bounds read
from a file the user gives, for instances that carry none (OR-Library files) or to replace the
shipped ones with a newer snapshot.

The file is a JSON object keyed by instance name, each value an object with ``lb`` and ``ub``
(integers, or null where unknown); other fields are ignored. This is the layout of the public
job-shop bounds files, for example::

    {"orb07": {"n_jobs": 10, "n_machines": 10, "lb": 397, "ub": 397, "optimal": true}}
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from decisiongym.envs.core.errors import InstanceFormatError

Bounds = dict[str, tuple[int | None, int | None]]
"""Instance name -> ``(lower bound, upper bound)``."""


def read_bounds(path: str | os.PathLike[str]) -> Bounds:
    """Read a bounds file (module docstring).

    :raises FileNotFoundError: when there is no such file.
    :raises InstanceFormatError: naming the instance and field at fault: not JSON, not an
        object, a bound that is not a non-negative integer, or ``lb > ub``.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no bounds file at {path}")
    try:
        content = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InstanceFormatError(f"not a JSON file: {exc}", file=str(path)) from None
    if not isinstance(content, dict):
        raise InstanceFormatError("expected a JSON object keyed by instance name, found "
                                  f"{type(content).__name__}", file=str(path))
    bounds: Bounds = {}
    for name, entry in content.items():
        if not isinstance(entry, dict):
            raise InstanceFormatError(f"{name}: expected an object with 'lb' and 'ub', found "
                                      f"{entry!r}", file=str(path))
        pair = []
        for field in ("lb", "ub"):
            value = entry.get(field)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                      or value < 0):
                raise InstanceFormatError(f"{name}.{field}: expected a non-negative integer or "
                                          f"null, found {value!r}", file=str(path))
            pair.append(value)
        lower, upper = pair
        if lower is not None and upper is not None and lower > upper:
            raise InstanceFormatError(f"{name}: lb {lower} is above ub {upper}", file=str(path))
        bounds[str(name)] = (lower, upper)
    return bounds


def check_bound(value: Any, field: str) -> int | None:
    """Check an optional makespan bound.

    :param value: ``None`` or a non-negative integer.
    :param field: field name used in error messages.
    :return: the bound as a Python int, or ``None``.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InstanceFormatError(f"{field} must be an integer or None, found {value!r}")
    if value < 0:
        raise InstanceFormatError(f"{field} must be >= 0, found {value}")
    return int(value)
