"""Classification files the loader cannot read: typed errors that name the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from decisiongym.envs.bandits.classification import load_classification_data
from decisiongym.envs.core.errors import InputError, InstanceFormatError, MissingFileError


def test_undecodable_bytes_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_bytes(b"x,label\n1,\xff\xfe\n2,b\n")
    with pytest.raises(InstanceFormatError, match="data.csv: not a UTF-8 text file"):
        load_classification_data(str(path))


def test_missing_files_and_unknown_names(tmp_path: Path) -> None:
    with pytest.raises(MissingFileError, match="none.csv: no such file"):
        load_classification_data(str(tmp_path / "none.csv"))
    with pytest.raises(InputError, match="unknown data set 'mnist'"):
        load_classification_data("mnist")
