"""What every case of the fuzz suite asserts, and the inputs it is made of.

A case hands a loader one file in a fresh folder of its own and expects one of two outcomes:
an error of the library's own (a :class:`DecisionGymError`) whose message names the file, or
a result that a format-specific check accepts. Anything else fails the case: another exception
type (a traceback a user would see), a call still running after :data:`CASE_TIMEOUT` seconds,
or a file left behind in the case's folder or in the working folder, which is the case's
folder while the loader runs.

The inputs are a table of hand-made cases per format plus mutations of a valid file drawn by
hypothesis (:func:`byte_mutations`, :func:`tree_mutations`), with settings that make every run
draw the same examples (:data:`FUZZ_SETTINGS`). :data:`OUTCOMES` counts what each format gave;
the suite's conftest prints the counts after the run.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import signal
import tempfile
import threading
import traceback
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from decisiongym.envs.core.errors import DecisionGymError

CASE_TIMEOUT = 20.0
"""Seconds one load (or one check of its result) may take before the case counts as a hang;
generous, so that a loaded machine or a first numba compilation never trips it."""

FUZZ_SETTINGS = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                         suppress_health_check=[HealthCheck.too_slow,
                                                HealthCheck.data_too_large])
"""The same examples on every run (CI is reproducible), no example database written."""

OUTCOMES: defaultdict[str, Counter[str]] = defaultdict(Counter)
"""Per format (or flag): how many cases were tried, ended in a clean error, gave a result."""

MUST_LOAD = "loads"
"""The ``expect`` of a hand-made case that must give a result, not an error."""


@dataclass(frozen=True)
class Case:
    """One hand-made input.

    :param name: what is wrong with it, the test's id.
    :param data: the file's bytes (text is encoded as UTF-8).
    :param expect: a fragment the error message must hold (the line or field at fault),
        :data:`MUST_LOAD`, or ``None`` when either outcome is right.
    """

    name: str
    data: bytes
    expect: str | None = None

    @classmethod
    def text(cls, name: str, text: str, expect: str | None = None) -> Case:
        return cls(name, text.encode("utf-8", "surrogatepass"), expect)

    @classmethod
    def tree(cls, name: str, tree: Any, expect: str | None = None) -> Case:
        """A JSON file of ``tree``; NaN and infinities are written as JSON's extensions."""
        return cls(name, json.dumps(tree).encode(), expect)


class Hang(BaseException):
    """A case ran past its time: a ``BaseException``, so no loader's ``except Exception``
    swallows it."""


