"""The program file: a :class:`~decisiongym.envs.memory.program.Program` as JSON, optionally
gzip-compressed, that holds data only (reading it runs no code).

.. code-block:: json

    {
      "format": "decisiongym/memory-program", "version": 1,
      "name": "mlp-b32",
      "source": {"model": "mlp-b32", "tracer": "torch.export", "torch": "2.13.0"},
      "buffers": [["fc1.weight", 32768, "parameter"], ["x", 4096, "input"],
                  ["addmm", 8192, "activation"]],
      "operations": [["aten.addmm.default", 524288, [0, 1], [2]]]
    }

- ``format`` and ``version`` are required; a file of a later version is refused with a message
  saying so.
- ``name`` (a non-empty string) names the workload.
- ``source`` (optional) is an object of strings saying where the program comes from; it is
  carried along and not interpreted.
- ``buffers`` (at least one): ``[name, size_bytes, kind]`` per buffer, in index order; names
  are unique, sizes integers in ``[1, 2**62]``, kinds ``parameter``, ``input``, ``activation``
  or ``output``.
- ``operations`` (at least one): ``[name, flops, reads, writes]`` per operation in schedule
  order; ``flops`` a finite number ``>= 0``, ``reads`` and ``writes`` lists of buffer indices.
  Every buffer is read or written by some operation.

A file whose bytes start with gzip's magic number is decompressed whatever its name;
:func:`write_program` compresses when the name ends in ``.gz`` (with no time stamp, so the same
program always gives the same bytes). Every fault is an
:class:`~decisiongym.envs.core.errors.InstanceFormatError` naming the file and the field
(``buffers[3].size``, ``operations[12].reads[1]``).
"""

from __future__ import annotations

import gzip
import io
import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NoReturn

from decisiongym.envs.core.errors import (
    InputError,
    InstanceFormatError,
    MissingFileError,
    PathError,
)
from decisiongym.envs.core.files import atomic_path
from decisiongym.envs.core.json_objects import unique_keys
from decisiongym.envs.memory.problem import MAX_BUFFERS, MAX_VALUE
from decisiongym.envs.memory.program import MAX_OPERATIONS, BufferKind, Program

PROGRAM_FORMAT = "decisiongym/memory-program"
FORMAT_VERSION = 1

MAX_FILE_BYTES = 64 * 1024 * 1024
"""The largest program file read, as stored (compressed or not)."""

MAX_TEXT_BYTES = 512 * 1024 * 1024
"""The largest text a compressed program file may expand to."""

KIND_NAMES: dict[str, BufferKind] = {kind.name.lower(): kind for kind in BufferKind}
"""The ``kind`` column's words."""

_GZIP_MAGIC = b"\x1f\x8b"


def _describe(value: Any) -> str:
    text = json.dumps(value) if isinstance(value, (str, int, float, bool, type(None))) \
        else type(value).__name__
    return text if len(text) <= 40 else text[:37] + "..."


