"""The job-shop instances by name: the built-in ones, files, and lists of both.

A name is one of :data:`BUILTIN_NAMES` or the path of an instance file; command lines and
benchmark grids give lists of them as comma lists with ranges (``"ta01-ta10,ft06"``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from decisiongym.envs.core.errors import InputError, PathError
from decisiongym.envs.jobshop.formats import read_instance
from decisiongym.envs.jobshop.instance import JobShopInstance
from decisiongym.envs.jobshop.taillard import (
    TAILLARD_NAMES,
    canonical_taillard_name,
    ft06_instance,
    taillard_instance,
)

__all__ = [
    "BUILTIN_NAMES",
    "expand_instance_names",
    "expand_instance_sources",
    "load_instance",
]

BUILTIN_NAMES: tuple[str, ...] = (*TAILLARD_NAMES, "ft06")


def load_instance(name_or_path: str | os.PathLike[str]) -> JobShopInstance:
    """A built-in instance by name, or an instance file by path.

    Built-in names (:data:`BUILTIN_NAMES`, case-insensitive, ``ta1`` accepted) take precedence
    over a file of the same name. A file is named after its stem, unless the stem is a built-in
    name: then after its path as given (``./ta01``), so that its records and bounds are never
    taken for the built-in instance's.

    :param name_or_path: ``"ta01"``..``"ta80"``, ``"ft06"``, or the path of an existing file.
    :return: the instance.
    :raises MissingFileError: for a path (not a string) to no file.
    :raises InputError: for a string that is neither.
    """
    if isinstance(name_or_path, str):
        key = name_or_path.strip()
        canonical = canonical_taillard_name(key)
        if canonical is not None:
            return taillard_instance(canonical)
        if key.lower() == "ft06":
            return ft06_instance()
        if Path(name_or_path).is_dir():
            raise PathError(name_or_path, "is a folder; expected an instance file or a "
                            "built-in name (ta01..ta80, ft06)")
        if not Path(name_or_path).is_file():
            raise InputError(
                f"unknown instance {name_or_path!r}: expected a built-in name (ta01..ta80, "
                "ft06) or the path of an existing file"
            )
    stem = Path(name_or_path).stem
    builtin = canonical_taillard_name(stem) is not None or stem.lower() == "ft06"
    return read_instance(name_or_path, name=os.fspath(name_or_path) if builtin else None)


_NAME_RE = re.compile(r"[A-Za-z0-9_.]+")
_NUMBERED_RE = re.compile(r"([A-Za-z_]+)([0-9]+)")
_MAX_RANGE = 10_000


def _check_taillard_number(token: str, prefix: str, number: int) -> None:
    if prefix == "ta" and not 1 <= number <= 80:
        raise InputError(f"bad instance name {token!r}: Taillard instances are ta01..ta80")


def _list_items(spec: str) -> list[str]:
    """The stripped items of a comma list; an empty list or item is an error."""
    if not isinstance(spec, str) or not spec.strip():
        raise InputError(f"expected a comma-separated list of instance names, found {spec!r}")
    items = [raw.strip() for raw in spec.split(",")]
    if not all(items):
        raise InputError(f"empty instance name in {spec!r}")
    return items


def expand_instance_sources(spec: str) -> list[str]:
    """Expand a comma list whose items are instance files, folders of instance files (every
    file in the folder, by name) or names and ranges as :func:`expand_instance_names` reads
    them; repeated items are kept once, in first-seen order.

    :raises InputError: on an empty folder, or what :func:`expand_instance_names` refuses.
    """
    sources: list[str] = []
    for token in _list_items(spec):
        path = Path(token)
        if path.is_dir():
            files = sorted(str(f) for f in path.iterdir()
                           if f.is_file() and not f.name.startswith("."))
            if not files:
                raise InputError(f"instance folder {token!r} holds no file")
        elif path.is_file():
            files = [token]
        else:
            files = expand_instance_names(token)
        sources += [f for f in files if f not in sources]
    return sources


def expand_instance_names(spec: str) -> list[str]:
    """Expand a comma list of names and ranges, e.g. ``"ta01-ta10,ta41,ft06"``.

    A range ``pfxA-pfxB`` lists ``pfxA`` to ``pfxB`` (same prefix, A <= B), numbers padded to
    the wider of the two ends; Taillard names are written ``taNN``. Whitespace around tokens
    is ignored, and repeated names are kept once, in first-seen order.

    :param spec: the list.
    :return: the names.
    :raises InputError: on an empty list, a malformed token, or a bad range.
    """
    names: list[str] = []
    for token in _list_items(spec):
        if "-" in token:
            ends = [end.strip() for end in token.split("-")]
            matches = [_NUMBERED_RE.fullmatch(end) for end in ends]
            if len(ends) != 2 or matches[0] is None or matches[1] is None:
                raise InputError(
                    f"bad instance range {token!r}: expected 'NAME1-NAME2' such as 'ta01-ta10'"
                )
            (p1, d1), (p2, d2) = matches[0].groups(), matches[1].groups()
            if p1.lower() != p2.lower():
                raise InputError(
                    f"bad instance range {token!r}: the ends have different prefixes "
                    f"({p1!r} and {p2!r})"
                )
            prefix, lo, hi = p1.lower(), int(d1), int(d2)
            if lo > hi:
                raise InputError(f"bad instance range {token!r}: {ends[0]} comes after {ends[1]}")
            if hi - lo >= _MAX_RANGE:
                raise InputError(f"bad instance range {token!r}: more than {_MAX_RANGE} names")
            _check_taillard_number(ends[0], prefix, lo)
            _check_taillard_number(ends[1], prefix, hi)
            width = 2 if prefix == "ta" else max(len(d1), len(d2))
            expanded = [f"{prefix}{k:0{width}d}" for k in range(lo, hi + 1)]
        else:
            if not _NAME_RE.fullmatch(token):
                raise InputError(
                    f"bad instance name {token!r}: expected letters, digits, '_' or '.'"
                )
            numbered = _NUMBERED_RE.fullmatch(token)
            if numbered is not None and numbered.group(1).lower() == "ta":
                _check_taillard_number(token, "ta", int(numbered.group(2)))
                token = f"ta{int(numbered.group(2)):02d}"
            expanded = [token]
        for item in expanded:
            if item not in names:
                names.append(item)
    return names
