"""Makespan bounds: the check every instance's optional bounds pass, and best-known bounds read
from a file the user gives, for instances that carry none (OR-Library files) or to replace the
shipped ones with a newer snapshot.

The file is a JSON object keyed by instance name, each value an object with ``lb`` and ``ub``
(integers, or null where unknown); other fields are ignored. A name or field given twice is
refused rather than one of its values picked. This is the layout of the public
job-shop bounds files, for example::

    {"orb07": {"n_jobs": 10, "n_machines": 10, "lb": 397, "ub": 397, "optimal": true}}
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from decisiongym.envs.core.errors import InstanceFormatError, MissingFileError, PathError
from decisiongym.envs.core.json_objects import unique_keys

if TYPE_CHECKING:
    from decisiongym.envs.jobshop.instance import JobShopInstance

MAX_BOUND = 2**53
"""Largest bound accepted: the limit on an instance's horizon
(:data:`decisiongym.envs.jobshop.instance.MAX_HORIZON`), which no makespan worth stating exceeds.
"""

Bounds = dict[str, tuple[int | None, int | None]]
"""Instance name -> ``(lower bound, upper bound)``."""


def read_bounds(path: str | os.PathLike[str]) -> Bounds:
    """Read a bounds file (module docstring).

    :raises MissingFileError: when there is no such file.
    :raises PathError: when the path is a folder or cannot be read.
    :raises InstanceFormatError: naming the instance and field at fault: not JSON, a key
        given twice, not an object, a bound that is not an integer in ``[0, 2**53]`` (an upper
        bound in ``[1, 2**53]``: a makespan is at least 1), or ``lb > ub``.
    """
    path = Path(path)
    if path.is_dir():
        raise PathError(path, "is a folder; expected a bounds file (JSON)")
    if not path.is_file():
        raise MissingFileError(path, "no bounds file there")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InstanceFormatError(f"not a UTF-8 text file ({exc.reason} at byte {exc.start})",
                                  file=str(path)) from None
    except OSError as exc:
        raise PathError(path, f"cannot be read ({exc.strerror})") from None
    try:
        content = json.loads(text, object_pairs_hook=unique_keys)
    except json.JSONDecodeError as exc:
        raise InstanceFormatError(f"not a JSON file: {exc}", file=str(path)) from None
    except ValueError as exc:  # an integer too long to convert, a key given twice
        raise InstanceFormatError(f"not a usable JSON file: {exc}", file=str(path)) from None
    except RecursionError:
        raise InstanceFormatError("JSON nested too deeply; expected an object of objects",
                                  file=str(path)) from None
    if not isinstance(content, dict):
        raise InstanceFormatError("expected a JSON object keyed by instance name, found "
                                  f"{type(content).__name__}", file=str(path))
    bounds: Bounds = {}
    for name, entry in content.items():
        if not isinstance(entry, dict):
            raise InstanceFormatError(f"{name}: expected an object with 'lb' and 'ub', found "
                                      f"{_short(entry)}", file=str(path))
        pair = []
        for field in ("lb", "ub"):
            value = entry.get(field)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                      or value < 0):
                raise InstanceFormatError(f"{name}.{field}: expected a non-negative integer or "
                                          f"null, found {_short(value)}", file=str(path))
            if value is not None and value > MAX_BOUND:
                raise InstanceFormatError(f"{name}.{field}: expected at most 2**53, found a "
                                          f"number of {len(str(value))} digits", file=str(path))
            if field == "ub" and value == 0:
                raise InstanceFormatError(f"{name}.ub: expected at least 1 (a makespan), found 0",
                                          file=str(path))
            pair.append(value)
        lower, upper = pair
        if lower is not None and upper is not None and lower > upper:
            raise InstanceFormatError(f"{name}: lb {lower} is above ub {upper}", file=str(path))
        bounds[str(name)] = (lower, upper)
    return bounds


def check_bounds(bounds: Bounds, instances: Iterable[JobShopInstance],
                 file: str | os.PathLike[str]) -> None:
    """Refuse bounds that an instance itself disproves: an upper bound (a makespan someone
    reached) below the instance's trivial lower bound, or a lower bound above its horizon (the
    makespan of running every operation in series, always reachable).

    :param bounds: what :func:`read_bounds` read.
    :param instances: the instances the bounds will be applied to, by name.
    :param file: the bounds file, named in the error.
    :raises InstanceFormatError: naming the file, the instance and the bound.
    """
    for instance in instances:
        lower, upper = bounds.get(instance.name, (None, None))
        for message in contradictions(instance, lower, upper):
            raise InstanceFormatError(f"{instance.name}: {message}", file=os.fspath(file))


def contradictions(instance: JobShopInstance, lower: int | None, upper: int | None,
                   makespan: int | None = None, proven: int | None = None) -> list[str]:
    """What is wrong with bounds ``lower`` and ``upper`` of ``instance``, one sentence each.

    :param makespan: the makespan of a valid schedule found, when there is one: no lower bound
        may exceed it.
    :param proven: a lower bound a solver proved: no upper bound may be below it.
    :return: an empty list when nothing contradicts the bounds.
    """
    from decisiongym.envs.jobshop.instance import total_work

    found = []
    trivial = instance.trivial_lower_bound
    if upper is not None and upper < trivial:
        found.append(f"upper bound {upper} is below {trivial}, the longest job's work or the "
                     "busiest machine's load: no schedule is that short")
    if upper is not None and proven is not None and upper < proven:
        found.append(f"upper bound {upper} is below the lower bound {proven} this run proved")
    horizon = total_work(instance.durations)
    if lower is not None and lower > horizon:
        found.append(f"lower bound {lower} is above {horizon}, the makespan of running every "
                     "operation in series")
    if lower is not None and makespan is not None and lower > makespan:
        found.append(f"lower bound {lower} is above the makespan {makespan} of a valid "
                     "schedule this run found")
    return found


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}..."


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
    if value > MAX_BOUND:
        raise InstanceFormatError(f"{field} must be at most 2**53, found a number of "
                                  f"{len(str(int(value)))} digits")
    return int(value)
