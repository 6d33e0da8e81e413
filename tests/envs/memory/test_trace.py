"""Tracing torch modules into programs: buffers, live ranges, views, FLOPs, the training step
and the shipped zoo files."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import torch
from torch import nn

from decisiongym.envs.core.errors import InputError
from decisiongym.envs.memory.program import BufferKind, Program
from decisiongym.envs.memory.trace import trace, trace_training_step


def same_program(a: Program, b: Program) -> None:
    assert a.name == b.name
    assert a.buffer_names == b.buffer_names
    assert a.op_names == b.op_names
    for field in ("buffer_size", "buffer_kind", "op_flops", "read_ptr", "read_idx",
                  "write_ptr", "write_idx"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field), err_msg=field)


class MatmulViewRelu(nn.Module):
    """``relu((x @ w).view(-1)) + 1``: one matmul, one view, two elementwise operations."""

    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.zeros(8, 16))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu((x @ self.w).view(-1)) + 1


@pytest.fixture(scope="module")
def tiny() -> Program:
    return trace(MatmulViewRelu(), (torch.zeros(4, 8),), name="tiny")


def test_tiny_model_buffers_kinds_and_sizes(tiny: Program) -> None:
    assert tiny.name == "tiny"
    assert tiny.buffer_names == ("w", "x", "mm", "relu", "add")
    # float32: 4 bytes per element; the view makes no buffer of its own
    assert tiny.buffer_size.tolist() == [8 * 16 * 4, 4 * 8 * 4, 4 * 16 * 4, 64 * 4, 64 * 4]
    assert tiny.buffer_kind.tolist() == [BufferKind.PARAMETER, BufferKind.INPUT,
                                         BufferKind.ACTIVATION, BufferKind.ACTIVATION,
                                         BufferKind.OUTPUT]


def test_tiny_model_operations_flops_and_view_forwarding(tiny: Program) -> None:
    assert tiny.op_names == ("aten.mm.default", "aten.relu.default", "aten.add.Tensor")
    # mm of (4, 8) x (8, 16): 2 m n k; relu and add: one FLOP per output element
    assert tiny.op_flops.tolist() == [2 * 4 * 16 * 8, 64, 64]
    assert tiny.reads(0).tolist() == [0, 1] and tiny.writes(0).tolist() == [2]
    # relu reads the view of mm, so it reads mm itself
    assert tiny.reads(1).tolist() == [2] and tiny.writes(1).tolist() == [3]
    assert tiny.reads(2).tolist() == [3] and tiny.writes(2).tolist() == [4]


def test_tiny_model_live_ranges(tiny: Program) -> None:
    lower, upper = tiny.live_ranges()
    assert lower.tolist() == [0, 0, 0, 1, 2]
    assert upper.tolist() == [1, 1, 2, 3, 3]
    # at time 1: mm (256 bytes) and relu (256) are live
    assert tiny.peak_live_bytes() == 512 + 128 + 256


class NormThenSplit(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(6)
        self.unused = nn.Linear(3, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        first, second = self.norm(x).split(3, dim=-1)
        return first * second


def test_multiple_results_getitem_and_unused_parameters() -> None:
    program = trace(NormThenSplit().eval(), (torch.zeros(2, 6),))
    names = program.buffer_names
    # native_layer_norm writes its result, the mean and the inverse deviation
    norm = program.op_names.index("aten.native_layer_norm.default")
    written = [names[b] for b in program.writes(norm)]
    assert written == ["native_layer_norm.0", "native_layer_norm.1", "native_layer_norm.2"]
    assert program.buffer_size[names.index("native_layer_norm.1")] == 2 * 4
    # both halves of the split are views of the normalised tensor
    mul = program.op_names.index("aten.mul.Tensor")
    assert [names[b] for b in program.reads(mul)] == ["native_layer_norm.0"]
    # a parameter no operation reads is not a buffer
    assert not any(name.startswith("unused") for name in names)


def test_convolution_flops_follow_torch_formula() -> None:
    conv = nn.Conv2d(3, 5, 3, padding=1, bias=False)
    program = trace(conv, (torch.zeros(2, 3, 8, 8),))
    (t,) = [i for i, name in enumerate(program.op_names) if "convolution" in name]
    # every output element is a dot product of 3 * 3 * 3 terms: 2 FLOPs per term
    assert program.op_flops[t] == 2 * (2 * 5 * 8 * 8) * (3 * 3 * 3)


def test_data_movement_counts_no_flops() -> None:
    class Concatenate(nn.Module):
        def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
            return torch.cat([a, b]).sum()

    program = trace(Concatenate(), (torch.zeros(3), torch.zeros(4)))
    flops = dict(zip(program.op_names, program.op_flops.tolist()))
    assert program.op_names[0] == "aten.cat.default" and flops["aten.cat.default"] == 0
    assert program.op_names[1].startswith("aten.sum.")
    assert program.op_flops[1] == 1  # one output element


def test_a_model_export_refuses_is_a_typed_error() -> None:
    class DataDependent(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x[x > 0]

    with pytest.raises(InputError, match="model: .* a program needs static shapes"):
        trace(DataDependent(), (torch.zeros(3),))


def test_training_step_of_a_linear_layer() -> None:
    torch.manual_seed(0)
    layer = nn.Linear(8, 4)
    program = trace_training_step(layer, (torch.zeros(3, 8),), torch.zeros(3, 4),
                                  learning_rate=0.1)
    kinds = dict(zip(program.buffer_names, program.buffer_kind.tolist()))
    assert kinds["weight"] == kinds["bias"] == BufferKind.PARAMETER
    assert kinds["input0"] == kinds["target"] == BufferKind.INPUT
    outputs = [n for n, k in kinds.items() if k == BufferKind.OUTPUT]
    # the loss and one updated tensor per parameter
    assert len(outputs) == 3
    sizes = sorted(int(program.buffer_size[program.buffer_names.index(n)]) for n in outputs)
    assert sizes == [4, 4 * 4, 8 * 4 * 4]
    # forward addmm (3x8 @ 8x4) and the weight's gradient mm (4x3 @ 3x8)
    flops = [f for name, f in zip(program.op_names, program.op_flops) if "mm" in name]
    assert 2 * 3 * 4 * 8 in flops and len(flops) >= 2
    # the forward reads the weight before any update writes an output
    lower, upper = program.live_ranges()
    weight = program.buffer_names.index("weight")
    assert lower[weight] == 0


def test_import_of_the_family_loads_no_torch() -> None:
    code = ("import sys, json, decisiongym, decisiongym.envs.memory.workloads, "
            "decisiongym.envs.memory.program_file, decisiongym.envs.memory.ids; "
            "print(json.dumps(['torch' in sys.modules]))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [False]


def test_the_shipped_mlp_file_is_what_tracing_gives_now() -> None:
    from decisiongym.envs.memory.program_file import parse_program
    from decisiongym.envs.memory.workloads import workload_path
    from decisiongym.envs.memory.zoo import trace_zoo

    shipped, origin = parse_program(workload_path("mlp-b32").read_bytes())
    if origin["torch"].split(".")[:2] != torch.__version__.split(".")[:2]:
        pytest.skip(f"shipped files were traced with torch {origin['torch']}; this is "
                    f"{torch.__version__}, whose decompositions may differ")
    same_program(trace_zoo("mlp-b32"), shipped)


@pytest.mark.slow
def test_every_shipped_file_is_what_tracing_gives_now() -> None:
    from decisiongym.envs.memory.program_file import parse_program
    from decisiongym.envs.memory.workloads import workload_path
    from decisiongym.envs.memory.zoo import ZOO, trace_zoo

    for name in ZOO:
        shipped, origin = parse_program(workload_path(name).read_bytes())
        if origin["torch"].split(".")[:2] != torch.__version__.split(".")[:2]:
            pytest.skip(f"shipped files were traced with torch {origin['torch']}")
        same_program(trace_zoo(name), shipped)


def test_the_zoo_and_the_shipped_files_agree() -> None:
    from decisiongym.envs.memory.workloads import WORKLOAD_NAMES
    from decisiongym.envs.memory.zoo import ZOO

    assert sorted(ZOO) == list(WORKLOAD_NAMES)
