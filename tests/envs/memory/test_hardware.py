"""Hardware presets, capacities as fractions, and typed errors on bad values."""

from __future__ import annotations

import dataclasses

import pytest

from decisiongym.envs.core.errors import InputError
from decisiongym.envs.memory.hardware import HARDWARE_PRESETS, Hardware, hardware_preset


def test_presets_carry_the_published_figures() -> None:
    tpu, gpu = hardware_preset("tpu-like"), hardware_preset("gpu-like")
    # TPUv4i (Jouppi et al., ISCA 2021): 614 GB/s HBM, 138 TFLOP/s bf16, 128 MiB CMEM.
    assert (tpu.slow_bandwidth, tpu.compute, tpu.fast_capacity) == (614e9, 138e12, 128 * 2**20)
    # A100 40 GB whitepaper: 1,555 GB/s HBM, 312 TFLOP/s bf16, L2 5,120 B/clk at 1.41 GHz.
    assert (gpu.slow_bandwidth, gpu.compute) == (1555e9, 312e12)
    assert gpu.fast_bandwidth == pytest.approx(7.2192e12)
    assert set(HARDWARE_PRESETS) == {"tpu-like", "gpu-like"}


def test_capacity_as_a_fraction_of_peak_live_rounds_down_to_the_alignment() -> None:
    chip = hardware_preset("tpu-like")  # alignment 512
    assert chip.with_capacity(0.5, 10_000).fast_capacity == 4608
    assert chip.with_capacity(4096).fast_capacity == 4096
    with pytest.raises(InputError, match="capacity"):
        chip.with_capacity(1.5, 10_000)
    with pytest.raises(InputError, match="peak live"):
        chip.with_capacity(0.5)


@pytest.mark.parametrize("field, value", [("fast_capacity", 0), ("alignment", 1.5),
                                          ("fast_bandwidth", -1.0), ("compute", float("nan")),
                                          ("copy_bandwidth", "fast"),
                                          ("max_outstanding_copies", 0)])
def test_bad_values_name_their_field(field: str, value: object) -> None:
    with pytest.raises(InputError, match=field):
        dataclasses.replace(hardware_preset("gpu-like"), **{field: value})


def test_unknown_preset_lists_the_known_ones() -> None:
    with pytest.raises(InputError, match="gpu-like, tpu-like"):
        hardware_preset("npu")
    assert isinstance(hardware_preset("gpu-like"), Hardware)