@contextmanager
def time_guard(seconds: float, what: str) -> Iterator[None]:
    """Interrupt the block with :class:`Hang` after ``seconds`` of wall time (a SIGALRM
    timer; where there is none, the block runs unguarded). Code that holds the interpreter,
    such as a numba kernel, is interrupted when it hands control back."""
    if (not hasattr(signal, "setitimer")
            or threading.current_thread() is not threading.main_thread()):
        yield
        return

    def on_alarm(signum: int, frame: object) -> None:
        raise Hang(f"{what}: still running after {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def listing(folder: Path) -> set[str]:
    """Every path under ``folder``, hidden ones included, relative to it."""
    return {str(path.relative_to(folder)) for path in folder.rglob("*")}


Loader = Callable[[Path], Any]
Check = Callable[[Any, Path], None]


def run_case(fmt: str, load: Loader, data: bytes, file_name: str, *, case: str = "",
             expect: str | None = None, check: Check | None = None,
             beside: dict[str, bytes] | None = None,
             prepare: Callable[[Path], None] | None = None) -> DecisionGymError | Any:
    """Write ``data`` as ``file_name`` in a fresh folder, load it, and assert the outcome.

    :param fmt: the format, the key of :data:`OUTCOMES`.
    :param load: the loader, given the file's path.
    :param case: the case's name, for the messages.
    :param expect: as :attr:`Case.expect`.
    :param check: asserts that a result is right (given the result and the path).
    :param beside: other files written into the folder first, by name.
    :param prepare: called with the folder after the files are written.
    :return: the error, or the result.
    """
    label = f"{fmt} [{case}]" if case else fmt
    folder = Path(tempfile.mkdtemp(prefix="decisiongym-fuzz-"))
    cwd = os.getcwd()
    try:
        for name, content in (beside or {}).items():
            (folder / name).write_bytes(content)
        path = folder / file_name
        path.write_bytes(data)
        if prepare is not None:
            prepare(folder)
        before = listing(folder)
        outcome: Any
        os.chdir(folder)
        try:
            with time_guard(CASE_TIMEOUT, label):
                outcome = load(path)
        except DecisionGymError as exc:
            outcome = exc
        except Hang as exc:
            raise AssertionError(f"hang: {exc}") from None
        except BaseException as exc:  # the case's finding: a traceback a user would see
            raise AssertionError(
                f"{label}: {type(exc).__name__} escaped instead of a DecisionGymError:\n"
                + "".join(traceback.format_exception(exc))) from None
        finally:
            os.chdir(cwd)
        stray = listing(folder) - before
        assert not stray, f"{label}: files left behind: {sorted(stray)}"
        OUTCOMES[fmt]["tried"] += 1
        if isinstance(outcome, DecisionGymError):
            message = str(outcome)
            assert "\n" not in message.strip(), f"{label}: a message of several lines: {message}"
            assert path.name in message or str(folder) in message, (
                f"{label}: the message does not name the file: {message}")
            assert expect != MUST_LOAD, f"{label}: refused a valid file: {message}"
            if expect is not None:
                assert expect in message, f"{label}: expected {expect!r} in {message!r}"
            OUTCOMES[fmt]["clean error"] += 1
            return outcome
        assert expect in (None, MUST_LOAD), (
            f"{label}: loaded a file that should be refused with {expect!r}")
        if check is not None:
            with time_guard(CASE_TIMEOUT, f"{label} (check)"):
                check(outcome, path)
        OUTCOMES[fmt]["correct result"] += 1
        return outcome
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# -- mutations ----------------------------------------------------------------------------

NASTY_TOKENS: tuple[str, ...] = (
    "nan", "NaN", "inf", "-inf", "Infinity", "-1", "0", "-0", "1e400", "1e308", "-1e308",
    "1e-320", str(10**30), str(2**63), str(2**62), str(2**53 + 1), "9" * 400, "1.5", "0x10",
    "1_000", "\u0663", "x", "", "\x00", "null", "true", "[]", "{}", "\"", ",", "#", "\ufeff",
)
"""What a token of a valid file is replaced with: numbers no file should hold, non-numbers,
separators of the formats, a NUL, an Arabic-Indic digit (which ``int()`` reads) and a BOM."""

NASTY_VALUES: tuple[Any, ...] = (
    math.nan, math.inf, -math.inf, -1, 0, -0.0, 1e308, 1e-320, 10**30, 2**63, 10**400, 1.5,
    "x", "", "nan", None, True, False, [], {}, [[[[[[]]]]]], {"a": {"b": {}}}, "\x00",
)
"""What a value of a valid JSON tree is replaced with."""

_TOKEN = re.compile(rb"[^\s,:\[\]{}\"]+")


def _mutate_bytes(draw: st.DrawFn, data: bytes) -> bytes:
    kind = draw(st.sampled_from(("flip", "delete line", "duplicate line", "swap lines",
                                 "token", "truncate", "insert")))
    if not data:
        return draw(st.binary(max_size=16))
    if kind == "flip":
        at = draw(st.integers(0, len(data) - 1))
        return data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1:]
    if kind == "truncate":
        return data[:draw(st.integers(0, len(data) - 1))]
    if kind == "insert":
        at = draw(st.integers(0, len(data)))
        return data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at:]
    lines = data.split(b"\n")
    i = draw(st.integers(0, len(lines) - 1))
    if kind == "delete line":
        return b"\n".join(lines[:i] + lines[i + 1:])
    if kind == "duplicate line":
        return b"\n".join(lines[:i + 1] + lines[i:])
    if kind == "swap lines":
        j = draw(st.integers(0, len(lines) - 1))
        lines[i], lines[j] = lines[j], lines[i]
        return b"\n".join(lines)
    tokens = list(_TOKEN.finditer(data))
    if not tokens:
        return data
    token = tokens[draw(st.integers(0, len(tokens) - 1))]
    new = draw(st.sampled_from(NASTY_TOKENS)).encode()
    return data[:token.start()] + new + data[token.end():]


