"""Checkpoint files of the torch agents: written whole or not at all, read back with errors that
say what the file is instead.

A checkpoint is a dict of plain tensors and numbers (so ``torch.load(..., weights_only=True)``
reads it without running any code from the file) whose ``format`` field names the kind of
agent and ``version`` its layout.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from decisiongym.envs.core.errors import CheckpointError
from decisiongym.envs.core.files import atomic_path


def write_checkpoint(path: str | os.PathLike[str], kind: str, version: int,
                     content: dict[str, Any]) -> None:
    """Write ``content`` with its ``format`` and ``version`` fields; an interrupted write
    leaves any previous file at ``path`` as it was.

    :param path: the file (its missing folders are created; removed again when the write
        fails).
    :param kind: the ``format`` field, naming the kind of agent.
    :param version: the layout of ``content``.
    :param content: config, weights, metadata.
    :raises OutputPathError: when ``path`` is a folder or a parent of it is a file.
    """
    with atomic_path(path, make_folders=True) as temporary:
        torch.save({"format": kind, "version": version, **content}, temporary)


def read_checkpoint(path: str | os.PathLike[str], kind: str, version: int,
                    what: str) -> dict[str, Any]:
    """Read a file written by :func:`write_checkpoint` for ``kind`` and ``version``.

    :param path: the file.
    :param kind: the ``format`` field expected.
    :param version: the version expected.
    :param what: the kind of agent in words, for the messages.
    :raises FileNotFoundError: when there is no such file.
    :raises CheckpointError: when it is not a torch file, another kind or another version.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no {what} checkpoint at {path}")
    try:
        content = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types for a file that is not its own
        first_line = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise CheckpointError(path, f"not a readable torch checkpoint: {first_line}") from exc
    found = content.get("format") if isinstance(content, dict) else None
    if found != kind:
        raise CheckpointError(path, f"not a {what} checkpoint (format field {found!r}, "
                                    f"expected {kind!r})")
    if content.get("version") != version:
        raise CheckpointError(path, f"{what} checkpoint version {content.get('version')!r}, "
                                    f"this library reads version {version}")
    return content
