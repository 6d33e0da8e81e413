"""Seeded synthetic programs for tests and the mapping env's default workload.

Two shapes, both built as a scheduled list of operations over bf16 tensors (2 bytes an element):

* ``"layers"``: a stack of layers, each a matmul against its own weight, an elementwise
  activation and sometimes a normalisation with a small scale parameter; every few layers a skip
  connection adds an activation kept alive from several layers back (the long-lived buffers).
* ``"decode"``: one step of autoregressive decoding at batch 1: per layer, large projection
  weights read once each (memory-bound matmuls), a small key/value cache read by the attention
  and a small new cache entry written out.

The program reads one input and writes one output; FLOPs follow from the shapes (``2 m k n``
for a matmul, one per element for an elementwise operation).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from decisiongym.envs.core.errors import InputError
from decisiongym.envs.memory.program import BufferKind, Program

BYTES_PER_ELEMENT = 2
SHAPES = ("layers", "decode")


class _Builder:
    def __init__(self) -> None:
        self.buffers: list[tuple[str, int, BufferKind]] = []
        self.operations: list[tuple[str, float, list[int], list[int]]] = []

    def buffer(self, name: str, elements: int, kind: BufferKind) -> int:
        self.buffers.append((f"{name}.{len(self.buffers)}", elements * BYTES_PER_ELEMENT, kind))
        return len(self.buffers) - 1

    def op(self, name: str, flops: float, reads: list[int], writes: list[int]) -> None:
        self.operations.append((name, flops, reads, writes))


@dataclass(frozen=True)
class SyntheticProgramGenerator:
    """Draws programs of one shape with sizes picked from a seeded generator.

    :param shape: ``"layers"`` or ``"decode"`` (see the module docstring).
    :param n_layers: how many layers the program stacks.
    :param min_width: the smallest hidden width drawn (elements).
    :param max_width: the largest hidden width drawn.
    :param batch: rows of the activations (tokens times batch); a decode step uses 1 when
        ``shape="decode"`` regardless.
    :param skip_every: a skip connection every that many layers (0: none), ``"layers"`` only.
    """

    shape: str = "layers"
    n_layers: int = 8
    min_width: int = 64
    max_width: int = 512
    batch: int = 32
    skip_every: int = 3

    def __post_init__(self) -> None:
        if self.shape not in SHAPES:
            raise InputError(f"unknown shape {self.shape!r}; choose one of {', '.join(SHAPES)}",
                             field="shape")
        for field in ("n_layers", "min_width", "batch"):
            value = getattr(self, field)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InputError(f"must be an integer >= 1, got {value!r}", field=field)
        if not isinstance(self.max_width, int) or self.max_width < self.min_width:
            raise InputError(f"must be an integer >= min_width ({self.min_width}), got "
                             f"{self.max_width!r}", field="max_width")
        if isinstance(self.skip_every, bool) or not isinstance(self.skip_every, int) \
                or self.skip_every < 0:
            raise InputError(f"must be an integer >= 0, got {self.skip_every!r}",
                             field="skip_every")

    def generate(self, seed: int | np.random.Generator) -> Program:
        """One program; the same seed gives the same program.

        :param seed: an integer seed or a numpy generator to draw from.
        """
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        if self.shape == "decode":
            return self._decode(rng)
        return self._layers(rng)

    def _width(self, rng: np.random.Generator) -> int:
        return int(rng.integers(self.min_width // 16, self.max_width // 16 + 1)) * 16 or 16

    def _layers(self, rng: np.random.Generator) -> Program:
        net = _Builder()
        width = self._width(rng)
        h = net.buffer("input", self.batch * width, BufferKind.INPUT)
        history = [(h, width)]
        for layer in range(self.n_layers):
            out_width = self._width(rng)
            weight = net.buffer(f"w{layer}", width * out_width, BufferKind.PARAMETER)
            a = net.buffer(f"mm{layer}", self.batch * out_width, BufferKind.ACTIVATION)
            net.op("aten.mm", 2.0 * self.batch * width * out_width, [h, weight], [a])
            h = net.buffer(f"act{layer}", self.batch * out_width, BufferKind.ACTIVATION)
            net.op("aten.relu", float(self.batch * out_width), [a], [h])
            if rng.random() < 0.3:
                scale = net.buffer(f"scale{layer}", out_width, BufferKind.PARAMETER)
                normed = net.buffer(f"norm{layer}", self.batch * out_width,
                                    BufferKind.ACTIVATION)
                net.op("aten.mul", 2.0 * self.batch * out_width, [h, scale], [normed])
                h = normed
            back = self.skip_every
            if back and layer % back == back - 1 and len(history) > back:
                source, source_width = history[-back - 1]
                if source_width == out_width:
                    summed = net.buffer(f"add{layer}", self.batch * out_width,
                                        BufferKind.ACTIVATION)
                    net.op("aten.add", float(self.batch * out_width), [h, source], [summed])
                    h = summed
                else:
                    # A projection brings the kept activation to this layer's width.
                    proj = net.buffer(f"wskip{layer}", source_width * out_width,
                                      BufferKind.PARAMETER)
                    summed = net.buffer(f"res{layer}", self.batch * out_width,
                                        BufferKind.ACTIVATION)
                    net.op("aten.addmm", 2.0 * self.batch * source_width * out_width,
                           [h, source, proj], [summed])
                    h = summed
            history.append((h, out_width))
            width = out_width
        out = net.buffer("output", self.batch * width, BufferKind.OUTPUT)
        net.op("aten.copy", float(self.batch * width), [h], [out])
        return Program.from_lists(f"layers-{self.n_layers}", net.buffers, net.operations)

    def _decode(self, rng: np.random.Generator) -> Program:
        net = _Builder()
        width = self._width(rng)
        context = int(rng.integers(16, 129))
        h = net.buffer("token", width, BufferKind.INPUT)
        for layer in range(self.n_layers):
            qkv_w = net.buffer(f"wqkv{layer}", width * 3 * width, BufferKind.PARAMETER)
            qkv = net.buffer(f"qkv{layer}", 3 * width, BufferKind.ACTIVATION)
            net.op("aten.mm", 2.0 * width * 3 * width, [h, qkv_w], [qkv])
            cache = net.buffer(f"kv{layer}", 2 * context * width, BufferKind.INPUT)
            entry = net.buffer(f"kvnew{layer}", 2 * width, BufferKind.OUTPUT)
            net.op("aten.slice_scatter", float(2 * width), [qkv], [entry])
            attn = net.buffer(f"attn{layer}", width, BufferKind.ACTIVATION)
            net.op("aten._scaled_dot_product_attention", 4.0 * context * width,
                   [qkv, cache], [attn])
            out_w = net.buffer(f"wo{layer}", width * width, BufferKind.PARAMETER)
            proj = net.buffer(f"proj{layer}", width, BufferKind.ACTIVATION)
            net.op("aten.mm", 2.0 * width * width, [attn, out_w], [proj])
            up_w = net.buffer(f"wup{layer}", width * 4 * width, BufferKind.PARAMETER)
            up = net.buffer(f"up{layer}", 4 * width, BufferKind.ACTIVATION)
            net.op("aten.mm", 8.0 * width * width, [proj, up_w], [up])
            down_w = net.buffer(f"wdown{layer}", 4 * width * width, BufferKind.PARAMETER)
            down = net.buffer(f"down{layer}", width, BufferKind.ACTIVATION)
            net.op("aten.mm", 8.0 * width * width, [up, down_w], [down])
            summed = net.buffer(f"res{layer}", width, BufferKind.ACTIVATION)
            net.op("aten.add", float(width), [down, h], [summed])
            h = summed
        logits_w = net.buffer("wlogits", width * 4 * width, BufferKind.PARAMETER)
        logits = net.buffer("logits", 4 * width, BufferKind.OUTPUT)
        net.op("aten.mm", 8.0 * width * width, [h, logits_w], [logits])
        return Program.from_lists(f"decode-{self.n_layers}", net.buffers, net.operations)
