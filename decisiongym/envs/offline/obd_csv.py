"""The Open Bandit Dataset's CSV layout: reading a log from it and writing one in it.

One CSV per (logging policy, campaign), e.g. ``random/all/all.csv``, comma-separated, with a
header line and these columns (the order of the named ones does not matter):

================================  ==============================================================
column                            content
================================  ==============================================================
(unnamed, first)                  row index written by pandas; ignored
``timestamp``                     impression time, kept as text
``item_id``                       the action, an integer ``0 .. n_items - 1``
``position``                      slot of the recommendation, ``1, 2, 3`` (stored 0-based)
``click``                         the reward (0/1 in OBD; any finite number is accepted)
``propensity_score``              probability the logger gave the item at that slot, in (0, 1]
``user_feature_0`` ...            hashed categorical user features (32-hex-digit strings)
``user-item_affinity_0`` ...      user-item affinity scores, one per item in OBD
================================  ==============================================================

Beside it, ``item_context.csv`` (when present) has an unnamed index column, ``item_id`` and
``item_feature_0 ...``; OBD's ``item_feature_0`` is numeric and the others are hashed strings.

The reader builds the context matrix from the user features and the affinities:
``user_features="onehot"`` (default) gives one 0/1 column per distinct value of each user
feature, categories in sorted order and none dropped; ``"codes"`` gives one column per feature
holding the index of the value in that sorted order; ``"drop"`` leaves them out.
``affinities=False`` leaves the affinity columns out. ``feature_names`` names every context
column (``"user_feature_0=<hash>"``, ``"user_feature_0"``, ``"user-item_affinity_3"``). Item
features become ``action_context``: numeric columns as they are, text columns as sorted codes.

:func:`write_obd_csv` stores any log in the same layout (atomically), so a simulated log
(:class:`~decisiongym.envs.offline.synthetic_bandit_log.SyntheticLogger`) reads back through
:func:`read_obd`.
"""

from __future__ import annotations

import io
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from decisiongym.envs.core.errors import InstanceFormatError
from decisiongym.envs.core.files import write_text_atomic
from decisiongym.envs.offline.logged_bandit import LoggedBanditData

__all__ = [
    "AFFINITY_PREFIX",
    "USER_FEATURE_PREFIX",
    "default_timestamps",
    "format_obd_csv",
    "read_obd",
    "write_obd_csv",
]

REQUIRED_COLUMNS: tuple[str, ...] = (
    "timestamp", "item_id", "position", "click", "propensity_score",
)
USER_FEATURE_PREFIX = "user_feature_"
AFFINITY_PREFIX = "user-item_affinity_"
ITEM_CONTEXT_FILE = "item_context.csv"
MAX_ITEMS = 1_000_000
"""Most items (actions) a log file may name, so that the arrays over items stay small (OBD has
80); a :class:`LoggedBanditData` built in Python has no such limit."""

UserFeatureEncoding = Literal["onehot", "codes", "drop"]


# --------------------------------------------------------------------------------------------
# Reading the OBD layout
# --------------------------------------------------------------------------------------------


