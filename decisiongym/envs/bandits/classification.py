"""Classification data sets as contextual bandits: each round, guess the class of one row.

The usual reduction of supervised data to a bandit (as in the NeuCB and online-regression
papers): the arms are the classes, the context is a feature row, the reward is 1 for the right
class and 0 otherwise, and only the reward of the guessed class is revealed.

Data come from scikit-learn's bundled data sets (nothing is downloaded), a CSV file with a
header, a NumPy ``.npy`` / ``.npz`` file, or a ``(features, labels)`` pair in memory.
"""

from __future__ import annotations

import math
import os
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from decisiongym.envs.bandits.base import BanditEnv
from decisiongym.envs.core.errors import InputError, InstanceFormatError, MissingFileError

BUNDLED = ("digits", "wine", "iris", "breast_cancer")
"""scikit-learn's bundled classification data sets, by the name ``dataset`` takes."""

FILE_SUFFIXES = (".csv", ".npy", ".npz")

# Cell spellings a CSV uses for "no value"; they are reported as missing, not as non-numeric.
_MISSING = frozenset({"", "nan", "na", "n/a", "null", "none"})

DatasetSource = str | os.PathLike[str] | tuple[Any, Any]


@dataclass(frozen=True)
class ClassificationData:
    """A validated classification data set.

    :param features: ``(n_samples, n_features)`` float64 features, as read (not standardized).
    :param labels: ``(n_samples,)`` class indices in ``0..n_classes-1``.
    :param class_names: name of each class index (classes are sorted, numerically when all
        labels are numbers).
    :param source: where the data came from (a bundled name, a file path, ``"<memory>"``).
    """

    features: np.ndarray
    labels: np.ndarray
    class_names: tuple[str, ...]
    source: str

    @property
    def n_classes(self) -> int:
        """Number of classes (the bandit's arms)."""
        return len(self.class_names)


class _Faults:
    """Builds the error of one source: ``InstanceFormatError`` for a file, else ``ValueError``."""

    def __init__(self, file: str | None, describe_column: Callable[[int], str]) -> None:
        self.file = file
        self.describe_column = describe_column

    def error(self, message: str, line: int | None = None) -> ValueError:
        if self.file is None:
            return ValueError(f"in-memory data: {message}")
        return InstanceFormatError(message, self.file, line)


def load_classification_data(dataset: DatasetSource = "digits",
                             label: str | int = "label") -> ClassificationData:
    """Read and check a classification data set.

    :param dataset: a bundled name (``BUNDLED``), a path to a ``.csv``, ``.npy`` or ``.npz``
        file, or a ``(features, labels)`` pair of arrays.
    :param label: CSV: the name of the label column (the file must have a header row).
        ``.npy``: the index of the label column. ``.npz``: the name of the label array (the
        features are the array named ``features``, else the only other array), or a column
        index when the archive holds a single 2-D array. Ignored for bundled and in-memory data.
    :return: the checked data with classes mapped to ``0..K-1`` in sorted order.
    :raises InstanceFormatError: a file lacks the label column, holds a missing, infinite,
        complex or non-numeric feature, or only one class, has rows longer than its header, or
        (NumPy) an array whose header declares more data than the file holds; the message names
        the file, line/row and column.
    :raises ValueError: the same faults in in-memory data.
    :raises InputError: an unknown data set name.
    :raises MissingFileError: the path does not exist.
    """
    if isinstance(dataset, tuple | list):
        if len(dataset) != 2:
            raise ValueError(f"in-memory data must be a (features, labels) pair, got "
                             f"{len(dataset)} items")
        faults = _Faults(None, lambda col: f"column {col}")
        features = _as_matrix(np.asarray(dataset[0]), faults)
        return _finish(features, np.asarray(dataset[1]), "<memory>", faults)
    name = os.fspath(dataset)
    key = name.lower().replace("-", "_")
    if key in BUNDLED and not Path(name).suffix:
        return _load_bundled(key)
    path = Path(name)
    if path.suffix.lower() not in FILE_SUFFIXES:
        raise InputError(f"unknown data set {name!r}: give one of {BUNDLED} or a path ending in "
                         f"{', '.join(FILE_SUFFIXES)}", "dataset")
    if not path.is_file():
        raise MissingFileError(name, "no such file")
    if path.suffix.lower() == ".csv":
        return _load_csv(path, label)
    return _load_numpy(path, label)


