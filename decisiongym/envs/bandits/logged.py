"""Logged bandit feedback for off-policy evaluation: the record, the OBD reader, a simulator.

A log holds, for each of ``n`` rounds, the context a logging policy saw, the action it took,
the reward that action earned and the probability (propensity) with which it was taken. Off-policy
estimators (:mod:`decisiongym.envs.bandits.ope`) turn such a log into the value of another
policy; on simulated logs the true expected rewards and the logging policy's full probabilities
are kept as well, so every estimate can be checked against the truth.

## The Open Bandit Dataset layout
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

## Synthetic logs in the same layout
:class:`SyntheticLogger` draws Gaussian contexts, rewards that are linear or logistic in the
context, and actions from a uniform or softmax logging policy. :func:`write_obd_csv` stores any
log in the OBD layout (atomically), so a simulated log reads back through :func:`read_obd`.
The simulator keeps its continuous context in the affinity columns (``dim`` of them, not one
per item) and writes, as ``user_feature_j`` for the first four context features, a hash of the
sign of that feature, so the categorical columns have OBD's shape and carry real signal.
"""

from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from decisiongym.envs.core.errors import InstanceFormatError
from decisiongym.envs.core.files import write_text_atomic

__all__ = [
    "LoggedBanditData",
    "SyntheticLogger",
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

UserFeatureEncoding = Literal["onehot", "codes", "drop"]


# --------------------------------------------------------------------------------------------
# The record
# --------------------------------------------------------------------------------------------


def _float_array(value: object, name: str, ndim: int) -> np.ndarray:
    """Return ``value`` as a read-only float64 array of ``ndim`` dimensions, or raise."""
    try:
        arr = np.array(value, dtype=np.float64, copy=True)
    except (TypeError, ValueError) as exc:
        raise InstanceFormatError(f"{name} must be an array of numbers ({exc})") from exc
    if arr.ndim != ndim:
        raise InstanceFormatError(f"{name} must have {ndim} dimension(s), found shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise InstanceFormatError(f"{name} must be finite numbers, found NaN or infinity")
    arr.flags.writeable = False
    return arr


def _frozen(arr: np.ndarray) -> np.ndarray:
    out = np.array(arr, copy=True)
    out.flags.writeable = False
    return out


@dataclass(frozen=True, eq=False)
class LoggedBanditData:
    """A log of bandit feedback: one row per round of the logging policy.

    :param contexts: ``(n, d)`` context of each round.
    :param actions: ``(n,)`` action taken, ``0 .. n_actions - 1``.
    :param rewards: ``(n,)`` reward observed for that action.
    :param propensities: ``(n,)`` probability the logging policy gave that action, in (0, 1].
    :param n_actions: number of actions ``K``; 0 infers ``actions.max() + 1``.
    :param positions: ``(n,)`` 0-based slot of the recommendation (OBD), or ``None``.
    :param action_context: ``(K, m)`` features of each action, or ``None``.
    :param expected_rewards: ``(n, K)`` true expected reward of every action in every round
        (simulated logs only), or ``None``.
    :param logging_probabilities: ``(n, K)`` the logging policy's full action distribution in
        every round (simulated logs only), or ``None``.
    :param timestamps: ``(n,)`` impression times as text, or ``None``.
    :param user_features: ``(n, u)`` raw categorical user features as text, or ``None``.
    :param affinities: ``(n, p)`` raw affinity columns, or ``None``.
    :param feature_names: name of each context column, or ``None``.
    """

    contexts: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    propensities: np.ndarray
    n_actions: int = 0
    positions: np.ndarray | None = None
    action_context: np.ndarray | None = None
    expected_rewards: np.ndarray | None = None
    logging_probabilities: np.ndarray | None = None
    timestamps: np.ndarray | None = None
    user_features: np.ndarray | None = None
    affinities: np.ndarray | None = None
    feature_names: tuple[str, ...] | None = field(default=None)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        contexts = _float_array(self.contexts, "contexts", 2)
        n = contexts.shape[0]
        if n < 1:
            raise InstanceFormatError("a log needs at least one round, found 0 rows")
        set_(self, "contexts", contexts)
        actions = np.asarray(self.actions)
        if actions.shape != (n,):
            raise InstanceFormatError(f"actions must have shape ({n},), found {actions.shape}")
        if actions.dtype.kind not in "iu":
            if actions.dtype.kind != "f" or not np.array_equal(actions, np.round(actions)):
                raise InstanceFormatError("actions must be integers")
        actions = actions.astype(np.int64)
        if actions.min() < 0:
            raise InstanceFormatError(f"actions must be >= 0, found {int(actions.min())}")
        n_actions = int(self.n_actions) if self.n_actions else int(actions.max()) + 1
        if actions.max() >= n_actions:
            raise InstanceFormatError(
                f"actions must be < n_actions = {n_actions}, found {int(actions.max())}"
            )
        set_(self, "actions", _frozen(actions))
        set_(self, "n_actions", n_actions)
        rewards = _float_array(self.rewards, "rewards", 1)
        if rewards.shape != (n,):
            raise InstanceFormatError(f"rewards must have shape ({n},), found {rewards.shape}")
        set_(self, "rewards", rewards)
        propensities = _float_array(self.propensities, "propensities", 1)
        if propensities.shape != (n,):
            raise InstanceFormatError(
                f"propensities must have shape ({n},), found {propensities.shape}"
            )
        bad = np.flatnonzero((propensities <= 0) | (propensities > 1))
        if bad.size:
            raise InstanceFormatError(
                f"propensities must lie in (0, 1], found {float(propensities[bad[0]])} "
                f"in row {int(bad[0])}"
            )
        set_(self, "propensities", propensities)
        if self.positions is not None:
            positions = np.asarray(self.positions)
            if positions.shape != (n,) or positions.dtype.kind not in "iu" or positions.min() < 0:
                raise InstanceFormatError(f"positions must be {n} integers >= 0")
            set_(self, "positions", _frozen(positions.astype(np.int64)))
        if self.action_context is not None:
            action_context = _float_array(self.action_context, "action_context", 2)
            if action_context.shape[0] != n_actions:
                raise InstanceFormatError(
                    f"action_context must have one row per action ({n_actions}), "
                    f"found {action_context.shape[0]}"
                )
            set_(self, "action_context", action_context)
        for name in ("expected_rewards", "logging_probabilities"):
            value = getattr(self, name)
            if value is None:
                continue
            arr = _float_array(value, name, 2)
            if arr.shape != (n, n_actions):
                raise InstanceFormatError(
                    f"{name} must have shape ({n}, {n_actions}), found {arr.shape}"
                )
            set_(self, name, arr)
        if self.logging_probabilities is not None:
            probs = self.logging_probabilities
            if (probs < 0).any() or not np.allclose(probs.sum(axis=1), 1.0, atol=1e-8):
                raise InstanceFormatError("logging_probabilities rows must be distributions")
            if not np.allclose(probs[np.arange(n), actions], propensities, rtol=1e-9, atol=0):
                raise InstanceFormatError(
                    "propensities must equal logging_probabilities at the logged actions"
                )
        for name in ("timestamps", "user_features"):
            value = getattr(self, name)
            if value is None:
                continue
            arr = np.asarray(value, dtype=str)
            if arr.shape[0] != n or arr.ndim != (1 if name == "timestamps" else 2):
                raise InstanceFormatError(f"{name} must have one row per round ({n})")
            set_(self, name, _frozen(arr))
        if self.affinities is not None:
            affinities = _float_array(self.affinities, "affinities", 2)
            if affinities.shape[0] != n:
                raise InstanceFormatError(f"affinities must have one row per round ({n})")
            set_(self, "affinities", affinities)
        if self.feature_names is not None:
            names = tuple(str(s) for s in self.feature_names)
            if len(names) != contexts.shape[1]:
                raise InstanceFormatError(
                    f"feature_names must name the {contexts.shape[1]} context columns, "
                    f"found {len(names)} names"
                )
            set_(self, "feature_names", names)

    @property
    def n_rounds(self) -> int:
        """Number of logged rounds ``n``."""
        return int(self.contexts.shape[0])

    @property
    def dim(self) -> int:
        """Context dimension ``d``."""
        return int(self.contexts.shape[1])

    def __len__(self) -> int:
        return self.n_rounds

    def take(self, rows: np.ndarray | slice) -> LoggedBanditData:
        """The sub-log of the given rows (an index array, a boolean mask or a slice).

        :param rows: which rounds to keep.
        :return: a new record sharing the per-action fields.
        """
        def pick(arr: np.ndarray | None) -> np.ndarray | None:
            return None if arr is None else arr[rows]

        return replace(
            self,
            contexts=self.contexts[rows],
            actions=self.actions[rows],
            rewards=self.rewards[rows],
            propensities=self.propensities[rows],
            positions=pick(self.positions),
            expected_rewards=pick(self.expected_rewards),
            logging_probabilities=pick(self.logging_probabilities),
            timestamps=pick(self.timestamps),
            user_features=pick(self.user_features),
            affinities=pick(self.affinities),
        )


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
            raise InstanceFormatError(
                f"the same number of fields on every line ({exc})", file=self.file, line=line
            ) from None
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

    def integers(self, name: str, minimum: int) -> np.ndarray:
        text = self.require(name)
        expected = f"an integer >= {minimum}"
        try:
            values = text.astype(np.int64)
        except (ValueError, OverflowError):
            for row, cell in enumerate(text):
                try:
                    int(cell)
                except ValueError:
                    raise self.fault(name, row, expected, cell) from None
            raise
        low = np.flatnonzero(values < minimum)
        if low.size:
            raise self.fault(name, int(low[0]), expected, text[low[0]])
        return values


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
    ids = table.integers("item_id", 0)
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
    :raises InstanceFormatError: naming the file, the line and the column at fault.
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
    actions = table.integers("item_id", 0)
    positions = table.integers("position", 1) - 1
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


def _default_timestamps(n: int) -> list[str]:
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
                  else _default_timestamps(data.n_rounds))
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


# --------------------------------------------------------------------------------------------
# The simulator
# --------------------------------------------------------------------------------------------


def _softmax(scores: np.ndarray) -> np.ndarray:
    shifted = scores - scores.max(axis=1, keepdims=True)
    weights = np.exp(shifted)
    return weights / weights.sum(axis=1, keepdims=True)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


class SyntheticLogger:
    """Simulated logged bandit feedback with known truth.

    Contexts are ``x ~ N(0, I_dim)``. Each action ``a`` has weights ``theta_a ~ N(0, I / dim)``
    and an offset ``b_a ~ N(0, 0.5^2)``, drawn once from the seed, so ``z_a = x . theta_a + b_a``
    has unit-order spread. Rewards:

    * ``"linear"``: expected reward ``z_a``, observed with Gaussian noise of std ``noise``;
    * ``"logistic"``: expected reward ``sigmoid(z_a)``, observed as a 0/1 click.

    Logging policies: ``"uniform"`` (``1 / K`` each) or ``"softmax"``
    (``softmax(beta * expected_reward)``; ``beta < 0`` logs against the reward). Each
    :meth:`sample` continues the same random stream, so successive logs are independent draws
    from one world. ``action_context`` is the identity (one-hot items), as in OBP's simulator.

    :param n_actions: number of actions ``K`` (>= 2).
    :param dim: context dimension (>= 1).
    :param reward: ``"linear"`` or ``"logistic"``.
    :param logging_policy: ``"uniform"`` or ``"softmax"``.
    :param beta: inverse temperature of the softmax logging policy.
    :param noise: reward noise std of the linear model.
    :param seed: seed of the world and of the logs.
    """

    def __init__(
        self,
        n_actions: int,
        dim: int,
        reward: Literal["linear", "logistic"] = "linear",
        logging_policy: Literal["uniform", "softmax"] = "uniform",
        beta: float = 1.0,
        noise: float = 1.0,
        seed: int | None = None,
    ) -> None:
        if n_actions < 2:
            raise ValueError(f"n_actions must be >= 2, got {n_actions}")
        if dim < 1:
            raise ValueError(f"dim must be >= 1, got {dim}")
        if reward not in ("linear", "logistic"):
            raise ValueError(f"reward must be 'linear' or 'logistic', got {reward!r}")
        if logging_policy not in ("uniform", "softmax"):
            raise ValueError(
                f"logging_policy must be 'uniform' or 'softmax', got {logging_policy!r}"
            )
        if noise < 0:
            raise ValueError(f"noise must be >= 0, got {noise}")
        self.n_actions = int(n_actions)
        self.dim = int(dim)
        self.reward = reward
        self.logging_policy = logging_policy
        self.beta = float(beta)
        self.noise = float(noise)
        self.rng = np.random.default_rng(seed)
        self.theta = self.rng.normal(0.0, 1.0 / np.sqrt(self.dim), (self.n_actions, self.dim))
        self.offset = self.rng.normal(0.0, 0.5, self.n_actions)
        self._hashes = [
            [hashlib.md5(f"{USER_FEATURE_PREFIX}{j}={s}".encode()).hexdigest() for s in (0, 1)]
            for j in range(min(4, self.dim))
        ]

    def expected_rewards(self, contexts: np.ndarray) -> np.ndarray:
        """``(n, K)`` expected reward of every action in each context.

        :param contexts: ``(n, dim)`` contexts.
        """
        z = np.asarray(contexts, dtype=np.float64) @ self.theta.T + self.offset
        return z if self.reward == "linear" else _sigmoid(z)

    def logging_probabilities(self, contexts: np.ndarray) -> np.ndarray:
        """``(n, K)`` probabilities the logging policy gives each action.

        :param contexts: ``(n, dim)`` contexts.
        """
        n = np.asarray(contexts).shape[0]
        if self.logging_policy == "uniform":
            return np.full((n, self.n_actions), 1.0 / self.n_actions)
        return _softmax(self.beta * self.expected_rewards(contexts))

    def sample(self, n_rounds: int) -> LoggedBanditData:
        """Draw a log of ``n_rounds`` rounds.

        :param n_rounds: number of rounds (>= 1).
        :return: the log, with ``expected_rewards`` and ``logging_probabilities`` filled in.
        """
        if n_rounds < 1:
            raise ValueError(f"n_rounds must be >= 1, got {n_rounds}")
        rng = self.rng
        contexts = rng.normal(size=(n_rounds, self.dim))
        expected = self.expected_rewards(contexts)
        probs = self.logging_probabilities(contexts)
        # Inverse-CDF sampling draws all rounds at once; the clip guards rounding at 1.0.
        cumulative = np.cumsum(probs, axis=1)
        actions = (rng.random((n_rounds, 1)) > cumulative).sum(axis=1)
        actions = np.minimum(actions, self.n_actions - 1)
        rows = np.arange(n_rounds)
        mean = expected[rows, actions]
        if self.reward == "linear":
            rewards = mean + self.noise * rng.normal(size=n_rounds)
        else:
            rewards = (rng.random(n_rounds) < mean).astype(np.float64)
        user = np.column_stack(
            [np.where(contexts[:, j] > 0, positive, negative)
             for j, (negative, positive) in enumerate(self._hashes)]
        )
        return LoggedBanditData(
            contexts=contexts,
            actions=actions,
            rewards=rewards,
            propensities=probs[rows, actions],
            n_actions=self.n_actions,
            positions=np.zeros(n_rounds, dtype=np.int64),
            action_context=np.eye(self.n_actions),
            expected_rewards=expected,
            logging_probabilities=probs,
            timestamps=np.array(_default_timestamps(n_rounds)),
            user_features=user,
            affinities=contexts,
            feature_names=tuple(f"{AFFINITY_PREFIX}{j}" for j in range(self.dim)),
        )
