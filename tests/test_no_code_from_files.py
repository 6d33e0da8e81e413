"""No file the library reads can run code: every loader of a file a user gives is handed a
file that would create a marker file if it were unpickled (or otherwise executed), and must
answer with an error while the marker stays absent. A static check keeps unsafe loading calls
out of the package."""

from __future__ import annotations

import ast
import io
import json
import pickle
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch

from decisiongym.envs.core.errors import CheckpointError, InstanceFormatError

PACKAGE = Path(__file__).resolve().parent.parent / "decisiongym"


class Payload:
    """Unpickling it opens ``marker`` for writing, which creates the file: the proof that
    code from a file ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (self.marker, "w"))


@pytest.fixture
def marker(tmp_path: Path):
    path = tmp_path / "code-ran"
    yield path
    assert not path.exists(), "a loader ran code from the file it read"


def pickle_text(marker: Path) -> bytes:
    """The payload pickled with protocol 0, which is printable text, for the text loaders."""
    return pickle.dumps(Payload(marker), protocol=0)


# -- data files -----------------------------------------------------------------------------------
def _jobshop_auto(path: Path) -> object:
    from decisiongym.envs.jobshop.formats import read_instance

    return read_instance(path)


def _jobshop_orlib(path: Path) -> object:
    from decisiongym.envs.jobshop.formats import read_orlib

    return read_orlib(path)


def _jobshop_taillard(path: Path) -> object:
    from decisiongym.envs.jobshop.formats import read_taillard

    return read_taillard(path)


def _bounds(path: Path) -> object:
    from decisiongym.envs.jobshop.bounds import read_bounds

    return read_bounds(path)


def _soc_platform(path: Path) -> object:
    from decisiongym.envs.soc.files import read_platform

    return read_platform(path)


def _soc_application(path: Path) -> object:
    from decisiongym.envs.soc.files import read_application

    return read_application(path)


def _classification(path: Path) -> object:
    from decisiongym.envs.bandits.classification import load_classification_data

    return load_classification_data(path)


def _logged_bandit(path: Path) -> object:
    from decisiongym.envs.offline.obd_csv import read_obd

    return read_obd(path)


def _memory_program(path: Path) -> object:
    from decisiongym.envs.memory.program_file import read_program

    return read_program(path)


def _memory_csv(path: Path) -> object:
    from decisiongym.envs.memory.minimalloc_csv import read_minimalloc_csv

    return read_minimalloc_csv(path)


TEXT_LOADERS: dict[str, tuple[str, Callable[[Path], object]]] = {
    "job-shop instance (auto)": ("ta01.txt", _jobshop_auto),
    "job-shop instance (OR-Library)": ("ft06.txt", _jobshop_orlib),
    "job-shop instance (Taillard)": ("ta01.txt", _jobshop_taillard),
    "bounds JSON": ("bounds.json", _bounds),
    "SoC platform JSON": ("platform.json", _soc_platform),
    "SoC application JSON": ("dag.json", _soc_application),
    "classification CSV": ("data.csv", _classification),
    "logged bandit CSV": ("all.csv", _logged_bandit),
    "memory program JSON": ("program.json", _memory_program),
    "MiniMalloc CSV": ("A.1048576.csv", _memory_csv),
}


@pytest.mark.parametrize("kind", sorted(TEXT_LOADERS))
def test_text_loaders_refuse_a_pickle(kind: str, tmp_path: Path, marker: Path) -> None:
    name, load = TEXT_LOADERS[kind]
    path = tmp_path / name
    path.write_bytes(pickle_text(marker))
    with pytest.raises(InstanceFormatError, match=re.escape(str(path))):
        load(path)


@pytest.mark.parametrize("suffix", [".yaml", ".yml"])
def test_soc_yaml_tags_build_no_python_objects(suffix: str, tmp_path: Path,
                                               marker: Path) -> None:
    pytest.importorskip("yaml")
    path = tmp_path / f"platform{suffix}"
    path.write_text(f'!!python/object/apply:builtins.open ["{marker}", "w"]\n')
    with pytest.raises(InstanceFormatError, match="valid YAML"):
        _soc_platform(path)


def test_classification_numpy_files_refuse_object_arrays(tmp_path: Path, marker: Path) -> None:
    objects = np.array([Payload(marker), 1], dtype=object)
    np.save(tmp_path / "data.npy", objects, allow_pickle=True)
    np.savez(tmp_path / "data.npz", features=objects, label=np.array([0, 1]))
    for name in ("data.npy", "data.npz"):
        with pytest.raises(InstanceFormatError, match="without Python objects"):
            _classification(tmp_path / name)
    (tmp_path / "pickle.npy").write_bytes(pickle.dumps(Payload(marker)))
    with pytest.raises(InstanceFormatError, match="pickle.npy"):
        _classification(tmp_path / "pickle.npy")


def test_a_results_csv_is_read_as_text(tmp_path: Path, marker: Path) -> None:
    from decisiongym.bench.record import read_frame

    path = tmp_path / "jobshop.csv"
    path.write_bytes(pickle_text(marker))
    with pytest.raises(ValueError, match="does not start with the record columns"):
        read_frame(path)


# -- agent checkpoints ----------------------------------------------------------------------------
def _dispatch_network(path: Path) -> object:
    from decisiongym.agents.jobshop.network import DispatchNetwork

    return DispatchNetwork.load(path)


def _soc_policy(path: Path) -> object:
    from decisiongym.agents.soc.policy import SoCPolicy

    return SoCPolicy.load(path)


CHECKPOINT_LOADERS = {"job-shop dispatching network": _dispatch_network,
                      "SoC policy": _soc_policy}


@pytest.mark.parametrize("kind", sorted(CHECKPOINT_LOADERS))
def test_agent_checkpoints_refuse_pickled_objects(kind: str, tmp_path: Path,
                                                  marker: Path) -> None:
    load = CHECKPOINT_LOADERS[kind]
    torch.save({"format": "anything", "config": Payload(marker)}, tmp_path / "agent.pt")
    with pytest.raises(CheckpointError, match="not a readable torch checkpoint"):
        load(tmp_path / "agent.pt")
    (tmp_path / "plain.pt").write_bytes(pickle.dumps(Payload(marker), protocol=2))
    with pytest.raises(CheckpointError, match="not a readable torch checkpoint"):
        load(tmp_path / "plain.pt")


# -- the PPO run's resumable checkpoint -----------------------------------------------------------
@pytest.fixture(scope="module")
def ppo_run(tmp_path_factory: pytest.TempPathFactory):
    """A fresh tiny model's checkpoint and the envs it was written from."""
    from sb3_contrib import MaskablePPO

    from decisiongym.agents.jobshop.network import NetworkConfig
    from decisiongym.agents.jobshop.ppo import PPOConfig, make_vec_env
    from decisiongym.agents.jobshop.ppo_checkpoint import write_resumable
    from decisiongym.agents.jobshop.sb3_policy import DispatchActorCriticPolicy

    network = NetworkConfig(embed_dim=8, op_dim=4, hidden_dim=16)
    config = PPOConfig(n_envs=2, min_size=(4, 3), max_size=(6, 4), network=network)
    envs = make_vec_env(config)
    model = MaskablePPO(DispatchActorCriticPolicy, envs, n_steps=16, batch_size=16, seed=0,
                        policy_kwargs={"network_config": {"embed_dim": 8, "op_dim": 4,
                                                          "hidden_dim": 16}})
    envs.ret_rms.mean, envs.ret_rms.var, envs.ret_rms.count = np.float64(2.5), np.float64(4.0), 9.0
    archive = write_resumable(model, envs, tmp_path_factory.mktemp("ck"), 16)
    return archive, config, network


