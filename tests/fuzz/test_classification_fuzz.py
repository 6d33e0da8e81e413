"""Malformed classification data files (CSV with a header, NumPy .npy and .npz): a typed error
naming the file (and the line and column where one is at fault), or data that hold what the
file says."""

from __future__ import annotations

import csv
import io
import math
import zipfile
from pathlib import Path

import numpy as np
import pytest
from fuzz_harness import FUZZ_SETTINGS, MUST_LOAD, Case, byte_mutations, common_text_cases, run_case
from hypothesis import given

from decisiongym.envs.bandits.classification import ClassificationData, load_classification_data

ROWS = [(0.5, 1.0, -2.0, "cat"), (1.5, 0.0, 3.25, "dog"), (2.0, -1.0, 0.0, "cat"),
        (0.0, 4.0, 1.0, "bird"), (3.0, 2.5, -0.5, "dog"), (1.0, 1.0, 1.0, "bird")]
VALID_CSV = "f0,f1,f2,label\n" + "".join(f"{a},{b},{c},{y}\n" for a, b, c, y in ROWS)
FEATURES = np.array([row[:3] for row in ROWS])
LABELS = np.array([0, 1, 0, 2, 1, 2])


def npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=array.dtype.kind == "O")
    return buffer.getvalue()


def npz_bytes(**arrays: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def lying_npy(array: np.ndarray, shape: tuple[int, ...]) -> bytes:
    """The bytes of ``array`` under a header that declares ``shape``."""
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": array.dtype.str,
                                                  "fortran_order": False, "shape": shape})
    return buffer.getvalue() + array.tobytes()


def zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


VALID_NPY = npy_bytes(np.column_stack([FEATURES, LABELS]))
VALID_NPZ = npz_bytes(features=FEATURES, label=LABELS)


def check_data(data: ClassificationData) -> None:
    """Data a bandit can play: finite features, one label per row, every class present."""
    assert data.features.dtype == np.float64 and data.features.ndim == 2
    assert np.isfinite(data.features).all()
    assert data.labels.shape == (data.features.shape[0],) and data.labels.shape[0] >= 1
    assert data.n_classes >= 2
    assert set(data.labels.tolist()) == set(range(data.n_classes))


def check_csv(data: ClassificationData, path: Path) -> None:
    """The features are the file's numbers, the classes its label cells."""
    check_data(data)
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    header, body = rows[0], [row for row in rows[1:] if any(cell.strip() for cell in row)]
    label = header.index("label")
    numbers = np.array([[float(cell) for k, cell in enumerate(row) if k != label]
                        for row in body])
    assert np.array_equal(data.features, numbers)
    names = [data.class_names[code] for code in data.labels]
    for row, name in zip(body, names):
        cell = row[label]
        assert cell == name or float(cell) == float(name), (cell, name)


def check_numpy(data: ClassificationData, path: Path) -> None:
    check_data(data)


def load_csv(path: Path) -> ClassificationData:
    return load_classification_data(path, label="label")


def load_npy(path: Path) -> ClassificationData:
    return load_classification_data(path, label=-1)


def load_npz(path: Path) -> ClassificationData:
    return load_classification_data(path, label="label")


def csv_text(*lines: str) -> str:
    return "\n".join(lines) + "\n"


HEADER = "f0,f1,f2,label"
BODY = VALID_CSV.splitlines()[1:]

