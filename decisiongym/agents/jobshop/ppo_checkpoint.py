"""The resumable checkpoint of a PPO run, read back without unpickling anything from it.

A checkpoint is two files side by side:

* ``model_<t>.zip``, sb3-contrib's ``MaskablePPO`` archive: a ``data`` entry (JSON), torch
  files (``policy.pth``, ``policy.optimizer.pth``, ``pytorch_variables.pth``) and notes.
  Stable-Baselines3 writes every attribute that JSON cannot hold (the policy class, the
  spaces, the schedules) as a base64 pickle under a ``":serialized:"`` key, beside a readable
  description, and its ``load`` would unpickle them. Here each of those entries is replaced,
  through ``load``'s ``custom_objects``, by the object the run's own config rebuilds, after the
  readable description has been checked against it where the two could differ (the spaces,
  the network sizes); an entry this module does not rebuild makes the archive refused. The
  torch files are read with ``torch.load(..., weights_only=True)`` here before SB3 reads them
  (SB3 2.9.2, installed here, also passes ``weights_only=True`` in
  ``save_util.load_from_zip_file``; checking them here keeps that true under any SB3 the
  package allows), so no Python object of the file is ever built.
* ``vecnormalize_<t>.npz``, the running statistics of the reward normaliser
  (``VecNormalize.ret_rms``) as plain float64 arrays, written and read with
  ``allow_pickle=False``. Its other settings are those :func:`decisiongym.agents.jobshop.ppo.
  make_vec_env` gives every run. A ``vecnormalize_<t>.pkl`` (SB3's own pickle, written by
  earlier versions) is refused, never read.
"""

from __future__ import annotations

import io
import json
import math
import os
import pickle
import zipfile
import zlib
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch

from decisiongym.agents.jobshop.network import NetworkConfig
from decisiongym.agents.jobshop.sb3_policy import DispatchActorCriticPolicy
from decisiongym.envs.core.errors import CheckpointError
from decisiongym.envs.core.files import atomic_path

STATISTICS_FORMAT = "decisiongym-jobshop-ppo-reward-statistics"
STATISTICS_VERSION = 1

# our archives' data entry is about 10 kB; the cap keeps a crafted one from filling memory
_DATA_ENTRY_LIMIT = 16 * 2**20
_PICKLED = ":serialized:"
# fields of SB3's readable description that differ between two equal spaces
_UNCOMPARED_FIELDS = (_PICKLED, "_np_random")
_SPACE_SUMMARY = {"observation_space": "spaces", "action_space": "n"}


def archive_path(folder: str | os.PathLike[str], timesteps: int) -> Path:
    """The model archive of the checkpoint at ``timesteps`` in ``folder``."""
    return Path(folder) / f"model_{timesteps:09d}.zip"


def statistics_path(archive: str | os.PathLike[str]) -> Path:
    """The reward-statistics file beside a model archive."""
    archive = Path(archive)
    return archive.with_name(archive.name.replace("model_", "vecnormalize_", 1)
                             .removesuffix(".zip") + ".npz")


def write_resumable(model: Any, envs: Any, folder: str | os.PathLike[str],
                    timesteps: int) -> Path:
    """Write the model archive and the reward statistics of a run; each file appears whole
    or not at all.

    :param model: the ``MaskablePPO`` model.
    :param envs: its ``VecNormalize`` envs.
    :param folder: where to write (created).
    :param timesteps: the step count naming the files.
    :return: the archive's path, what :func:`read_resumable` takes.
    """
    archive = archive_path(folder, timesteps)
    archive.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    model.save(buffer)
    _write_whole(archive, buffer.getvalue())
    write_reward_statistics(envs, statistics_path(archive))
    return archive