@st.composite
def byte_mutations(draw: st.DrawFn, valid: bytes, most: int = 3) -> bytes:
    """``valid`` after one to ``most`` mutations: a byte flipped, a line deleted, duplicated or
    swapped, a token replaced by one of :data:`NASTY_TOKENS`, a truncation, inserted bytes."""
    data = valid
    for _ in range(draw(st.integers(1, most))):
        data = _mutate_bytes(draw, data)
    return data


def _paths(tree: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(tree, dict):
        for key, value in tree.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            found += _paths(value, (*prefix, index))
    return found


def _mutate_tree(draw: st.DrawFn, tree: Any) -> Any:
    tree = json.loads(json.dumps(tree))
    paths = [path for path in _paths(tree) if path]
    if not paths:
        return draw(st.sampled_from(NASTY_VALUES))
    path = draw(st.sampled_from(paths))
    parent = tree
    for key in path[:-1]:
        parent = parent[key]
    last = path[-1]
    kind = draw(st.sampled_from(("replace", "replace", "delete", "copy")))
    if kind == "delete":
        del parent[last]
    elif kind == "copy" and isinstance(parent, list):
        parent.append(json.loads(json.dumps(parent[last])))
    else:
        parent[last] = draw(st.sampled_from(NASTY_VALUES))
    return tree


@st.composite
def tree_mutations(draw: st.DrawFn, valid: Any, most: int = 2) -> bytes:
    """A JSON file of ``valid`` after one to ``most`` changes (a value replaced by one of
    :data:`NASTY_VALUES`, a field or item deleted, a list item repeated), or, one time in
    four, the bytes of the valid file mutated by :func:`byte_mutations`."""
    if draw(st.integers(0, 3)) == 0:
        return draw(byte_mutations(json.dumps(valid, indent=1).encode()))
    tree = valid
    for _ in range(draw(st.integers(1, most))):
        tree = _mutate_tree(draw, tree)
    return json.dumps(tree).encode()


# -- hand-made inputs every text format gets ----------------------------------------------

def common_text_cases(valid: bytes) -> list[Case]:
    """Faults any text file can have, made from a valid one."""
    text = valid.decode()
    lines = text.splitlines(keepends=True)
    return [
        Case("empty file", b""),
        Case("only whitespace", b"  \n\t\n\n"),
        Case("only a newline", b"\n"),
        Case("NUL bytes", b"\x00" * 64),
        Case("undecodable bytes", b"\xff\xfe\xfa" + valid[:20]),
        Case("latin-1 byte in the middle", valid[: len(valid) // 2] + b"\xe9" +
             valid[len(valid) // 2:]),
        Case("UTF-16 of the valid file", text.encode("utf-16")),
        Case("a pickle", b"\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00N."),
        Case("a zip archive", b"PK\x03\x04" + b"\x00" * 26),
        Case("first half", valid[: len(valid) // 2]),
        Case("first line only", lines[0].encode()),
        Case("without the last line", "".join(lines[:-1]).encode()),
        Case("without the first line", "".join(lines[1:]).encode()),
        Case("the valid file twice", valid + valid),
        Case("CRLF line ends", text.replace("\n", "\r\n").encode()),
        Case("CR line ends", text.replace("\n", "\r").encode()),
        Case("a BOM first", b"\xef\xbb\xbf" + valid),
        Case("tabs for spaces", text.replace(" ", "\t").encode()),
        Case("a very long line", valid + b"1 " * 200_000 + b"\n"),
        Case("ten thousand blank lines", b"\n" * 10_000 + valid),
    ]