def _load_bundled(name: str) -> ClassificationData:
    # scikit-learn is heavy to import; only the bundled data sets need it
    from sklearn import datasets

    bunch = getattr(datasets, f"load_{name}")()
    faults = _Faults(None, lambda col: f"column {col}")
    data = _finish(np.asarray(bunch.data, dtype=np.float64), np.asarray(bunch.target), name,
                   faults)
    # the targets are 0..K-1 already, in the order of target_names
    names = tuple(str(bunch.target_names[int(code)]) for code in data.class_names)
    return ClassificationData(data.features, data.labels, names, name)


def _load_csv(path: Path, label: str | int) -> ClassificationData:
    import pandas as pd

    file = str(path)
    if not isinstance(label, str):
        raise InstanceFormatError(f"label must name a column of the header row, got {label!r}",
                                  file)
    try:
        # strings throughout, so that every cell is judged here (missing vs non-numeric)
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skip_blank_lines=False)
    except pd.errors.EmptyDataError:
        raise InstanceFormatError("the file is empty; expected a header row, then data rows",
                                  file) from None
    except pd.errors.ParserError as exc:
        raise InstanceFormatError(f"not a well-formed CSV ({_first_line(exc)})", file) from None
    except UnicodeDecodeError as exc:
        raise InstanceFormatError(f"not a UTF-8 text file ({exc.reason} at byte {exc.start})",
                                  file) from None
    if not isinstance(frame.index, pd.RangeIndex):
        # pandas reads the leading fields of rows longer than the header as an index
        raise InstanceFormatError(f"the data rows have {frame.index.nlevels} field(s) more than "
                                  "the header row names; give every column a name", file, 2)
    columns = [str(column) for column in frame.columns]
    if label not in columns:
        if all(_is_number(column) for column in columns):
            raise InstanceFormatError(
                f"no label column {label!r}: the first line looks like data; a header row "
                f"naming the columns is required", file, 1)
        raise InstanceFormatError(f"no label column {label!r}; the columns are "
                                  f"{', '.join(repr(c) for c in columns)}", file, 1)
    cells = frame.to_numpy(dtype=str)
    blank = np.all(np.char.strip(cells) == "", axis=1)
    # trailing empty lines are the end of the file, not rows of missing values
    n_rows = len(cells) - int(np.argmin(blank[::-1])) if not blank.all() else 0
    cells = cells[:n_rows]
    if n_rows == 0:
        raise InstanceFormatError("no data rows after the header", file)
    label_index = columns.index(label)
    feature_columns = [i for i in range(len(columns)) if i != label_index]
    if not feature_columns:
        raise InstanceFormatError(f"only the label column {label!r}; no feature columns", file, 1)

    missing = np.isin(np.char.lower(np.char.strip(cells)), list(_MISSING))
    if missing.any():
        row, col = np.argwhere(missing)[0]
        raise InstanceFormatError(f"missing value (NaN) in column {columns[col]!r}", file,
                                  int(row) + 2)
    values = pd.DataFrame(cells).apply(pd.to_numeric, errors="coerce").to_numpy(np.float64)
    features = values[:, feature_columns]
    bad = np.isnan(features)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        column = columns[feature_columns[col]]
        raise InstanceFormatError(f"non-numeric value {str(cells[row, feature_columns[col]])!r} "
                                  f"in feature column {column!r}", file, int(row) + 2)
    bad = np.isinf(features)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise InstanceFormatError(f"infinite value in feature column "
                                  f"{columns[feature_columns[col]]!r}", file, int(row) + 2)
    label_values = values[:, label_index]
    # numbers sort numerically (2 before 10); anything else sorts as text
    labels = label_values if not np.isnan(label_values).any() else cells[:, label_index]
    faults = _Faults(file, lambda col: f"column {columns[feature_columns[col]]!r}")
    return _finish(features, labels, file, faults, label_name=f"column {label!r}")


