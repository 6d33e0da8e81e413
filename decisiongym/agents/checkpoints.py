"""Checkpoint files of the torch agents: written whole or not at all, read back with errors that
say what the file is instead.

A checkpoint is a dict of plain tensors and numbers (so ``torch.load(..., weights_only=True)``
reads it without running any code from the file) whose ``format`` field names the kind of
agent and ``version`` its layout. An agent's module is rebuilt from the ``config`` and
``state_dict`` fields by :func:`module_from_checkpoint`, which checks both against each other
before allocating anything.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import torch
from torch import nn

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
        raise CheckpointError(path, f"not a readable torch checkpoint: {_first_line(exc)}") from exc
    found = content.get("format") if isinstance(content, dict) else None
    if found != kind:
        raise CheckpointError(path, f"not a {what} checkpoint (format field {found!r}, "
                                    f"expected {kind!r})")
    if content.get("version") != version:
        raise CheckpointError(path, f"{what} checkpoint version {content.get('version')!r}, "
                                    f"this library reads version {version}")
    return content


ConfigT = TypeVar("ConfigT")
ModuleT = TypeVar("ModuleT", bound=nn.Module)


def module_from_checkpoint(content: dict[str, Any], build: Callable[[ConfigT], ModuleT],
                           config_class: type[ConfigT], path: str | os.PathLike[str],
                           what: str) -> ModuleT:
    """The module a checkpoint describes: ``build(config)`` with the checkpoint's weights.

    The module is first built on PyTorch's ``meta`` device (no memory), so sizes in the config
    that the weights do not match are refused before anything is allocated.

    :param content: what :func:`read_checkpoint` returned.
    :param build: makes the module from its config (the agent's class).
    :param config_class: the dataclass of the ``config`` field; each value must have the type
        of the field's default.
    :param path: the file, for the messages.
    :param what: the kind of agent in words, for the messages.
    :raises CheckpointError: when the config is not one of ``config_class``, or the weights do
        not fit the module it describes, are complex or hold NaN or infinity.
    """
    config = _checkpoint_config(content.get("config"), config_class, path, what)
    state = content.get("state_dict")
    if not isinstance(state, dict):
        raise CheckpointError(path, f"{what} checkpoint without a state_dict of weights")
    try:
        with torch.device("meta"):
            shell = build(config)
    except (TypeError, ValueError, RuntimeError) as exc:
        raise CheckpointError(path, f"its config describes no {what}: {_first_line(exc)}") from exc
    expected = {name: tuple(tensor.shape) for name, tensor in shell.state_dict().items()}
    found = {name: tuple(tensor.shape) if isinstance(tensor, torch.Tensor) else type(tensor)
             for name, tensor in state.items()}
    if found != expected:
        name = min(key for key in expected.keys() | found.keys()
                   if expected.get(key) != found.get(key))
        raise CheckpointError(path, f"its weights do not fit the {what} its config describes "
                                    f"({name}: expected shape {expected.get(name)}, found "
                                    f"{found.get(name)})")
    for name, tensor in state.items():
        if tensor.is_complex():  # loading would drop the imaginary parts
            raise CheckpointError(path, f"weight {name} holds complex numbers ({tensor.dtype}); "
                                        f"a {what} has real weights")
        if not torch.isfinite(tensor).all():
            raise CheckpointError(path, f"weight {name} holds NaN or infinity: the {what} "
                                        "would act on numbers that mean nothing")
    module = build(config)
    module.load_state_dict(state)
    return module


def _checkpoint_config(config: Any, config_class: type[ConfigT], path: str | os.PathLike[str],
                       what: str) -> ConfigT:
    if not isinstance(config, dict):
        raise CheckpointError(path, f"{what} checkpoint without a config of settings")
    defaults = {field.name: field.default
                for field in dataclasses.fields(config_class)}  # type: ignore[arg-type]
    for key, value in config.items():
        if key not in defaults:
            raise CheckpointError(path, f"config.{key} is not a setting of a {what}")
        default = defaults[key]
        if default is not dataclasses.MISSING and not _same_kind(value, default):
            raise CheckpointError(path, f"config.{key} = {value!r} is not of type "
                                        f"{type(default).__name__}")
    try:
        return config_class(**config)
    except (TypeError, ValueError) as exc:  # a setting out of the config's own range
        raise CheckpointError(path, f"its config describes no {what}: "
                                    f"{_first_line(exc)}") from None


def _same_kind(value: Any, default: Any) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(value, bool) and isinstance(default, bool)
    if isinstance(default, float):
        return isinstance(value, (int, float))
    return isinstance(value, type(default))


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
