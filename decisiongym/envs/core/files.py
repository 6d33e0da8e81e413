"""Writing files so that a failure never leaves a half-written one behind.

One mechanism serves every file the library writes: :func:`atomic_path` hands the writer a
temporary name in the target's folder and renames it over the target once the writer returns,
so a reader sees the previous file or the whole new one, never a part; when the writer fails
the temporary file goes, and so do the folders it created. Text, CSV tables, figures and
checkpoints are written through it (:func:`write_text_atomic`, :func:`write_frame_atomic`,
:func:`write_figure_atomic`, ``decisiongym.agents.checkpoints``).

A run that writes several files (a benchmark's tables, records and plots) writes them into
:func:`staged_folder`, which moves them into place together when the run completes and leaves
the output folder as it was when it fails.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from decisiongym.envs.core.errors import OutputPathError

STAGING_PREFIX = ".staging-"
"""The hidden folder a staged run writes into, inside its output folder."""


def _blocking_file(folder: Path) -> Path | None:
    """The first existing ancestor of ``folder`` (itself included) when it is not a folder."""
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            return None if candidate.is_dir() else candidate
    return None


def check_output_folder(folder: str | os.PathLike[str]) -> Path:
    """Check that ``folder`` is or can become a folder, without creating anything, so a run can
    refuse a bad output path before it starts its work.

    :raises OutputPathError: when ``folder`` or one of its parents is a file.
    """
    folder = Path(folder)
    blocking = _blocking_file(folder)
    if blocking == folder:
        raise OutputPathError(folder, "is a file, not a folder; give a folder for the output")
    if blocking is not None:
        raise OutputPathError(folder, f"cannot be created: {blocking} is a file")
    return folder


def check_output_file(path: str | os.PathLike[str]) -> Path:
    """Check that ``path`` can be written as a file, without creating anything (its missing
    folders are created when it is written).

    :raises OutputPathError: when ``path`` is a folder, or one of its parents is a file.
    """
    path = Path(path)
    if path.is_dir():
        raise OutputPathError(path, "is a folder; give a file name for the output")
    check_output_folder(path.parent)
    return path


def _make_folders(folder: Path) -> list[Path]:
    """Create ``folder`` and its missing parents; return those created, deepest first."""
    missing = []
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            break
        missing.append(candidate)
    folder.mkdir(parents=True, exist_ok=True)
    return missing


def _remove_empty(folders: list[Path]) -> None:
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:  # something else was written there meanwhile: it stays
            return


def _default_mode() -> int:
    # mkstemp creates 0600 files; a written file gets the mode any new file would get.
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextmanager
def atomic_path(path: str | os.PathLike[str], make_folders: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` to write to; rename it over ``path`` when the
    block completes, remove it (and the folders this call created) when the block fails.

    The temporary name is hidden and ends in ``.tmp``: a writer that picks its format by the
    suffix must be told the format (:func:`write_figure_atomic` does).

    :param path: the file to write.
    :param make_folders: create the file's missing folders (else they must exist).
    :raises OutputPathError: when ``path`` is a folder, a parent is a file, or (without
        ``make_folders``) its folder does not exist.
    """
    target = check_output_file(path)
    if not make_folders and not target.parent.is_dir():
        raise OutputPathError(target, f"cannot be written: no folder {target.parent}")
    created = _make_folders(target.parent) if make_folders else []
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp",
                                dir=target.parent)
    os.close(fd)
    temporary = Path(name)
    try:
        yield temporary
        os.chmod(temporary, _default_mode())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        _remove_empty(created)
        raise


def write_text_atomic(text: str, path: str | os.PathLike[str], make_folders: bool = False) -> None:
    """Write ``text`` (UTF-8, ``\\n`` line ends) to ``path`` through :func:`atomic_path`."""
    with atomic_path(path, make_folders) as temporary:
        temporary.write_text(text, encoding="utf-8", newline="\n")


def write_frame_atomic(frame: Any, path: str | os.PathLike[str], **to_csv: Any) -> None:
    """Write a pandas table as CSV to ``path`` through :func:`atomic_path`.

    :param frame: a ``pandas.DataFrame``.
    :param to_csv: arguments of ``DataFrame.to_csv`` (``index=False``...).
    """
    with atomic_path(path) as temporary:
        frame.to_csv(temporary, **to_csv)


def figure_file(path: str | os.PathLike[str]) -> tuple[Path, str]:
    """The file a figure saved to ``path`` goes to, and its format: the suffix names the
    format, and a path without one gets ``.png`` (as matplotlib does)."""
    path = Path(path)
    if not path.suffix:
        return path.with_name(path.name + ".png"), "png"
    return path, path.suffix[1:].lower()


def write_figure_atomic(fig: Any, path: str | os.PathLike[str], make_folders: bool = False,
                        **savefig: Any) -> Path:
    """Write a matplotlib figure through :func:`atomic_path`; return the file written (see
    :func:`figure_file`). The figure stays open.

    :param savefig: arguments of ``Figure.savefig`` (``dpi``...).
    :raises OutputPathError: when ``path`` is a folder (not ``path`` + ``.png``: a folder
        given for a file is a mistake, not a name), or a parent of it is a file.
    """
    check_output_file(path)
    target, image_format = figure_file(path)
    with atomic_path(target, make_folders) as temporary:
        fig.savefig(temporary, format=image_format, **savefig)
    return target


@contextmanager
def staged_folder(folder: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a hidden folder inside ``folder`` for a run's files; when the block completes,
    move each of them over its namesake in ``folder`` (one rename each); when it fails, remove
    them, and ``folder`` too when this call created it.

    ``folder`` is created on entry: check the run's inputs before entering.

    :raises OutputPathError: when ``folder`` or one of its parents is a file.
    """
    folder = check_output_folder(folder)
    created = _make_folders(folder)
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=folder))
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        _remove_empty(created)
        raise
    for written in sorted(staging.iterdir()):
        os.replace(written, folder / written.name)
    staging.rmdir()