def read_resumable(path: str | os.PathLike[str], envs: Any, network_config: NetworkConfig,
                   clip_range: float, **load_kwargs: Any) -> Any:
    """Load a model archive for training on ``envs``, restoring the reward statistics beside
    it into ``envs`` (module docstring: nothing of the files is unpickled).

    The hyper-parameters the archive holds as plain numbers (learning rate, rollout and batch
    sizes, counters) are the archive's, as SB3 restores them; the clip range, which SB3 keeps
    only as a pickled schedule, is ``clip_range``; the returns of the last episodes, which SB3
    keeps only for its ``rollout/ep_*_mean`` log, start afresh.

    :param path: a ``model_<t>.zip`` written by :func:`write_resumable`.
    :param envs: the run's ``VecNormalize`` envs; their spaces must be the archive's.
    :param network_config: the run's network sizes, used only for an archive of an earlier
        version, whose sizes are pickled (and must then describe the same sizes).
    :param clip_range: PPO's clip.
    :param load_kwargs: passed to ``MaskablePPO.load`` (seed, tensorboard_log...).
    :raises FileNotFoundError: when there is no such file.
    :raises CheckpointError: when the archive is not a resumable dispatching-network model,
        holds anything that only unpickling could read, or a plain setting no run could have
        (a rollout size of 10**12, a NaN learning rate).
    """
    from sb3_contrib import MaskablePPO

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no PPO checkpoint at {path}")
    raw = path.read_bytes()
    data = _read_archive(raw, path)
    _check_settings(data, path)
    objects = _custom_objects(data, envs, network_config, clip_range, path)
    statistics = statistics_path(path)
    pickled_statistics = statistics.with_suffix(".pkl")
    if statistics.is_file():
        read_reward_statistics(envs, statistics)
    elif pickled_statistics.is_file():
        raise CheckpointError(pickled_statistics, "reward statistics saved as a pickle, which "
                              "could run code when read and so is never read; delete it to "
                              "resume with fresh statistics")
    try:
        # the same bytes as checked above, so a file replaced meanwhile is never read
        return MaskablePPO.load(io.BytesIO(raw), env=envs, custom_objects=objects,
                                **load_kwargs)
    except CheckpointError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError, RuntimeError, AssertionError,
            EOFError, zipfile.BadZipFile, zlib.error) as exc:
        raise CheckpointError(path, f"cannot be resumed: {_first_line(exc)}") from exc


def write_reward_statistics(envs: Any, path: str | os.PathLike[str]) -> None:
    """Write ``envs.ret_rms`` (a ``VecNormalize``'s running return statistics) as plain arrays.

    :param envs: the ``VecNormalize`` envs.
    :param path: the ``.npz`` file.
    """
    buffer = io.BytesIO()
    np.savez(buffer, format=np.array(STATISTICS_FORMAT),
             version=np.array(STATISTICS_VERSION),
             return_mean=np.asarray(envs.ret_rms.mean, dtype=np.float64),
             return_var=np.asarray(envs.ret_rms.var, dtype=np.float64),
             return_count=np.asarray(envs.ret_rms.count, dtype=np.float64))
    _write_whole(Path(path), buffer.getvalue())


def read_reward_statistics(envs: Any, path: str | os.PathLike[str]) -> None:
    """Restore ``envs.ret_rms`` from a file written by :func:`write_reward_statistics`.

    :param envs: the ``VecNormalize`` envs to restore into.
    :param path: the ``.npz`` file.
    :raises CheckpointError: when the file is not such statistics (or holds pickled objects).
    """
    path = Path(path)
    try:
        loaded = np.load(path, allow_pickle=False)
        if isinstance(loaded, np.ndarray):
            raise CheckpointError(path, "one NumPy array, not a reward-statistics archive "
                                        "(.npz)")
        with loaded as archive:
            arrays = {key: archive[key] for key in archive.files}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        if isinstance(exc, CheckpointError):
            raise
        raise CheckpointError(path, f"not a reward-statistics file of plain arrays: "
                                    f"{_first_line(exc)}") from exc
    found = arrays.get("format")
    if (found is None or found.shape != () or found.dtype.kind != "U"
            or str(found) != STATISTICS_FORMAT):
        raise CheckpointError(path, f"not a reward-statistics file (format field {found!r}, "
                                    f"expected {STATISTICS_FORMAT!r})")
    version = arrays.get("version")
    if (version is None or version.shape != () or version.dtype.kind not in "iu"
            or int(version) != STATISTICS_VERSION):
        raise CheckpointError(path, f"reward-statistics version {version!r}, this library "
                                    f"reads version {STATISTICS_VERSION}")
    values = {}
    for key in ("return_mean", "return_var", "return_count"):
        value = arrays.get(key)
        if (value is None or value.shape != () or value.dtype.kind != "f"
                or not np.isfinite(value)):
            raise CheckpointError(path, f"field {key} must be one finite float, found "
                                        f"{value!r}")
        values[key] = float(value)
    if values["return_var"] < 0 or values["return_count"] <= 0:
        raise CheckpointError(path, f"return_var must be >= 0 and return_count > 0, found "
                                    f"{values['return_var']} and {values['return_count']}")
    envs.ret_rms.mean = np.asarray(values["return_mean"], dtype=np.float64)
    envs.ret_rms.var = np.asarray(values["return_var"], dtype=np.float64)
    envs.ret_rms.count = values["return_count"]


