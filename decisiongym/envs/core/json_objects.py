"""JSON objects as the library's input files may hold them: each key once."""

from __future__ import annotations

from typing import Any


def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """The ``object_pairs_hook`` of ``json.loads`` for the files the library reads: the object,
    refusing a key given twice. A file that states one thing twice is ambiguous, and JSON
    readers disagree on which of the two wins, so the reader never picks one silently.

    :raises ValueError: naming the key (``json.loads`` lets it through unchanged).
    """
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise ValueError(f"key {key!r} appears twice in one object")
        found[key] = value
    return found
