"""Every writer goes through one mechanism: a write that fails midway leaves neither the new
file nor a temporary one, and the previous file of that name stays as it was."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import pandas as pd
import pytest

from decisiongym.envs.core.errors import DecisionGymError, OutputPathError
from decisiongym.envs.core.files import (
    atomic_path,
    check_output_file,
    check_output_folder,
    staged_folder,
    write_figure_atomic,
    write_frame_atomic,
    write_text_atomic,
)

matplotlib.use("Agg", force=False)


def _only(folder: Path) -> list[str]:
    """Every name left in ``folder``, hidden ones included."""
    return sorted(p.name for p in folder.iterdir())


class DiskFull(OSError):
    pass


def test_a_failing_writer_leaves_the_previous_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "table.csv"
    target.write_text("old\n")
    with pytest.raises(DiskFull):
        with atomic_path(target) as temporary:
            temporary.write_text("half a ta")
            raise DiskFull("No space left on device")
    assert target.read_text() == "old\n"
    assert _only(tmp_path) == ["table.csv"]


def test_the_temporary_is_hidden_beside_the_target_and_the_file_gets_a_normal_mode(
        tmp_path: Path) -> None:
    with atomic_path(tmp_path / "model.zip") as temporary:
        assert temporary.parent == tmp_path and temporary.name.startswith(".model.zip.")
        assert temporary.suffix == ".tmp"
        temporary.write_bytes(b"PK")
    assert (tmp_path / "model.zip").read_bytes() == b"PK"
    assert (tmp_path / "model.zip").stat().st_mode & 0o044  # readable by others, as usual


def test_text_frame_and_figure_writers_fail_cleanly(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import matplotlib.pyplot as plt

    for name in ("a.md", "b.csv", "c.png"):
        (tmp_path / name).write_text("previous")

    def half_then_fail(self: object, path: object, *args: object, **kwargs: object) -> None:
        target = self if isinstance(self, Path) else path
        with open(str(target), "w") as handle:
            handle.write("half")
        raise DiskFull("No space left on device")

    monkeypatch.setattr(Path, "write_text", half_then_fail)
    with pytest.raises(DiskFull):
        write_text_atomic("new", tmp_path / "a.md")
    monkeypatch.undo()
    monkeypatch.setattr(pd.DataFrame, "to_csv", half_then_fail)
    with pytest.raises(DiskFull):
        write_frame_atomic(pd.DataFrame({"x": [1]}), tmp_path / "b.csv", index=False)
    fig = plt.figure()
    monkeypatch.setattr(fig, "savefig", lambda path, **kw: half_then_fail(fig, path))
    with pytest.raises(DiskFull):
        write_figure_atomic(fig, tmp_path / "c.png")
    plt.close(fig)
    assert _only(tmp_path) == ["a.md", "b.csv", "c.png"]
    assert all((tmp_path / n).read_text() == "previous" for n in ("a.md", "b.csv", "c.png"))


def test_writers_write_what_they_are_given(tmp_path: Path) -> None:
    import matplotlib.pyplot as plt

    write_text_atomic("é\n", tmp_path / "a.md")
    write_frame_atomic(pd.DataFrame({"x": [1, 2]}), tmp_path / "b.csv", index=False)
    fig = plt.figure()
    written = write_figure_atomic(fig, tmp_path / "chart")
    plt.close(fig)
    assert (tmp_path / "a.md").read_text(encoding="utf-8") == "é\n"
    assert (tmp_path / "b.csv").read_text() == "x\n1\n2\n"
    assert written == tmp_path / "chart.png"  # the file really written, as matplotlib names it
    assert written.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert _only(tmp_path) == ["a.md", "b.csv", "chart.png"]


def test_folders_made_for_a_failed_write_are_removed(tmp_path: Path) -> None:
    with pytest.raises(DiskFull):
        with atomic_path(tmp_path / "new" / "deeper" / "x.pt", make_folders=True):
            raise DiskFull("No space left on device")
    assert _only(tmp_path) == []


def test_paths_that_cannot_take_the_output_are_typed_errors(tmp_path: Path) -> None:
    (tmp_path / "a_file").write_text("")
    (tmp_path / "a_folder").mkdir()
    cases = [
        (lambda: check_output_file(tmp_path / "a_folder"), "is a folder; give a file name"),
        (lambda: check_output_file(tmp_path / "a_file" / "x.csv"), "a_file is a file"),
        (lambda: check_output_folder(tmp_path / "a_file"), "is a file, not a folder"),
        (lambda: write_text_atomic("x", tmp_path / "absent" / "x.md"), "no folder"),
        (lambda: write_figure_atomic(None, tmp_path / "a_folder"), "is a folder"),
    ]
    for call, message in cases:
        with pytest.raises(OutputPathError, match=message) as caught:
            call()
        assert isinstance(caught.value, DecisionGymError)
        assert "\n" not in str(caught.value)
    assert _only(tmp_path) == ["a_file", "a_folder"]


def test_a_staged_run_lands_whole_or_not_at_all(tmp_path: Path) -> None:
    out = tmp_path / "results"
    with pytest.raises(DiskFull):
        with staged_folder(out) as staging:
            write_text_atomic("new", staging / "a.md")
            raise DiskFull("No space left on device")
    assert not out.exists()  # made by the failed run, so removed with it

    out.mkdir()
    (out / "a.md").write_text("previous")
    with pytest.raises(DiskFull):
        with staged_folder(out) as staging:
            write_text_atomic("new", staging / "a.md")
            write_text_atomic("new", staging / "b.csv")
            raise DiskFull("No space left on device")
    assert _only(out) == ["a.md"] and (out / "a.md").read_text() == "previous"

    with staged_folder(out) as staging:
        write_text_atomic("new", staging / "a.md")
        write_text_atomic("new", staging / "b.csv")
    assert _only(out) == ["a.md", "b.csv"]
    assert (out / "a.md").read_text() == "new"
