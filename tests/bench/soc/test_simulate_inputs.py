"""``simulate_stream`` refuses a stream that leaves nothing to measure, before simulating."""

from __future__ import annotations

import pytest

from decisiongym.bench.soc.simulate import mix_from_text, simulate_stream
from decisiongym.envs.core.errors import InputError


@pytest.mark.parametrize(("kwargs", "fragment"), [
    ({"n_jobs": 10, "warmup_jobs": 10}, "warmup_jobs: must be in [0, n_jobs - 1]"),
    ({"rate_jobs_per_ms": 1e-300}, "rate_jobs_per_ms: 1e-300 jobs per ms spreads 1000 jobs"),
    ({"rate_jobs_per_ms": float("nan")}, "rate_jobs_per_ms: must be a finite number > 0"),
    ({"platform": "nope"}, "neither a built-in platform"),
])
def test_streams_that_measure_nothing(kwargs: dict[str, object], fragment: str) -> None:
    with pytest.raises(InputError) as caught:
        simulate_stream("etf", **kwargs)  # type: ignore[arg-type]
    assert fragment in str(caught.value)


@pytest.mark.parametrize(("text", "fragment"), [
    ("wifi_tx:nan", "weight 'nan' of wifi_tx"),
    ("wifi_tx:x", "weight 'x' of wifi_tx is not a number"),
    ("wifi_tx:0", "are all 0"),
    ("wifi_tx,", "empty application name"),
])
def test_mix_weights(text: str, fragment: str) -> None:
    with pytest.raises(InputError, match=fragment):
        mix_from_text(text)
    assert mix_from_text("wifi_tx:1,wifi_rx:3") == [("wifi_tx", 0.25), ("wifi_rx", 0.75)]