def _resume(archive: Path, config, network) -> tuple[object, object]:
    from decisiongym.agents.jobshop.ppo import make_vec_env
    from decisiongym.agents.jobshop.ppo_checkpoint import read_resumable

    envs = make_vec_env(config)
    return read_resumable(archive, envs, network, 0.2, seed=0), envs


def _copy(archive: Path, folder: Path, replace: dict[str, bytes] | None = None) -> Path:
    """The archive in ``folder``, with entries replaced, and its statistics file beside it."""
    from decisiongym.agents.jobshop.ppo_checkpoint import statistics_path

    folder.mkdir(exist_ok=True)
    target = folder / archive.name
    with zipfile.ZipFile(archive) as source, zipfile.ZipFile(target, "w") as out:
        for name in source.namelist():
            out.writestr(name, (replace or {}).get(name, source.read(name)))
    statistics_path(target).write_bytes(statistics_path(archive).read_bytes())
    return target


def _data(archive: Path) -> dict:
    with zipfile.ZipFile(archive) as source:
        return json.loads(source.read("data"))


def test_ppo_archive_resumes_without_unpickling(ppo_run, monkeypatch: pytest.MonkeyPatch) -> None:
    import cloudpickle

    archive, config, network = ppo_run

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("something was unpickled")

    for module in (pickle, cloudpickle):
        monkeypatch.setattr(module, "loads", refuse)
        monkeypatch.setattr(module, "load", refuse)
    assert isinstance(_data(archive)["policy_kwargs"]["network_config"], dict)
    model, envs = _resume(archive, config, network)
    assert model.policy.network_config == network
    assert (float(envs.ret_rms.mean), float(envs.ret_rms.var), envs.ret_rms.count) == (2.5, 4.0,
                                                                                        9.0)