CSV_CASES = [
    *common_text_cases(VALID_CSV.encode()),
    Case.text("the valid file", VALID_CSV, MUST_LOAD),
    Case.text("numeric labels", csv_text(HEADER, "1,2,3,10", "4,5,6,2", "7,8,9,10"), MUST_LOAD),
    Case.text("quoted cells", csv_text(HEADER, '"1","2","3","a"', '4,5,6,"b"'), MUST_LOAD),
    Case.text("trailing blank lines", VALID_CSV + "\n\n\n", MUST_LOAD),
    Case.text("header only", csv_text(HEADER), "no data rows"),
    Case.text("no header", "\n".join(BODY) + "\n", "label"),
    Case.text("no label column", VALID_CSV.replace("label", "class"), "no label column"),
    Case.text("only the label column", csv_text("label", "a", "b"), "no feature columns"),
    Case.text("one class", csv_text(HEADER, "1,2,3,a", "4,5,6,a"), "only one class"),
    Case.text("a NaN feature", csv_text(HEADER, "nan,2,3,a", "4,5,6,b"), "line 2"),
    Case.text("an empty feature", csv_text(HEADER, "1,2,3,a", "4,,6,b"), "line 3"),
    Case.text("an infinite feature", csv_text(HEADER, "1,inf,3,a", "4,5,6,b"), "line 2"),
    Case.text("a feature of 1e400", csv_text(HEADER, "1,1e400,3,a", "4,5,6,b"), "line 2"),
    Case.text("a feature of -1e400", csv_text(HEADER, "1,2,3,a", "-1e400,5,6,b"), "line 3"),
    Case.text("a feature of 400 digits", csv_text(HEADER, f"1,{'9' * 400},3,a", "4,5,6,b"),
              None),
    Case.text("a word for a feature", csv_text(HEADER, "1,two,3,a", "4,5,6,b"), "line 2"),
    Case.text("a hex feature", csv_text(HEADER, "1,0x10,3,a", "4,5,6,b"), "line 2"),
    Case.text("a missing label", csv_text(HEADER, "1,2,3,", "4,5,6,b"), "line 2"),
    Case.text("a NaN label", csv_text(HEADER, "1,2,3,nan", "4,5,6,b"), "line 2"),
    Case.text("a row too long", csv_text(HEADER, "1,2,3,a,9", "4,5,6,b"), None),
    Case.text("every row a field longer", csv_text("f1,f2,label", "0.5,1,2,a", "1.5,3,4,b"),
              "more than the header"),
    Case.text("a row too short", csv_text(HEADER, "1,2,a", "4,5,6,b"), None),
    Case.text("a blank line inside", csv_text(HEADER, "1,2,3,a", "", "4,5,6,b"), "line 3"),
    Case.text("an unclosed quote", csv_text(HEADER, '1,"2,3,a', "4,5,6,b"), None),
    Case.text("semicolons", VALID_CSV.replace(",", ";"), "label"),
    Case.text("a label column twice", csv_text("f0,label,label", "1,a,a", "2,b,b"), None),
    Case.text("a header of numbers", csv_text("1,2,3,4", "1,2,3,4"), "header row"),
]

