"""The synthetic program generator: seeded, valid programs of the documented shapes."""

from __future__ import annotations

import numpy as np
import pytest

from decisiongym.envs.core.errors import InputError
from decisiongym.envs.memory.program import BufferKind
from decisiongym.envs.memory.program_generator import SyntheticProgramGenerator


@pytest.mark.parametrize("shape", ["layers", "decode"])
def test_same_seed_same_program(shape: str) -> None:
    generator = SyntheticProgramGenerator(shape=shape, n_layers=5)
    a, b, c = generator.generate(3), generator.generate(3), generator.generate(4)
    assert a.buffer_size.tolist() == b.buffer_size.tolist() and a.op_names == b.op_names
    assert a.buffer_size.tolist() != c.buffer_size.tolist()


def test_layers_have_long_lived_skip_sources_and_one_input_and_output() -> None:
    program = SyntheticProgramGenerator(n_layers=12, skip_every=3).generate(0)
    kinds = program.buffer_kind.tolist()
    assert kinds.count(BufferKind.INPUT) == 1 and kinds.count(BufferKind.OUTPUT) == 1
    lower, upper = program.live_ranges()
    activations = program.buffer_kind == BufferKind.ACTIVATION
    assert (upper - lower)[activations].max() >= 4  # kept alive across a skip


def test_decode_step_reads_big_weights_once_and_a_small_cache() -> None:
    program = SyntheticProgramGenerator(shape="decode", n_layers=4).generate(0)
    lower, upper = program.live_ranges()
    weights = program.buffer_kind == BufferKind.PARAMETER
    assert np.all(upper[weights] - lower[weights] == 1)
    caches = [i for i, name in enumerate(program.buffer_names)
              if name.startswith("kv") and not name.startswith("kvnew")]
    assert caches and program.buffer_size[caches].max() < program.buffer_size[weights].max()


@pytest.mark.parametrize("kwargs, field", [({"shape": "cnn"}, "shape"),
                                           ({"n_layers": 0}, "n_layers"),
                                           ({"max_width": 8}, "max_width"),
                                           ({"skip_every": -1}, "skip_every")])
def test_bad_arguments_name_their_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(InputError, match=field):
        SyntheticProgramGenerator(**kwargs)  # type: ignore[arg-type]
