"""Field checks of the SoC platform and application files
(:mod:`decisiongym.envs.soc.files`): each fault is an :class:`InstanceFormatError` naming the
file and the path of the field, and the size limits that keep a file's numbers usable."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, NoReturn

from decisiongym.envs.core.errors import InstanceFormatError

MAX_PES = 4096
"""Most PEs a platform file may describe (DS3's platforms have about twenty)."""

MAX_TASKS = 100_000
"""Most tasks an application file may describe."""

MAX_NUMBER = 1e9
"""Largest number a platform or application file may hold: µs, volume units, W, MHz."""

MIN_BANDWIDTH = 1e-3
"""Smallest bandwidth a platform file may give, units per µs, so that a transfer of the largest
volume takes at most 10**12 µs."""


class FieldReader:
    """Field access that raises an :class:`InstanceFormatError` naming the field's path."""

    def __init__(self, source: str | None, format_version: int) -> None:
        self.source = source
        self.format_version = format_version

    def fail(self, path: str, expected: str) -> NoReturn:
        raise InstanceFormatError(f"{path}: {expected}" if path else expected, file=self.source)

    def mapping(self, value: Any, path: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            self.fail(path, f"expected an object, got {describe_value(value)}")
        return value

    def sequence(self, value: Any, path: str) -> list[Any]:
        if not isinstance(value, list):
            self.fail(path, f"expected a list, got {describe_value(value)}")
        return value

    def required(self, data: Mapping[str, Any], key: str, path: str) -> Any:
        if key not in data:
            where = path or "the top level"
            self.fail(join_path(path, key), f"missing field {key!r} in {where}")
        return data[key]

    def text(self, value: Any, path: str) -> str:
        if not isinstance(value, str) or not value:
            self.fail(path, f"expected a non-empty string, got {describe_value(value)}")
        return value

    def number(self, value: Any, path: str, *, positive: bool = False, what: str = "",
               least: float = 0.0) -> float:
        """A finite number in ``[0, MAX_NUMBER]`` (``(0, MAX_NUMBER]`` when ``positive``, and at
        least ``least``)."""
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(path, f"expected a number{what}, got {describe_value(value)}")
        try:
            number = float(value)
        except OverflowError:
            self.fail(path, f"expected at most {MAX_NUMBER:g}{what}, got {describe_value(value)}")
        if not math.isfinite(number):
            self.fail(path, f"expected a finite number{what}, got {value}")
        if number < 0:
            self.fail(path, f"expected a non-negative number{what}, got {value}")
        if positive and number == 0:
            self.fail(path, f"expected a positive number{what}, got 0")
        if number > MAX_NUMBER:
            self.fail(path, f"expected at most {MAX_NUMBER:g}{what}, got {value}")
        if number < least:
            self.fail(path, f"expected at least {least:g}{what}, got {value}")
        return number

    def count(self, value: Any, path: str, most: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.fail(path, f"expected a whole number >= 0, got {describe_value(value)}")
        if value > most:
            self.fail(path, f"expected at most {most:,}, got {describe_value(value)}; a Platform "
                            "built in Python has no such limit")
        return value

    def header(self, data: Mapping[str, Any], expected_format: str) -> None:
        if "format" in data and data["format"] != expected_format:
            self.fail("format", f"expected {expected_format!r}, got {data['format']!r}")
        if "version" in data and data["version"] != self.format_version:
            self.fail("version", f"expected {self.format_version}, got {data['version']!r}")


def join_path(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def describe_value(value: Any) -> str:
    if value is None:
        return "null"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