def _check_declared_size(stream: IO[bytes], size: int, file: str, within: str) -> None:
    """Refuse an array whose header declares more data than its file holds, before NumPy
    allocates room for it (a header can declare any shape)."""
    version = np.lib.format.read_magic(stream)
    read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                   else np.lib.format.read_array_header_2_0)
    shape, _, dtype = read_header(stream)
    if dtype.hasobject:
        return  # refused by np.load, which reads no pickle
    declared = math.prod(shape) * dtype.itemsize
    if declared > size:
        raise InstanceFormatError(f"the array{within} declares shape {shape} of {dtype}, "
                                  f"{declared:,} bytes, but the file holds {size:,}", file)


def _check_numpy_headers(path: Path, file: str) -> None:
    """:func:`_check_declared_size` for the one array of a ``.npy`` or each of a ``.npz``."""
    if not zipfile.is_zipfile(path):
        with open(path, "rb") as stream:
            _check_declared_size(stream, path.stat().st_size, file, "")
        return
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            if info.filename.endswith(".npy"):
                with archive.open(info) as member:
                    _check_declared_size(member, info.file_size, file,
                                         f" {info.filename.removesuffix('.npy')!r}")


def _load_numpy(path: Path, label: str | int) -> ClassificationData:
    file = str(path)
    try:
        _check_numpy_headers(path, file)
        loaded = np.load(path, allow_pickle=False)
        arrays = None
        if not isinstance(loaded, np.ndarray):
            # an archive reads each array when asked: ask here, where its faults are caught
            with loaded as archive:
                arrays = {key: archive[key] for key in archive.files}
    except ValueError as exc:
        raise InstanceFormatError(f"cannot read NumPy data ({exc}); save numeric arrays "
                                  f"without Python objects", file) from None
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        # EOFError: an empty or cut file; zlib.error: a damaged compressed array
        raise InstanceFormatError(f"not a NumPy file ({_first_line(exc)})", file) from None
    if arrays is None:
        return _split_label_column(loaded, label, file, "")
    for key, value in arrays.items():
        if not isinstance(value, np.ndarray):  # np.load hands other members over as bytes
            raise InstanceFormatError(f"member {key!r} of the archive is not a NumPy array "
                                      "(.npy)", file)
    index = _column_index(label)
    if index is not None:
        if len(arrays) != 1:
            raise InstanceFormatError(f"label={label!r} is a column index, but the archive holds "
                                      f"{len(arrays)} arrays ({', '.join(arrays)}); name the "
                                      f"label array instead", file)
        (key, array), = arrays.items()
        return _split_label_column(array, label, file, f" of array {key!r}")
    if not isinstance(label, str):
        raise InstanceFormatError(f"label must name an array of the archive, got {label!r}", file)
    if label not in arrays:
        raise InstanceFormatError(f"no label array {label!r}; the arrays are "
                                  f"{', '.join(repr(k) for k in arrays) or 'none'}", file)
    others = [key for key in arrays if key != label]
    if "features" in others:
        feature_key = "features"
    elif len(others) == 1:
        feature_key = others[0]
    else:
        raise InstanceFormatError(f"cannot tell the features among the arrays "
                                  f"{', '.join(repr(k) for k in others) or 'none'}: name the "
                                  f"features array 'features'", file)
    faults = _Faults(file, lambda col: f"column {col} of array {feature_key!r}")
    features = arrays[feature_key]
    if features.ndim == 1:
        features = features.reshape(-1, 1)
    features = _as_matrix(features, faults)
    labels = arrays[label]
    return _finish(features, labels, file, faults, label_name=f"array {label!r}")