def _read_archive(raw: bytes, path: Path) -> dict[str, Any]:
    """The archive's ``data`` entry as JSON, after checking that every torch file in it reads
    as weights only."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            names = archive.namelist()
            if "data" not in names:
                raise CheckpointError(path, "not a Stable-Baselines3 model archive (no 'data' "
                                            "entry)")
            with archive.open("data") as entry:
                text = entry.read(_DATA_ENTRY_LIMIT + 1)
            for name in names:
                if name.endswith(".pth"):
                    with archive.open(name) as entry:
                        _check_weights_only(entry, name, path)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError,
            ValueError) as exc:
        # EOFError: a truncated entry; NotImplementedError: an unknown compression;
        # RuntimeError: an encrypted entry; ValueError: offsets pointing outside the file
        raise CheckpointError(path, f"not a readable model archive (zip): "
                                    f"{_first_line(exc)}") from None
    if len(text) > _DATA_ENTRY_LIMIT:
        raise CheckpointError(path, f"the 'data' entry is over {_DATA_ENTRY_LIMIT >> 20} MiB; a "
                                    "model archive's is a few kB")
    try:
        data = json.loads(text.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise CheckpointError(path, f"the 'data' entry is not JSON: {_first_line(exc)}") from None
    if not isinstance(data, dict):
        raise CheckpointError(path, f"the 'data' entry is a JSON {type(data).__name__}, "
                                    "expected an object")
    return data


def _check_weights_only(entry: Any, name: str, path: Path) -> None:
    try:
        torch.load(io.BytesIO(entry.read()), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise CheckpointError(path, f"entry {name} holds Python objects other than tensors "
                                    f"and numbers, which could run code when read: "
                                    f"{_first_line(exc)}") from None
    except Exception as exc:  # torch raises several types for a file that is not its own
        raise CheckpointError(path, f"entry {name} is not a readable torch file: "
                                    f"{_first_line(exc)}") from None


def _custom_objects(data: dict[str, Any], envs: Any, network_config: NetworkConfig,
                    clip_range: float, path: Path) -> dict[str, Any]:
    """What replaces each entry SB3 would unpickle, checked against the archive."""
    objects: dict[str, Any] = {
        "policy_class": DispatchActorCriticPolicy,
        # MaskablePPO picks its rollout buffer for the observation space when given None
        "rollout_buffer_class": None,
        # MaskablePPO rebuilds it from the archive's plain learning_rate
        "lr_schedule": None,
        "clip_range": clip_range,
        "observation_space": envs.observation_space,
        "action_space": envs.action_space,
        "policy_kwargs": {"network_config": asdict(
            _archived_network_config(data.get("policy_kwargs"), network_config, path))},
        # the interrupted rollout: load discards it and learn() restarts the envs
        "_last_obs": None,
        "_last_original_obs": None,
        "_last_episode_starts": None,
        # the recent episodes' returns, only logged: learn() starts them afresh
        "ep_info_buffer": None,
        "ep_success_buffer": None,
    }
    for key, value in data.items():
        if _is_pickled(value) and key not in objects:
            raise CheckpointError(path, f"entry {key!r} is a pickled {value.get(':type:')}, "
                                        "which this library does not rebuild and will not "
                                        "unpickle (it could run code)")
    for key in _SPACE_SUMMARY:
        _check_space(data.get(key), key, getattr(envs, key), path)
    return objects


def _archived_network_config(entry: Any, fallback: NetworkConfig,
                             path: Path) -> NetworkConfig:
    """The network sizes of the archive: plain JSON in ours, pickled (with a readable
    description) in those of earlier versions."""
    if _is_pickled(entry):
        if entry.get("network_config") != repr(fallback):
            raise CheckpointError(path, f"its network sizes, {entry.get('network_config')}, are "
                                        "stored only as a pickle (which is never read) and "
                                        f"differ from the config's {fallback!r}")
        return fallback
    sizes = entry.get("network_config") if isinstance(entry, dict) else None
    if not isinstance(sizes, dict):
        raise CheckpointError(path, f"entry 'policy_kwargs' must hold the network sizes as "
                                    f"'network_config', found {entry!r}")
    expected = {field.name: type(field.default) for field in fields(NetworkConfig)}
    for key, value in sizes.items():
        kind = expected.get(key)
        if kind is None or type(value) is not kind:
            raise CheckpointError(path, f"policy_kwargs.network_config.{key} = {value!r} is not "
                                        "a network size of this library")
    try:
        return NetworkConfig(**sizes)
    except ValueError as exc:
        raise CheckpointError(path, f"policy_kwargs.network_config: {exc}") from None


# The plain settings SB3 restores from the archive, each with the range a run can use: sizes
# that allocate the rollout buffer, counters, and the coefficients of PPO's loss.
_INTEGER_SETTINGS = {"n_steps": (1, 10**7), "batch_size": (1, 10**7), "n_epochs": (1, 10**4),
                     "n_envs": (1, 1024), "num_timesteps": (0, 10**12),
                     "_total_timesteps": (0, 10**12), "_num_timesteps_at_start": (0, 10**12),
                     "_n_updates": (0, 10**12), "_episode_num": (0, 10**12),
                     "_stats_window_size": (1, 10**6)}
_NUMBER_SETTINGS = {"learning_rate": (0.0, 1.0), "gamma": (0.0, 1.0), "gae_lambda": (0.0, 1.0),
                    "ent_coef": (0.0, 1e3), "vf_coef": (0.0, 1e3), "max_grad_norm": (0.0, 1e6),
                    "target_kl": (0.0, 1e3)}
_POSITIVE_SETTINGS = ("learning_rate", "max_grad_norm", "target_kl")
_OPTIONAL_SETTINGS = ("target_kl",)


def _check_settings(data: dict[str, Any], path: Path) -> None:
    """Refuse an archive whose plain settings no run could have: a buffer size that would
    fill memory, a coefficient that is not a finite number in its range."""
    for key, (low, high) in {**_INTEGER_SETTINGS, **_NUMBER_SETTINGS}.items():
        if key not in data or (data[key] is None and key in _OPTIONAL_SETTINGS):
            continue
        value = data[key]
        integer = key in _INTEGER_SETTINGS
        kinds = (int,) if integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, kinds) or not math.isfinite(value):
            kind = "an integer" if integer else "a finite number"
            raise CheckpointError(path, f"setting {key} = {str(value)[:40]} is not {kind}")
        if not low <= value <= high or (key in _POSITIVE_SETTINGS and value == low):
            interval = f"{'(' if key in _POSITIVE_SETTINGS else '['}{low:g}, {high:g}]"
            raise CheckpointError(path, f"setting {key} = {str(value)[:40]} is outside "
                                        f"{interval}")


def _check_space(entry: Any, key: str, space: Any, path: Path) -> None:
    from stable_baselines3.common.save_util import data_to_json

    ours = json.loads(data_to_json({key: space}))[key]
    if _description(entry) != _description(ours):
        field = _SPACE_SUMMARY[key]
        theirs = entry.get(field) if isinstance(entry, dict) else entry
        raise CheckpointError(path, f"it was trained with the {key.replace('_', ' ')} "
                                    f"{theirs}, the config's envs have {ours.get(field)} "
                                    "(resume with the max_size it was trained with)")


def _description(entry: Any) -> Any:
    if not isinstance(entry, dict):
        return entry
    return {k: v for k, v in entry.items() if k not in _UNCOMPARED_FIELDS}


def _is_pickled(entry: Any) -> bool:
    return isinstance(entry, dict) and _PICKLED in entry


def _write_whole(path: Path, content: bytes) -> None:
    with atomic_path(path) as temporary:
        temporary.write_bytes(content)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
