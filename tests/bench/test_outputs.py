"""A benchmark writes its files whole and together, or leaves its output folder as it was: a
bad ``out_dir`` is refused before any cell runs, and a run that fails writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from decisiongym.bench.jobshop import grid as jobshop
from decisiongym.bench.jobshop import report as jobshop_report
from decisiongym.envs.core.errors import OutputPathError

SMALL = {"time_limit": 0.2, "workers": 1, "speed": False, "warm": False,
         "cpsat_instances": (), "samples": 1}


class RenderFailed(RuntimeError):
    pass


def _fail(*args: object, **kwargs: object) -> None:
    raise RenderFailed("the report could not be rendered")


def test_an_out_dir_that_is_a_file_is_refused_before_any_cell(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from decisiongym.bench import runner
    from decisiongym.bench.bandits import grid as bandits
    from decisiongym.bench.soc import grid as soc

    monkeypatch.setattr(runner, "run_grid", _fail)
    (tmp_path / "results").write_text("a file")
    for run in (lambda out: jobshop.run_benchmark(["ft06"], out_dir=out, **SMALL),
                lambda out: bandits.run_benchmark(seeds=1, suites=["mab"], quick=True,
                                                  out_dir=out, speed=False),
                lambda out: soc.run_benchmark(seeds=1, quick=True, out_dir=out, speed=False)):
        with pytest.raises(OutputPathError, match="results is a file, not a folder"):
            run(tmp_path / "results")
        with pytest.raises(OutputPathError, match="results is a file"):
            run(tmp_path / "results" / "deeper")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results"]


def test_a_failed_benchmark_leaves_no_folder_and_no_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jobshop_report, "render", _fail)
    with pytest.raises(RenderFailed):
        jobshop.run_benchmark(["ft06"], out_dir=tmp_path / "new", **SMALL)
    assert not (tmp_path / "new").exists()

    previous = tmp_path / "published"
    previous.mkdir()
    (previous / "jobshop.csv").write_text("previous records")
    with pytest.raises(RenderFailed):
        jobshop.run_benchmark(["ft06"], out_dir=previous, **SMALL)
    assert sorted(p.name for p in previous.iterdir()) == ["jobshop.csv"]
    assert (previous / "jobshop.csv").read_text() == "previous records"

    monkeypatch.undo()
    path = jobshop.run_benchmark(["ft06"], out_dir=previous, **SMALL)
    assert path == previous / "jobshop.md"
    assert sorted(p.name for p in previous.iterdir()) == ["jobshop.csv", "jobshop.md"]
    assert (previous / "jobshop.csv").read_text().startswith("family,method,")