def _split_label_column(array: np.ndarray, label: str | int, file: str,
                        within: str) -> ClassificationData:
    index = _column_index(label)
    if index is None:
        raise InstanceFormatError(f"a single array holds the labels in one of its columns: give "
                                  f"label=<column index>, not {label!r}", file)
    if array.ndim != 2:
        raise InstanceFormatError(f"expected a 2-D array (rows x columns){within}, got shape "
                                  f"{array.shape}", file)
    n_columns = array.shape[1]
    if not -n_columns <= index < n_columns:
        raise InstanceFormatError(f"label column {index} is out of range: the array{within} has "
                                  f"{n_columns} columns", file)
    index %= n_columns
    if n_columns < 2:
        raise InstanceFormatError(f"only the label column{within}; no feature columns", file)
    kept = [col for col in range(n_columns) if col != index]
    faults = _Faults(file, lambda col: f"column {kept[col]}{within}")
    features = _as_matrix(array[:, kept], faults)
    return _finish(features, array[:, index], file, faults,
                   label_name=f"label column {index}{within}")


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _column_index(label: str | int) -> int | None:
    if isinstance(label, bool):
        return None
    if isinstance(label, int | np.integer):
        return int(label)
    if isinstance(label, str) and label.lstrip("-").isdigit():
        return int(label)
    return None


def _as_matrix(features: np.ndarray, faults: _Faults) -> np.ndarray:
    """Check the features are a numeric, finite 2-D array; return them as float64."""
    if features.ndim != 2:
        raise faults.error(f"features must be a 2-D array (rows x columns), got shape "
                           f"{features.shape}")
    if features.shape[1] == 0:
        raise faults.error("no feature columns")
    if features.dtype.kind == "c":  # a cast to float would drop the imaginary parts
        raise faults.error(f"features must be real numbers, got dtype {features.dtype}")
    if features.dtype.kind not in "biuf":
        try:
            features = features.astype(np.float64)
        except (TypeError, ValueError):
            for (row, col), value in np.ndenumerate(features):
                if not _is_number(value):
                    raise faults.error(f"row {row}, {faults.describe_column(col)}: non-numeric "
                                       f"feature {str(value)!r}") from None
            raise
    features = np.asarray(features, dtype=np.float64)
    bad = np.isnan(features)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise faults.error(f"row {row}, {faults.describe_column(col)}: missing value (NaN)")
    bad = np.isinf(features)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise faults.error(f"row {row}, {faults.describe_column(col)}: infinite value")
    return features


def _finish(features: np.ndarray, labels: np.ndarray, source: str, faults: _Faults,
            label_name: str = "labels") -> ClassificationData:
    """Check the labels against the features and map the classes to ``0..K-1``."""
    labels = np.asarray(labels)
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.ndim != 1:
        raise faults.error(f"{label_name} must be 1-D, got shape {labels.shape}")
    if len(labels) != len(features):
        raise faults.error(f"{len(labels)} labels for {len(features)} feature rows")
    if len(labels) == 0:
        raise faults.error("no rows")
    if labels.dtype.kind == "f" and np.isnan(labels).any():
        row = int(np.flatnonzero(np.isnan(labels))[0])
        raise faults.error(f"row {row}: missing label (NaN) in {label_name}")
    if labels.dtype.kind not in "biufUS":
        raise faults.error(f"{label_name} must hold numbers or strings, got dtype {labels.dtype}")
    classes, codes = np.unique(labels, return_inverse=True)
    if len(classes) < 2:
        raise faults.error(f"only one class ({_class_name(classes[0])}) in {label_name}: a "
                           f"bandit needs at least two classes, one arm each")
    names = tuple(_class_name(value) for value in classes)
    return ClassificationData(features, codes.reshape(-1).astype(np.int64), names, source)


def _class_name(value: Any) -> str:
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _is_number(text: Any) -> bool:
    try:
        float(text)
    except (TypeError, ValueError):
        return False
    return True