NPY_CASES = [
    Case("the valid .npy", VALID_NPY, MUST_LOAD),
    Case("a .npy of integers", npy_bytes(np.array([[1, 0], [2, 1], [3, 0]])), MUST_LOAD),
    Case("an empty .npy", b"", None),
    Case("a truncated .npy", VALID_NPY[: len(VALID_NPY) // 2], None),
    Case("only the .npy header", VALID_NPY[:128], None),
    Case("a .npy of an object array", npy_bytes(np.array([[1, "a"], [2, "b"]], dtype=object)),
         None),
    Case("a .npy of a 1-D array", npy_bytes(np.arange(6.0)), "2-D"),
    Case("a .npy of a 3-D array", npy_bytes(np.zeros((2, 2, 2))), "2-D"),
    Case("a .npy of one column", npy_bytes(np.zeros((4, 1))), None),
    Case("a .npy with NaN", npy_bytes(np.array([[np.nan, 0], [1, 1], [2, 0]] * 2)), "NaN"),
    Case("a .npy with infinity", npy_bytes(np.array([[np.inf, 0], [1, 1]] * 2)), "infinite"),
    Case("a .npy of complex numbers", npy_bytes(np.ones((3, 4), dtype=complex)),
         "real numbers"),
    Case("a .npy of strings", npy_bytes(np.array([["a", "0"], ["b", "1"]])), None),
    Case("a .npy of zero rows", npy_bytes(np.zeros((0, 4))), None),
    Case("a .npy of one class", npy_bytes(np.array([[1.0, 0], [2.0, 0]])), "one class"),
    Case("a .npy of a structured array",
         npy_bytes(np.zeros(3, dtype=[("a", "f8"), ("b", "i4")])), None),
    Case("a .npy header of 10^12 rows", lying_npy(FEATURES, (10**12, 3)), "declares shape"),
    Case("a .npy header of fewer rows", lying_npy(FEATURES, (2, 3)), None),
    Case("a .npy header of a negative shape", VALID_NPY.replace(b"(6, 4)", b"(-6, 4)"), None),
    Case("a .npy header of a bad dtype", VALID_NPY.replace(b"'<f8'", b"'<x9'"), None),
    Case("a .npy header that is code", VALID_NPY.replace(b"'<f8'", b"__import__('os')"), None),
]

NPZ_CASES = [
    Case("the valid .npz", VALID_NPZ, MUST_LOAD),
    Case("an empty .npz", b"", None),
    Case("a truncated .npz", VALID_NPZ[: len(VALID_NPZ) // 2], None),
    Case("a .npz without the label array", npz_bytes(features=FEATURES), "no label array"),
    Case("a .npz of no array", npz_bytes(), None),
    Case("a .npz header of 10^12 rows", zip_of({"features.npy": lying_npy(FEATURES, (10**12, 3)),
                                                "label.npy": npy_bytes(LABELS)}),
         "declares shape"),
    Case("a .npz member that is not .npy", zip_of({"features.npy": b"features",
                                                   "label.npy": npy_bytes(LABELS)}), None),
    Case("a .npz of a text member", zip_of({"features.txt": b"1 2 3",
                                            "label.npy": npy_bytes(LABELS)}), None),
    Case("a .npz of three arrays", npz_bytes(a=FEATURES, b=FEATURES, label=LABELS),
         "cannot tell the features"),
    Case("a .npz with a label per column", npz_bytes(features=FEATURES, label=FEATURES),
         None),
    Case("a .npz with fewer labels", npz_bytes(features=FEATURES, label=LABELS[:3]),
         "labels for"),
    Case("a .npz with an object label array",
         npz_bytes(features=FEATURES, label=np.array(["a", 1] * 3, dtype=object)), None),
    Case("a .npz with NaN labels",
         npz_bytes(features=FEATURES, label=np.array([0, math.nan] * 3)), "NaN"),
    Case("a .npz whose member is not .npy", b"PK" + VALID_NPZ[2:].replace(b"\x93NUMPY",
                                                                           b"\x93NUMPZ"), None),
]


@pytest.mark.parametrize("case", CSV_CASES, ids=[case.name for case in CSV_CASES])
def test_hand_made_csv_files(case: Case) -> None:
    run_case("classification CSV", load_csv, case.data, "data.csv", case=case.name,
             expect=case.expect, check=check_csv)


@pytest.mark.parametrize("case", NPY_CASES, ids=[case.name for case in NPY_CASES])
def test_hand_made_npy_files(case: Case) -> None:
    run_case("classification .npy", load_npy, case.data, "data.npy", case=case.name,
             expect=case.expect, check=check_numpy)


@pytest.mark.parametrize("case", NPZ_CASES, ids=[case.name for case in NPZ_CASES])
def test_hand_made_npz_files(case: Case) -> None:
    run_case("classification .npz", load_npz, case.data, "data.npz", case=case.name,
             expect=case.expect, check=check_numpy)


@FUZZ_SETTINGS
@given(data=byte_mutations(VALID_CSV.encode()))
def test_mutated_csv_files(data: bytes) -> None:
    run_case("classification CSV", load_csv, data, "data.csv", check=check_csv)


@FUZZ_SETTINGS
@given(data=byte_mutations(VALID_NPY))
def test_mutated_npy_files(data: bytes) -> None:
    run_case("classification .npy", load_npy, data, "data.npy", check=check_numpy)


@FUZZ_SETTINGS
@given(data=byte_mutations(VALID_NPZ))
def test_mutated_npz_files(data: bytes) -> None:
    run_case("classification .npz", load_npz, data, "data.npz", check=check_numpy)


def test_enough_malformed_classification_inputs() -> None:
    assert len(CSV_CASES) + FUZZ_SETTINGS.max_examples >= 50
    assert len(NPY_CASES) + FUZZ_SETTINGS.max_examples >= 50
    assert len(NPZ_CASES) + FUZZ_SETTINGS.max_examples >= 50