class _Fields:
    """Field checks that raise an InstanceFormatError naming the file and the field."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, path: str, expected: str) -> NoReturn:
        raise InstanceFormatError(f"field {path!r}: {expected}", self.source)

    def required(self, data: Mapping[str, Any], key: str) -> Any:
        if key not in data:
            raise InstanceFormatError(f"missing field {key!r} at the top level", self.source)
        return data[key]

    def rows(self, value: Any, path: str, most: int) -> list[Any]:
        if not isinstance(value, list):
            self.fail(path, f"expected a list, got {_describe(value)}")
        if not value:
            self.fail(path, "expected at least one entry")
        if len(value) > most:
            self.fail(path, f"{len(value):,} entries, above the limit of {most:,}")
        return value

    def row(self, value: Any, path: str, columns: tuple[str, ...]) -> list[Any]:
        if not isinstance(value, list) or len(value) != len(columns):
            self.fail(path, f"expected a list [{', '.join(columns)}], got {_describe(value)}")
        return value

    def text(self, value: Any, path: str) -> str:
        if not isinstance(value, str) or not value:
            self.fail(path, f"expected a non-empty string, got {_describe(value)}")
        return value

    def integer(self, value: Any, path: str, least: int, most: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(path, f"expected an integer, got {_describe(value)}")
        if not least <= value <= most:
            self.fail(path, f"expected an integer in [{least}, {most}], got {value}")
        return value

    def number(self, value: Any, path: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(path, f"expected a number, got {_describe(value)}")
        try:
            number = float(value)
        except OverflowError:
            self.fail(path, f"expected a finite number, got {_describe(value)}")
        if not math.isfinite(number) or number < 0:
            self.fail(path, f"expected a finite number >= 0, got {value}")
        return number

    def indices(self, value: Any, path: str, n_buffers: int) -> list[int]:
        if not isinstance(value, list):
            self.fail(path, f"expected a list of buffer indices, got {_describe(value)}")
        for i, index in enumerate(value):
            if isinstance(index, bool) or not isinstance(index, int) \
                    or not 0 <= index < n_buffers:
                self.fail(f"{path}[{i}]", f"expected a buffer index in [0, {n_buffers - 1}], "
                                          f"got {_describe(index)}")
        return value


def program_from_dict(data: Any, source: str = "<dict>") -> Program:
    """Build a program from the tree of a program file (format in the module docstring).

    :param data: the parsed file.
    :param source: the file name quoted in errors.
    :raises InstanceFormatError: naming the file and the field at fault.
    """
    f = _Fields(source)
    if not isinstance(data, Mapping):
        raise InstanceFormatError(f"expected a JSON object at the top level, got "
                                  f"{_describe(data)}", source)
    known = {"format", "version", "name", "source", "buffers", "operations"}
    for key in data:
        if key not in known:
            f.fail(key, f"unknown field; the fields are {', '.join(sorted(known))}")
    if f.required(data, "format") != PROGRAM_FORMAT:
        f.fail("format", f"expected {PROGRAM_FORMAT!r}, got {_describe(data['format'])}")
    version = f.integer(f.required(data, "version"), "version", 1, 2**31)
    if version > FORMAT_VERSION:
        f.fail("version", f"version {version} is newer than this library reads "
                          f"({FORMAT_VERSION}); upgrade decisiongym")
    name = f.text(f.required(data, "name"), "name")
    if "source" in data:
        origin = data["source"]
        if not isinstance(origin, Mapping):
            f.fail("source", f"expected an object of strings, got {_describe(origin)}")
        for key, value in origin.items():
            if not isinstance(value, str):
                f.fail(f"source.{key}", f"expected a string, got {_describe(value)}")
    buffer_rows = f.rows(f.required(data, "buffers"), "buffers", MAX_BUFFERS)
    buffers: list[tuple[str, int, BufferKind]] = []
    seen: dict[str, int] = {}
    for i, entry in enumerate(buffer_rows):
        path = f"buffers[{i}]"
        label, size, kind = f.row(entry, path, ("name", "size", "kind"))
        label = f.text(label, f"{path}.name")
        if label in seen:
            f.fail(f"{path}.name", f"buffer {label!r} is already buffers[{seen[label]}]")
        seen[label] = i
        size = f.integer(size, f"{path}.size", 1, MAX_VALUE)
        if kind not in KIND_NAMES:
            f.fail(f"{path}.kind", f"expected one of {', '.join(KIND_NAMES)}, got "
                                   f"{_describe(kind)}")
        buffers.append((label, size, KIND_NAMES[kind]))
    operation_rows = f.rows(f.required(data, "operations"), "operations", MAX_OPERATIONS)
    operations: list[tuple[str, float, list[int], list[int]]] = []
    used = [False] * len(buffers)
    for t, entry in enumerate(operation_rows):
        path = f"operations[{t}]"
        label, flops, reads, writes = f.row(entry, path, ("name", "flops", "reads", "writes"))
        reads = f.indices(reads, f"{path}.reads", len(buffers))
        writes = f.indices(writes, f"{path}.writes", len(buffers))
        for b in (*reads, *writes):
            used[b] = True
        operations.append((f.text(label, f"{path}.name"), f.number(flops, f"{path}.flops"),
                           reads, writes))
    if not all(used):
        i = used.index(False)
        f.fail(f"buffers[{i}]", f"buffer {buffers[i][0]!r} is read or written by no operation")
    try:
        return Program.from_lists(name, buffers, operations)
    except InputError as exc:  # checked above; kept so that no fault escapes untyped
        raise InstanceFormatError(str(exc), source) from exc


def program_to_dict(program: Program, origin: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The tree :func:`program_from_dict` reads back as ``program``.

    :param program: the program.
    :param origin: the ``source`` object (strings saying where the program comes from).
    """
    def number(value: float) -> int | float:
        return int(value) if float(value).is_integer() else float(value)

    data: dict[str, Any] = {"format": PROGRAM_FORMAT, "version": FORMAT_VERSION,
                            "name": program.name}
    if origin:
        data["source"] = {str(k): str(v) for k, v in origin.items()}
    data["buffers"] = [[label, int(size), BufferKind(int(kind)).name.lower()]
                       for label, size, kind in zip(program.buffer_names, program.buffer_size,
                                                    program.buffer_kind)]
    data["operations"] = [[program.op_names[t], number(program.op_flops[t]),
                           program.reads(t).tolist(), program.writes(t).tolist()]
                          for t in range(program.n_operations)]
    return data