class ClassificationBanditEnv(BanditEnv):
    """A classification data set played as a bandit: guess the class of the row shown.

    ## Description
    Every round one row of the data set is drawn uniformly at random, with replacement, from
    ``self.np_random``; the agent sees its features and names a class. The reward is 1 if that
    is the row's class, else 0. Only the guessed class's reward is revealed, which is what makes
    this a bandit rather than supervised learning; the oracle (the true class) is in ``info``.
    Sampling with replacement makes the rounds i.i.d., the assumption of the regret bounds
    these benchmarks test, and lets the horizon exceed the number of rows.

    Classes become arms ``0..K-1`` in sorted order (numeric when all labels are numbers);
    ``class_names[a]`` is arm ``a``'s original label (scikit-learn's target names for the
    bundled sets). Features are standardized per column over the whole data set (zero mean,
    unit variance; a constant column becomes 0); ``feature_mean`` and ``feature_scale`` map
    new rows the same way.

    =================  =======  =======  ========
    bundled data set   rows     arms     features
    =================  =======  =======  ========
    ``digits``         1797     10       64
    ``wine``           178      3        13
    ``iris``           150      3        4
    ``breast_cancer``  569      2        30
    =================  =======  =======  ========

    ## Action Space
    ``Discrete(n_classes)``: the class guessed.

    ## Observation Space
    ``Box(low, high, (n_features,), float64)``: the standardized feature row; ``low`` and
    ``high`` are the smallest and largest standardized values in the data set.

    ## Rewards
    1 for the right class, 0 otherwise. ``info`` holds the oracle of the round played:
    ``expected_rewards`` (1 for the true class, 0 for the others), ``best_arm`` (the true
    class), ``regret`` (0 or 1), ``arm`` and ``round``. The ``row`` property is the index of
    the row about to be played.

    ## Starting State
    The first row is drawn at reset; the data set never changes.

    ## Episode End
    Never terminates; truncated after ``horizon`` rounds.

    ## Arguments
    * ``dataset``: ``"digits"`` (default), ``"wine"``, ``"iris"``, ``"breast_cancer"``; a path to
      a CSV file (header row required), a ``.npy`` or ``.npz`` file; or a ``(features,
      labels)`` pair of arrays. Bad files raise ``InstanceFormatError`` naming the file, the
      line or row, the column and the fault.
    * ``label``: the label column's name (CSV, default ``"label"``), the label column's index
      (``.npy``), or the label array's name (``.npz``); see ``load_classification_data``.
    * ``horizon``: rounds per episode (default 2000).

    ## Example
    >>> from decisiongym.envs.bandits.classification import ClassificationBanditEnv
    >>> env = ClassificationBanditEnv("iris", horizon=10)
    >>> env.n_arms, env.class_names
    (3, ('setosa', 'versicolor', 'virginica'))
    >>> x, info = env.reset(seed=0)
    >>> _, reward, _, _, info = env.step(info["best_arm"])
    >>> reward, info["regret"]
    (1.0, 0.0)

    ## Version History
    * v0: initial version.
    """

    def __init__(self, dataset: DatasetSource = "digits", label: str | int = "label",
                 horizon: int = 2000) -> None:
        data = load_classification_data(dataset, label)
        self.source = data.source
        self.class_names: tuple[str, ...] = data.class_names
        self.feature_mean: np.ndarray = data.features.mean(axis=0)
        scale = data.features.std(axis=0)
        self.feature_scale: np.ndarray = np.where(scale > 0.0, scale, 1.0)
        features = (data.features - self.feature_mean) / self.feature_scale
        features.setflags(write=False)
        labels = data.labels
        labels.setflags(write=False)
        self.features: np.ndarray = features
        self.labels: np.ndarray = labels
        self.n_samples = len(labels)
        super().__init__(data.n_classes, features.shape[1], horizon,
                         context_low=float(features.min()), context_high=float(features.max()))
        self._one_hot = np.eye(self.n_arms)
        self._row = 0

    @property
    def row(self) -> int:
        """Index (into ``features`` / ``labels``) of the row of the round about to be played."""
        return self._row

    def _next_round(self) -> tuple[np.ndarray, np.ndarray]:
        self._row = int(self.np_random.integers(self.n_samples))
        return self.features[self._row], self._one_hot[self.labels[self._row]]

    def _reward(self, arm: int) -> float:
        return float(arm == self.labels[self._row])
