"""Models defined in the library whose traced programs ship as the memory family's workloads.

Each entry of :data:`ZOO` is a factory that, from a seed, returns ``(model, example_inputs)``;
only the shapes matter to the program, the weights do not. A training entry's last example
input is the target its loss compares with, and it is traced with
:func:`~decisiongym.envs.memory.trace.trace_training_step` (the others with
:func:`~decisiongym.envs.memory.trace.trace`).

The models: an MLP; a ResNet-style CNN (basic residual blocks of convolution, batch norm and
ReLU, in inference mode); pre-norm transformer encoder stacks and causal decoder stacks with a
token embedding and an output head, at several batch and sequence sizes; one decode step of
such a decoder reading a KV cache (the cache comes in as inputs and the grown cache goes out);
and training steps of the MLP and a small encoder.

:func:`write_zoo_programs` re-traces the zoo into ``decisiongym/data/memory`` (run
``python -m decisiongym.envs.memory.zoo``); a test re-traces one small model and compares it
with its shipped file, so the files cannot drift from this module.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as functional
from torch import nn

from decisiongym.envs.core.errors import InputError
from decisiongym.envs.memory.program import Program
from decisiongym.envs.memory.program_file import write_program
from decisiongym.envs.memory.trace import trace, trace_training_step
from decisiongym.envs.memory.workloads import DATA_FOLDER, PROGRAM_SUFFIX

Example = tuple[nn.Module, tuple[torch.Tensor, ...]]


class MLP(nn.Module):
    """Fully connected layers with ReLU between them."""

    def __init__(self, widths: Sequence[int]) -> None:
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i + 1 < len(self.layers):
                x = functional.relu(x)
        return x


class ResidualBlock(nn.Module):
    """Two 3x3 convolutions with batch norm and a shortcut (a 1x1 convolution when the shape
    changes), as in ResNet's basic block."""

    def __init__(self, channels_in: int, channels_out: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels_in, channels_out, 3, stride, 1, bias=False)
        self.norm1 = nn.BatchNorm2d(channels_out)
        self.conv2 = nn.Conv2d(channels_out, channels_out, 3, 1, 1, bias=False)
        self.norm2 = nn.BatchNorm2d(channels_out)
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or channels_in != channels_out:
            self.shortcut = nn.Sequential(
                nn.Conv2d(channels_in, channels_out, 1, stride, bias=False),
                nn.BatchNorm2d(channels_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = functional.relu(self.norm1(self.conv1(x)))
        y = self.norm2(self.conv2(y))
        return functional.relu(y + self.shortcut(x))


class ResNet(nn.Module):
    """A stem convolution, residual stages (the first block of each later stage halves the
    resolution), global average pooling and a linear classifier."""

    def __init__(self, widths: Sequence[int], blocks_per_stage: int, classes: int) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, widths[0], 3, 1, 1, bias=False),
                                  nn.BatchNorm2d(widths[0]), nn.ReLU())
        blocks: list[nn.Module] = []
        channels = widths[0]
        for stage, width in enumerate(widths):
            for block in range(blocks_per_stage):
                stride = 2 if stage > 0 and block == 0 else 1
                blocks.append(ResidualBlock(channels, width, stride))
                channels = width
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Linear(channels, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.blocks(self.stem(x))
        return self.head(x.mean(dim=(2, 3)))


class SelfAttention(nn.Module):
    """Multi-head self-attention through ``scaled_dot_product_attention``."""

    def __init__(self, width: int, heads: int, causal: bool) -> None:
        super().__init__()
        self.heads = heads
        self.causal = causal
        self.qkv = nn.Linear(width, 3 * width)
        self.out = nn.Linear(width, width)

    def split_heads(self, x: torch.Tensor) -> torch.Tensor:
        batch, length, width = x.shape
        return x.view(batch, length, self.heads, width // self.heads).transpose(1, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q, k, v = (self.split_heads(t) for t in self.qkv(x).chunk(3, dim=-1))
        y = functional.scaled_dot_product_attention(q, k, v, is_causal=self.causal)
        return self.out(y.transpose(1, 2).reshape(x.shape))


class TransformerBlock(nn.Module):
    """Pre-norm block: ``x + attention(norm(x))`` then ``x + mlp(norm(x))``."""

    def __init__(self, width: int, heads: int, causal: bool) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(width)
        self.attention = SelfAttention(width, heads, causal)
        self.norm2 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(),
                                 nn.Linear(4 * width, width))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attention(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class Transformer(nn.Module):
    """A stack of blocks over token embeddings (with learned positions) and an output head:
    an encoder (``causal=False``, the head scores each position) or a decoder-only language
    model (``causal=True``, the head gives next-token logits)."""

    def __init__(self, vocabulary: int, width: int, heads: int, layers: int, length: int,
                 causal: bool) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocabulary, width)
        self.position = nn.Parameter(torch.zeros(length, width))
        self.blocks = nn.Sequential(*(TransformerBlock(width, heads, causal)
                                      for _ in range(layers)))
        self.norm = nn.LayerNorm(width)
        self.head = nn.Linear(width, vocabulary)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        x = self.embed(tokens) + self.position[: tokens.shape[1]]
        return self.head(self.norm(self.blocks(x)))


class DecodeStep(nn.Module):
    """One token of autoregressive decoding with a KV cache: each layer appends the new key and
    value to its cache and attends from the new token to all of it; the grown caches are
    returned with the logits."""

    def __init__(self, vocabulary: int, width: int, heads: int, layers: int) -> None:
        super().__init__()
        self.heads = heads
        self.embed = nn.Embedding(vocabulary, width)
        self.norms1 = nn.ModuleList(nn.LayerNorm(width) for _ in range(layers))
        self.qkv = nn.ModuleList(nn.Linear(width, 3 * width) for _ in range(layers))
        self.out = nn.ModuleList(nn.Linear(width, width) for _ in range(layers))
        self.norms2 = nn.ModuleList(nn.LayerNorm(width) for _ in range(layers))
        self.mlps = nn.ModuleList(nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(),
                                                nn.Linear(4 * width, width))
                                  for _ in range(layers))
        self.norm = nn.LayerNorm(width)
        self.head = nn.Linear(width, vocabulary)

    def forward(self, token: torch.Tensor, keys: torch.Tensor,
                values: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x = self.embed(token)
        batch, _, width = x.shape
        grown_keys, grown_values = [], []
        for layer in range(len(self.qkv)):
            h = self.norms1[layer](x)
            q, k, v = (t.view(batch, 1, self.heads, width // self.heads).transpose(1, 2)
                       for t in self.qkv[layer](h).chunk(3, dim=-1))
            k = torch.cat([keys[layer], k], dim=2)
            v = torch.cat([values[layer], v], dim=2)
            grown_keys.append(k)
            grown_values.append(v)
            y = functional.scaled_dot_product_attention(q, k, v)
            x = x + self.out[layer](y.transpose(1, 2).reshape(batch, 1, width))
            x = x + self.mlps[layer](self.norms2[layer](x))
        return self.head(self.norm(x)), torch.stack(grown_keys), torch.stack(grown_values)


def _generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _built(seed: int, build: Callable[[], nn.Module]) -> nn.Module:
    """The module ``build`` makes, its weights drawn from ``seed`` without touching torch's
    global random state."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build().train(False)


def mlp(seed: int = 0, batch: int = 32, widths: Sequence[int] = (784, 512, 512, 256, 10)
        ) -> Example:
    """An MLP on a batch of flattened 28x28 images."""
    model = _built(seed, lambda: MLP(widths))
    return model, (torch.randn(batch, widths[0], generator=_generator(seed)),)


def resnet(seed: int = 0, batch: int = 1, image: int = 32) -> Example:
    """A ResNet-style CNN (stages of 16, 32 and 64 channels, two blocks each) on RGB images."""
    model = _built(seed, lambda: ResNet((16, 32, 64), 2, 10))
    return model, (torch.randn(batch, 3, image, image, generator=_generator(seed)),)


def _tokens(seed: int, batch: int, length: int, vocabulary: int) -> torch.Tensor:
    return torch.randint(vocabulary, (batch, length), generator=_generator(seed))


def encoder(seed: int = 0, batch: int = 1, length: int = 128, width: int = 256,
            layers: int = 4, heads: int = 4, vocabulary: int = 1024) -> Example:
    """A transformer encoder stack over a batch of token sequences."""
    model = _built(seed, lambda: Transformer(vocabulary, width, heads, layers, length, False))
    return model, (_tokens(seed, batch, length, vocabulary),)


def decoder(seed: int = 0, batch: int = 1, length: int = 128, width: int = 256,
            layers: int = 4, heads: int = 4, vocabulary: int = 1024) -> Example:
    """A causal transformer decoder stack (a language model's prefill) over token sequences."""
    model = _built(seed, lambda: Transformer(vocabulary, width, heads, layers, length, True))
    return model, (_tokens(seed, batch, length, vocabulary),)


def decode_step(seed: int = 0, batch: int = 1, cached: int = 512, width: int = 256,
                layers: int = 4, heads: int = 4, vocabulary: int = 1024) -> Example:
    """One decoding step of the decoder with ``cached`` tokens in its KV cache."""
    model = _built(seed, lambda: DecodeStep(vocabulary, width, heads, layers))
    shape = (layers, batch, heads, cached, width // heads)
    keys = torch.randn(*shape, generator=_generator(seed))
    values = torch.randn(*shape, generator=_generator(seed + 1))
    return model, (_tokens(seed, batch, 1, vocabulary), keys, values)


def mlp_training(seed: int = 0, batch: int = 64,
                 widths: Sequence[int] = (784, 512, 256, 10)) -> Example:
    """A training step of an MLP regressing a batch of targets (last input: the target)."""
    model = _built(seed, lambda: MLP(widths)).train()
    inputs = torch.randn(batch, widths[0], generator=_generator(seed))
    target = torch.randn(batch, widths[-1], generator=_generator(seed + 1))
    return model, (inputs, target)


class _EncoderRegressor(nn.Module):
    """An encoder stack on embedded inputs (no token lookup, so every input has a gradient
    path), for the training step."""

    def __init__(self, width: int, heads: int, layers: int) -> None:
        super().__init__()
        self.blocks = nn.Sequential(*(TransformerBlock(width, heads, False)
                                      for _ in range(layers)))
        self.norm = nn.LayerNorm(width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(self.blocks(x))


def encoder_training(seed: int = 0, batch: int = 4, length: int = 64, width: int = 128,
                     layers: int = 2, heads: int = 4) -> Example:
    """A training step of a small encoder stack (last input: the target)."""
    model = _built(seed, lambda: _EncoderRegressor(width, heads, layers)).train()
    inputs = torch.randn(batch, length, width, generator=_generator(seed))
    target = torch.randn(batch, length, width, generator=_generator(seed + 1))
    return model, (inputs, target)


@dataclass(frozen=True)
class ZooModel:
    """One shipped workload: how to build its model and how to trace it.

    :param name: the workload's name (its file is ``NAME.json.gz``).
    :param build: ``seed -> (model, example_inputs)``.
    :param training: trace a training step; the last example input is the target.
    :param summary: one line for tables and docs.
    """

    name: str
    build: Callable[[int], Example]
    training: bool
    summary: str


def _entry(name: str, summary: str, factory: Callable[..., Example], training: bool = False,
           **sizes: int) -> ZooModel:
    return ZooModel(name, lambda seed: factory(seed, **sizes), training, summary)


ZOO: dict[str, ZooModel] = {entry.name: entry for entry in (
    _entry("mlp-b32", "MLP 784-512-512-256-10, batch 32", mlp, batch=32),
    _entry("mlp-b256", "MLP 784-512-512-256-10, batch 256", mlp, batch=256),
    _entry("resnet-b1", "ResNet-style CNN (16/32/64 channels), one 32x32 image", resnet,
           batch=1),
    _entry("resnet-b16", "ResNet-style CNN (16/32/64 channels), 16 32x32 images", resnet,
           batch=16),
    _entry("encoder-b1-s128", "transformer encoder, 4 layers of width 256, 1 x 128 tokens",
           encoder, batch=1, length=128),
    _entry("encoder-b8-s128", "transformer encoder, 4 layers of width 256, 8 x 128 tokens",
           encoder, batch=8, length=128),
    _entry("encoder-b1-s512", "transformer encoder, 4 layers of width 256, 1 x 512 tokens",
           encoder, batch=1, length=512),
    _entry("decoder-b1-s128", "causal transformer decoder (prefill), 4 layers, 1 x 128 tokens",
           decoder, batch=1, length=128),
    _entry("decoder-b4-s256", "causal transformer decoder (prefill), 4 layers, 4 x 256 tokens",
           decoder, batch=4, length=256),
    _entry("decode-b1-c512", "one decode step, 4 layers, KV cache of 512 tokens, batch 1",
           decode_step, batch=1, cached=512),
    _entry("decode-b8-c1024", "one decode step, 4 layers, KV cache of 1024 tokens, batch 8",
           decode_step, batch=8, cached=1024),
    _entry("train-mlp-b64", "training step (forward, backward, SGD) of an MLP, batch 64",
           mlp_training, training=True, batch=64),
    _entry("train-encoder-b4-s64", "training step of a 2-layer encoder of width 128, "
           "4 x 64 tokens", encoder_training, training=True, batch=4, length=64),
)}
"""Every shipped workload, by name."""


def trace_zoo(name: str, seed: int = 0) -> Program:
    """The program of one zoo model, traced now (seconds).

    :raises InputError: naming the zoo's models when ``name`` is not one.
    """
    if name not in ZOO:
        raise InputError(f"no zoo model {name!r}; the models are {', '.join(ZOO)}",
                         field="name")
    entry = ZOO[name]
    model, inputs = entry.build(seed)
    if entry.training:
        return trace_training_step(model, inputs[:-1], inputs[-1], name=name)
    return trace(model, inputs, name=name)


def write_zoo_programs(folder: str | os.PathLike[str] = DATA_FOLDER,
                       names: Sequence[str] | None = None) -> list[Path]:
    """Trace zoo models and write their program files (``NAME.json.gz``) into ``folder``.

    :param folder: where to write; the package's data folder by default.
    :param names: the models to trace; all of them when ``None``.
    :return: the files written.
    """
    written = []
    for name in names or list(ZOO):
        path = Path(folder) / f"{name}{PROGRAM_SUFFIX}"
        write_program(trace_zoo(name), path,
                      origin={"model": f"decisiongym.envs.memory.zoo:{name}",
                              "summary": ZOO[name].summary,
                              "tracer": "trace_training_step" if ZOO[name].training
                              else "torch.export",
                              "torch": torch.__version__.split("+")[0]})
        written.append(path)
    return written


def _main(arguments: Sequence[str]) -> int:
    for path in write_zoo_programs(names=list(arguments) or None):
        print(f"{path} ({math.ceil(path.stat().st_size / 1024)} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
