"""A user's torch model, named as ``MODULE:FACTORY``, traced into a program file: what
``decisiongym trace memory`` runs.

The factory is imported and called, so this runs the user's code by design: it is the model
the user asks to trace. Nothing else in the library imports code named from outside.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

from decisiongym.envs.core.errors import InputError
from decisiongym.envs.memory.program import Program


def load_factory(reference: str) -> Any:
    """The callable ``reference`` names, ``"package.module:function"`` (the module imported,
    looked for in the working folder too).

    :raises InputError: for a reference without ``:``, a module that cannot be imported or an
        attribute it lacks or that is not callable.
    """
    module_name, sep, attribute = reference.partition(":")
    if not sep or not module_name or not attribute:
        raise InputError(f"expected MODULE:FACTORY (such as decisiongym.envs.memory.zoo:mlp), "
                         f"got {reference!r}", field="factory")
    # the console script's path starts at its own folder, not the user's: look there too, as
    # `python -m` would
    here = os.getcwd()
    added = here not in sys.path and "" not in sys.path
    if added:
        sys.path.insert(0, here)
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise InputError(f"cannot import {module_name!r} ({exc}); run from its folder or put "
                         "that folder on PYTHONPATH", field="factory") from None
    finally:
        if added:
            sys.path.remove(here)
    target: Any = module
    for part in attribute.split("."):
        if not hasattr(target, part):
            raise InputError(f"{module_name} has no {attribute!r}", field="factory")
        target = getattr(target, part)
    if not callable(target):
        raise InputError(f"{reference} is a {type(target).__name__}, not a function returning "
                         "(model, example_inputs)", field="factory")
    return target


def trace_factory(reference: str, name: str | None = None) -> Program:
    """Call the factory ``reference`` names and trace the model it returns on its example
    inputs (:func:`~decisiongym.envs.memory.trace.trace`, one forward call).

    :param reference: ``"package.module:function"``; the function takes no argument and returns
        ``(model, example_inputs)``, the inputs a tensor or a tuple of positional arguments.
    :param name: the program's name; the factory's name when ``None``.
    :raises InputError: for a reference :func:`load_factory` refuses, a factory that returns
        something else than a pair, or a model ``torch.export`` cannot trace.
    """
    from decisiongym.envs.memory.trace import trace

    factory = load_factory(reference)
    built = factory()
    if not isinstance(built, tuple | list) or len(built) != 2:
        raise InputError(f"{reference} returned a {type(built).__name__}; expected the pair "
                         "(model, example_inputs)", field="factory")
    model, example_inputs = built
    label = name or reference.partition(":")[2]
    return trace(model, example_inputs, name=label)


def trace_to_file(reference: str, out: str | os.PathLike[str],
                  name: str | None = None) -> Program:
    """Trace the factory's model (:func:`trace_factory`) and write its program file, whole or
    not at all (gzip-compressed when ``out`` ends in ``.gz``; missing folders created); return
    the program.

    :param reference: ``"package.module:function"``.
    :param out: the program file to write (``.json`` or ``.json.gz``).
    :param name: the program's name; the factory's name when ``None``.
    """
    import torch

    from decisiongym.envs.memory.program_file import write_program

    program = trace_factory(reference, name)
    write_program(program, out, origin={"model": reference, "tracer": "torch.export",
                                        "torch": torch.__version__.split("+")[0]},
                  make_folders=True)
    return program