class _Table:
    """A CSV read as text, with what is needed to point at a cell in an error message."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.file = str(path)
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, skip_blank_lines=False)
        except pd.errors.EmptyDataError:
            raise InstanceFormatError("a header line and at least one data row",
                                      file=self.file, line=1) from None
        except pd.errors.ParserError as exc:
            # pandas names the physical line that has too many fields; keep its words.
            line = _parser_error_line(str(exc))
            words = (str(exc).strip().splitlines() or ["unreadable"])[0]
            raise InstanceFormatError(
                f"the same number of fields on every line ({words})", file=self.file, line=line
            ) from None
        except UnicodeDecodeError as exc:
            raise InstanceFormatError(f"UTF-8 text, found byte {exc.object[exc.start]:#04x} at "
                                      f"offset {exc.start}", file=self.file) from None
        if not isinstance(frame.index, pd.RangeIndex):
            # pandas reads the leading fields of rows longer than the header as an index, which
            # would shift every named column
            raise InstanceFormatError(
                f"as many header names as fields on each data line, found "
                f"{frame.index.nlevels} field(s) more on the data lines", file=self.file, line=2)
        self.header = [str(c) for c in frame.columns]
        self.index_column: str | None
        if self.header and (self.header[0] == "" or self.header[0].startswith("Unnamed: ")):
            self.index_column = self.header[0]
        else:
            self.index_column = None
        self.frame = frame
        if len(frame) == 0:
            raise InstanceFormatError("at least one data row after the header",
                                      file=self.file, line=2)
        blank = np.flatnonzero((frame == "").all(axis=1).to_numpy())
        if blank.size:
            raise InstanceFormatError("a data row, found a blank line",
                                      file=self.file, line=int(blank[0]) + 2)

    def require(self, name: str) -> np.ndarray:
        if name not in self.frame.columns:
            raise InstanceFormatError(
                f"a column named {name!r}, which is missing (the header has: "
                f"{', '.join(repr(c) for c in self.header if c != self.index_column)})",
                file=self.file, line=1,
            )
        return self.frame[name].to_numpy(dtype=str)

    def columns_with_prefix(self, prefix: str) -> list[str]:
        found = [c for c in self.header if c.startswith(prefix)]
        # Numeric suffixes sort numerically so affinity_10 follows affinity_9.
        return sorted(found, key=lambda c: (len(c), c))

    def where(self, name: str) -> str:
        return f"column {name!r} (column {self.header.index(name) + 1})"

    def fault(self, name: str, row: int, expected: str, found: str) -> InstanceFormatError:
        return InstanceFormatError(
            f"{self.where(name)}: expected {expected}, found {found!r}",
            file=self.file, line=row + 2,
        )

    def numbers(self, name: str, expected: str = "a finite number") -> np.ndarray:
        text = self.require(name)
        try:
            values = text.astype(np.float64)
        except ValueError:
            values = None
        if values is None or not np.isfinite(values).all():
            for row, cell in enumerate(text):
                try:
                    value = float(cell)
                except ValueError:
                    raise self.fault(name, row, expected, cell) from None
                if not np.isfinite(value):
                    raise self.fault(name, row, expected, cell)
            values = np.array([float(cell) for cell in text])
        return values

    def integers(self, name: str, minimum: int, maximum: int) -> np.ndarray:
        text = self.require(name)
        expected = f"an integer in [{minimum}, {maximum:,}]"
        try:
            values = text.astype(np.int64)
        except (ValueError, OverflowError):
            values = None
        if values is not None and ((values >= minimum) & (values <= maximum)).all():
            return values
        for row, cell in enumerate(text):
            try:
                value = int(cell)
            except ValueError:
                raise self.fault(name, row, expected, cell) from None
            if not minimum <= value <= maximum:
                raise self.fault(name, row, expected, cell[:40])
        return np.array([int(cell) for cell in text], dtype=np.int64)


def _parser_error_line(message: str) -> int | None:
    words = message.replace(",", " ").split()
    for before, word in zip(words, words[1:]):
        if before == "line" and word.isdigit():
            return int(word)
    return None


def _encode_categories(
    text: np.ndarray, name: str, encoding: UserFeatureEncoding
) -> tuple[np.ndarray, list[str], list[str]]:
    """Encode one categorical column; return its columns, their names and the categories."""
    categories, codes = np.unique(text, return_inverse=True)
    if encoding == "codes":
        return codes.astype(np.float64)[:, None], [name], list(categories)
    onehot = np.zeros((text.shape[0], categories.size))
    onehot[np.arange(text.shape[0]), codes] = 1.0
    return onehot, [f"{name}={c}" for c in categories], list(categories)


def _find_log_file(path: Path) -> Path:
    if path.is_file():
        return path
    if not path.is_dir():
        raise FileNotFoundError(f"no OBD log at {path}: expected a CSV file or a folder")
    named = path / f"{path.name}.csv"
    if named.is_file():
        return named
    candidates = sorted(p for p in path.glob("*.csv") if p.name != ITEM_CONTEXT_FILE)
    if len(candidates) == 1:
        return candidates[0]
    raise InstanceFormatError(
        f"exactly one log CSV besides {ITEM_CONTEXT_FILE} (or one named {path.name}.csv), "
        f"found {len(candidates)}: {', '.join(p.name for p in candidates) or 'none'}",
        file=str(path),
    )


def _read_item_context(path: Path, n_items: int) -> tuple[np.ndarray, int]:
    """Read ``item_context.csv``; return ``(action_context, n_items)`` with one row per item."""
    table = _Table(path)
    ids = table.integers("item_id", 0, MAX_ITEMS - 1)
    features = [c for c in table.header
                if c not in ("item_id", table.index_column) and c != ""]
    n = max(n_items, int(ids.max()) + 1)
    if np.unique(ids).size != ids.size:
        row = int(np.flatnonzero(pd.Series(ids).duplicated().to_numpy())[0])
        raise table.fault("item_id", row, "each item once", str(ids[row]))
    columns = []
    for name in features:
        text = table.require(name)
        try:
            columns.append(table.numbers(name))
        except InstanceFormatError:
            # Hashed item features are text in OBD; code them like OBP's label encoding.
            columns.append(np.unique(text, return_inverse=True)[1].astype(np.float64))
    context = np.zeros((n, len(columns)))
    if columns:
        context[ids] = np.column_stack(columns)
    return context, n


def read_obd(
    path: str | os.PathLike[str],
    *,
    user_features: UserFeatureEncoding = "onehot",
    affinities: bool = True,
    n_actions: int | None = None,
    item_context: bool = True,
) -> LoggedBanditData:
    """Read a log in the Open Bandit Dataset CSV layout (see the module docstring).

    :param path: the CSV file, or a folder holding it (``random/all`` holds ``all.csv``).
    :param user_features: how the hashed user features enter the context: ``"onehot"``,
        ``"codes"`` or ``"drop"``.
    :param affinities: whether the ``user-item_affinity_*`` columns enter the context.
    :param n_actions: number of items; default the larger of ``max(item_id) + 1`` and the
        number of rows of ``item_context.csv``.
    :param item_context: whether to read ``item_context.csv`` from the log's folder when it is
        there.
    :return: the log, rows in file order, positions 0-based.
    :raises InstanceFormatError: naming the file, the line and the column at fault (an item
        id or position above :data:`MAX_ITEMS` included).
    """
    if user_features not in ("onehot", "codes", "drop"):
        raise ValueError(
            f"user_features must be 'onehot', 'codes' or 'drop', got {user_features!r}"
        )
    log_file = _find_log_file(Path(path))
    table = _Table(log_file)
    for name in REQUIRED_COLUMNS:
        table.require(name)
    timestamps = table.require("timestamp")
    actions = table.integers("item_id", 0, MAX_ITEMS - 1)
    positions = table.integers("position", 1, MAX_ITEMS) - 1
    rewards = table.numbers("click")
    propensity_text = table.require("propensity_score")
    propensities = table.numbers("propensity_score", "a probability in (0, 1]")
    outside = np.flatnonzero((propensities <= 0) | (propensities > 1))
    if outside.size:
        row = int(outside[0])
        raise table.fault("propensity_score", row, "a probability in (0, 1]",
                          propensity_text[row])

    user_columns = table.columns_with_prefix(USER_FEATURE_PREFIX)
    raw_user = (np.column_stack([table.require(c) for c in user_columns])
                if user_columns else None)
    affinity_columns = table.columns_with_prefix(AFFINITY_PREFIX)
    raw_affinity = (np.column_stack([table.numbers(c) for c in affinity_columns])
                    if affinity_columns else None)

    blocks: list[np.ndarray] = []
    names: list[str] = []
    if user_features != "drop" and raw_user is not None:
        for j, column in enumerate(user_columns):
            block, block_names, _ = _encode_categories(raw_user[:, j], column, user_features)
            blocks.append(block)
            names.extend(block_names)
    if affinities and raw_affinity is not None:
        blocks.append(raw_affinity)
        names.extend(affinity_columns)
    contexts = np.hstack(blocks) if blocks else np.zeros((actions.size, 0))

    n_items = int(actions.max()) + 1
    action_context = None
    item_file = log_file.parent / ITEM_CONTEXT_FILE
    if item_context and item_file.is_file() and item_file != log_file:
        action_context, n_items = _read_item_context(item_file, n_items)
    if n_actions is not None:
        if n_actions < n_items:
            raise InstanceFormatError(
                f"n_actions = {n_actions} or more items (the files name {n_items})",
                file=str(log_file),
            )
        if action_context is not None and n_actions > action_context.shape[0]:
            pad = np.zeros((n_actions - action_context.shape[0], action_context.shape[1]))
            action_context = np.vstack([action_context, pad])
        n_items = n_actions

    return LoggedBanditData(
        contexts=contexts,
        actions=actions,
        rewards=rewards,
        propensities=propensities,
        n_actions=n_items,
        positions=positions,
        action_context=action_context,
        timestamps=timestamps,
        user_features=raw_user,
        affinities=raw_affinity,
        feature_names=tuple(names),
    )


# --------------------------------------------------------------------------------------------
# Writing the OBD layout
# --------------------------------------------------------------------------------------------


def _number(value: float) -> str:
    # repr is the shortest text that reads back to the same double.
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def default_timestamps(n: int) -> list[str]:
    """``n`` impression times one second apart from OBD's first day, in its text format.

    :param n: number of rounds.
    """
    start = datetime(2019, 11, 24, tzinfo=timezone.utc)
    return [(start + timedelta(seconds=i)).isoformat(sep=" ", timespec="microseconds")
            for i in range(n)]


def format_obd_csv(data: LoggedBanditData) -> str:
    """The log as the text of an OBD-layout CSV (the affinity columns hold ``data.affinities``,
    or the contexts when the log has no affinities).

    :param data: the log.
    :return: the file content, one line per round after the header, ending with a newline.
    """
    user = data.user_features
    affinity = data.affinities if data.affinities is not None else data.contexts
    header = ["", *REQUIRED_COLUMNS]
    if user is not None:
        header += [f"{USER_FEATURE_PREFIX}{j}" for j in range(user.shape[1])]
    header += [f"{AFFINITY_PREFIX}{j}" for j in range(affinity.shape[1])]
    timestamps = (data.timestamps.tolist() if data.timestamps is not None
                  else default_timestamps(data.n_rounds))
    positions = (data.positions + 1).tolist() if data.positions is not None \
        else [1] * data.n_rounds
    out = io.StringIO()
    out.write(",".join(header) + "\n")
    for i in range(data.n_rounds):
        fields = [str(i), timestamps[i], str(int(data.actions[i])), str(positions[i]),
                  _number(data.rewards[i]), _number(data.propensities[i])]
        if user is not None:
            fields.extend(user[i].tolist())
        fields.extend(_number(v) for v in affinity[i])
        out.write(",".join(fields) + "\n")
    return out.getvalue()


def _format_item_context(action_context: np.ndarray) -> str:
    header = ["", "item_id", *(f"item_feature_{j}" for j in range(action_context.shape[1]))]
    lines = [",".join(header)]
    for item, row in enumerate(action_context):
        lines.append(",".join([str(item), str(item), *(_number(v) for v in row)]))
    return "\n".join(lines) + "\n"


def write_obd_csv(data: LoggedBanditData, path: str | os.PathLike[str]) -> Path:
    """Write the log in the OBD layout, atomically; also ``item_context.csv`` beside it when
    the log has an ``action_context``.

    Text fields (timestamps, hashed user features) must not contain commas or line breaks.

    :param data: the log.
    :param path: destination CSV file, or an existing folder (the file is then
        ``<folder>/<folder name>.csv`` as in OBD).
    :return: the path of the CSV written.
    """
    target = Path(path)
    if target.is_dir():
        target = target / f"{target.name}.csv"
    for name in ("timestamps", "user_features"):
        value = getattr(data, name)
        if value is not None and any(("," in s or "\n" in s or "\r" in s)
                                     for s in np.ravel(value)):
            raise ValueError(f"{name} must not contain commas or line breaks")
    write_text_atomic(format_obd_csv(data), target)
    if data.action_context is not None:
        write_text_atomic(_format_item_context(data.action_context),
                          target.parent / ITEM_CONTEXT_FILE)
    return target