def format_program(program: Program, origin: Mapping[str, str] | None = None) -> str:
    """The program file's text: one buffer or operation per line, so a diff reads well."""
    data = program_to_dict(program, origin)
    head = {k: v for k, v in data.items() if k not in ("buffers", "operations")}
    lines = [json.dumps(head)[:-1] + ","]
    for key in ("buffers", "operations"):
        rows = [json.dumps(row, separators=(",", ":")) for row in data[key]]
        lines.append(f' "{key}": [\n  ' + ",\n  ".join(rows) + "\n ]"
                     + ("," if key == "buffers" else ""))
    return "\n".join(lines) + "\n}\n"


def write_program(program: Program, path: str | os.PathLike[str],
                  origin: Mapping[str, str] | None = None, make_folders: bool = False) -> None:
    """Write ``program`` so that :func:`read_program` gives it back, atomically; gzip-compressed
    when the name ends in ``.gz``.

    :param program: the program.
    :param path: the file to write.
    :param origin: the ``source`` object (strings saying where the program comes from).
    :param make_folders: create the file's missing folders (removed again if the write fails).
    """
    data = format_program(program, origin).encode("utf-8")
    with atomic_path(path, make_folders) as temporary:
        if str(path).endswith(".gz"):
            out = io.BytesIO()
            with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0,
                               compresslevel=9) as packed:
                packed.write(data)
            data = out.getvalue()
        temporary.write_bytes(data)


def _read_bytes(path: Path) -> bytes:
    if path.is_dir():
        raise PathError(path, "is a folder; expected a program file")
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise InstanceFormatError(f"larger than the limit of {MAX_FILE_BYTES:,} bytes",
                                      str(path))
        return path.read_bytes()
    except FileNotFoundError:
        raise MissingFileError(path, "no such program file") from None
    except OSError as exc:
        raise PathError(path, f"cannot be read ({exc.strerror})") from None


def _decompress(raw: bytes, source: str) -> bytes:
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(raw)) as packed:
            text = packed.read(MAX_TEXT_BYTES + 1)
    except (OSError, EOFError) as exc:
        raise InstanceFormatError(f"not a readable gzip file ({exc})", source) from None
    if len(text) > MAX_TEXT_BYTES:
        raise InstanceFormatError(f"expands to more than the limit of {MAX_TEXT_BYTES:,} bytes",
                                  source)
    return text


def parse_program(raw: bytes, source: str = "<bytes>") -> tuple[Program, dict[str, str]]:
    """Parse a program file's bytes (plain or gzip-compressed JSON).

    :return: the program and its ``source`` object (empty when the file has none).
    :raises InstanceFormatError: naming the file and the line or field at fault.
    """
    if raw[:2] == _GZIP_MAGIC:
        raw = _decompress(raw, source)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InstanceFormatError(f"not UTF-8 text ({exc.reason} at byte {exc.start}); "
                                  "expected a JSON program file", source) from None
    try:
        data = json.loads(text, object_pairs_hook=unique_keys)
    except json.JSONDecodeError as exc:
        raise InstanceFormatError(f"not valid JSON ({exc.msg}); expected a program file",
                                  source, exc.lineno) from None
    except (ValueError, RecursionError) as exc:  # a key given twice, nesting too deep
        raise InstanceFormatError(f"not a usable JSON program file ({exc})", source) from None
    program = program_from_dict(data, source)
    return program, dict(data.get("source", {}))


def read_program(path: str | os.PathLike[str]) -> Program:
    """Read a program file (format in the module docstring).

    :param path: a ``.json`` or ``.json.gz`` file.
    :raises InstanceFormatError: naming the file and the line or field at fault.
    :raises PathError: when the file cannot be read.
    """
    p = Path(path)
    return parse_program(_read_bytes(p), str(p))[0]