def test_ppo_archive_payloads_are_never_unpickled(ppo_run, tmp_path: Path, marker: Path) -> None:
    import base64

    import cloudpickle

    archive, config, network = ppo_run
    payload = base64.b64encode(cloudpickle.dumps(Payload(marker))).decode()
    data = _data(archive)
    # in an entry rebuilt from the config, the payload is ignored
    data["policy_class"][":serialized:"] = payload
    known = _copy(archive, tmp_path / "known", {"data": json.dumps(data).encode()})
    _resume(known, config, network)
    # in any other entry, the archive is refused
    data["extra"] = {":type:": "<class 'Payload'>", ":serialized:": payload}
    unknown = _copy(archive, tmp_path / "unknown", {"data": json.dumps(data).encode()})
    with pytest.raises(CheckpointError, match="entry 'extra' is a pickled <class 'Payload'>"):
        _resume(unknown, config, network)


def test_ppo_archive_torch_entries_are_weights_only(ppo_run, tmp_path: Path,
                                                   marker: Path) -> None:
    archive, config, network = ppo_run
    buffer = io.BytesIO()
    torch.save({"weights": Payload(marker)}, buffer)
    crafted = _copy(archive, tmp_path / "pth", {"policy.pth": buffer.getvalue()})
    with pytest.raises(CheckpointError, match="entry policy.pth holds Python objects"):
        _resume(crafted, config, network)


def test_ppo_reward_statistics_are_never_unpickled(ppo_run, tmp_path: Path,
                                                  marker: Path) -> None:
    from decisiongym.agents.jobshop.ppo_checkpoint import statistics_path

    archive, config, network = ppo_run
    crafted = _copy(archive, tmp_path / "npz")
    np.savez(statistics_path(crafted), format=np.array([Payload(marker)], dtype=object))
    with pytest.raises(CheckpointError, match="not a reward-statistics file of plain arrays"):
        _resume(crafted, config, network)
    # the pickle earlier versions wrote beside the archive is refused, not read
    statistics_path(crafted).unlink()
    statistics_path(crafted).with_suffix(".pkl").write_bytes(pickle.dumps(Payload(marker)))
    with pytest.raises(CheckpointError, match="saved as a pickle, which could run code"):
        _resume(crafted, config, network)


def test_ppo_archive_of_an_earlier_version(ppo_run, tmp_path: Path) -> None:
    """Earlier versions pickled the network sizes; their readable description must then match
    the config's sizes, which replace the pickle."""
    from dataclasses import replace

    archive, config, network = ppo_run
    data = _data(archive)
    data["policy_kwargs"] = {":type:": "<class 'dict'>", ":serialized:": "gAVOLg==",
                             "network_config": repr(network)}
    earlier = _copy(archive, tmp_path / "earlier", {"data": json.dumps(data).encode()})
    model, _ = _resume(earlier, config, network)
    assert model.policy.network_config == network
    with pytest.raises(CheckpointError, match="stored only as a pickle .* differ from the"):
        _resume(earlier, config, replace(network, hidden_dim=32))


def test_ppo_archive_of_other_spaces_or_sizes(ppo_run, tmp_path: Path) -> None:
    from dataclasses import replace

    archive, config, network = ppo_run
    with pytest.raises(CheckpointError, match="trained with the observation space"):
        _resume(archive, replace(config, max_size=(7, 4)), network)
    data = _data(archive)
    data["policy_kwargs"]["network_config"]["hidden_dim"] = "16"
    crafted = _copy(archive, tmp_path / "sizes", {"data": json.dumps(data).encode()})
    with pytest.raises(CheckpointError, match="hidden_dim = '16' is not a network size"):
        _resume(crafted, config, network)
    (tmp_path / "junk.zip").write_bytes(b"PK\x03\x04 not a zip")
    with pytest.raises(CheckpointError, match="not a readable model archive"):
        _resume(tmp_path / "junk.zip", config, network)


def test_train_resume_with_a_crafted_archive_exits_2(ppo_run, tmp_path: Path, marker: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    import base64

    import cloudpickle

    from decisiongym.cli import main

    archive, _, _ = ppo_run
    data = _data(archive)
    data["extra"] = {":type:": "<class 'Payload'>",
                     ":serialized:": base64.b64encode(cloudpickle.dumps(Payload(marker))).decode()}
    crafted = _copy(archive, tmp_path / "cli", {"data": json.dumps(data).encode()})
    monkeypatch.chdir(tmp_path)
    code = main(["train", "jobshop", "--method", "ppo", "--resume", str(crafted)])
    err = capsys.readouterr().err
    assert code == 2 and "will not unpickle (it could run code)" in err
    assert not (tmp_path / "jobshop_dispatch.pt").exists()


# -- what keeps it so ------------------------------------------------------------------------------
def _call_name(call: ast.Call) -> str:
    parts = []
    func = call.func
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if isinstance(func, ast.Name):
        parts.append(func.id)
    return ".".join(reversed(parts))


def _keyword(call: ast.Call, name: str) -> object:
    for keyword in call.keywords:
        if keyword.arg == name and isinstance(keyword.value, ast.Constant):
            return keyword.value.value
    return None


UNSAFE_CALLS = {"pickle.load", "pickle.loads", "cloudpickle.load", "cloudpickle.loads",
                "marshal.load", "marshal.loads", "joblib.load", "shelve.open", "dill.load",
                "dill.loads", "yaml.load", "yaml.unsafe_load", "yaml.full_load", "eval", "exec",
                "pd.read_pickle", "pandas.read_pickle", "VecNormalize.load"}


def test_the_package_has_no_unsafe_loading_call() -> None:
    unsafe = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = _call_name(node)
            where = f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {name}"
            if name in UNSAFE_CALLS:
                unsafe.append(where)
            elif name == "torch.load" and _keyword(node, "weights_only") is not True:
                unsafe.append(f"{where} without weights_only=True")
            elif name in ("np.load", "numpy.load") and _keyword(node, "allow_pickle") is not False:
                unsafe.append(f"{where} without allow_pickle=False")
            elif (name.endswith("PPO.load")
                  and not any(k.arg == "custom_objects" for k in node.keywords)):
                unsafe.append(f"{where} without custom_objects")
    assert unsafe == []
