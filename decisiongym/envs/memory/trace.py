"""Turning a torch module into a :class:`~decisiongym.envs.memory.program.Program`.

:func:`trace` runs ``torch.export.export`` and ``run_decompositions()``, so the program is
written in core ATen operations whatever the model's Python looks like, and
:func:`trace_training_step` traces one step of training (forward, loss, backward and a plain
SGD update). Both then read the graph the same way (:func:`program_from_graph`):

* **Operations.** One per compute node, in the graph's order (a topological order, the one
  the graph runs in): time is the node's index among them. A node is a compute node unless it
  is a view or a ``getitem``.
* **Buffers.** The graph's inputs (parameters, buffers and lifted constants are
  ``PARAMETER``; the user's inputs are ``INPUT``) and the tensors compute nodes produce
  (``ACTIVATION``, or ``OUTPUT`` when the graph returns them). Sizes are in bytes: elements
  times element size, from the fake tensor each node carries in ``node.meta["val"]``. A node
  that returns several tensors (``native_layer_norm``: the result, mean and inverse standard
  deviation) produces one buffer per tensor; ``getitem`` picks one and is no operation.
  Empty tensors produce no buffer, and a buffer no operation uses is dropped.
* **Views.** An operator whose schema says its result aliases its input (``view``,
  ``permute``, ``expand``, ``slice``, ``select``, ``t``, ``unsqueeze``, ``squeeze``,
  ``alias``, ``detach``, ``as_strided``, ``split``... ; ``torch``'s ``OpOverload.is_view``) and
  ``_unsafe_view`` produce no buffer and no operation: they forward the buffer of their base,
  so a later read of the view reads the base. An in-place operator (``add_``, ``copy_``) is an
  operation that reads its arguments and writes the buffer it mutates, which its result then
  stands for.
* **FLOPs.** From shapes alone: ``torch.utils.flop_counter``'s registered formula where it has
  one (``mm``, ``addmm``, ``bmm``, ``baddbmm``, ``convolution`` and its backward, attention...;
  ``mm`` of ``(m, k) x (k, n)`` is ``2 m n k``), 0 for operators that only move, copy or
  create data (:data:`DATA_MOVEMENT`), and otherwise one FLOP per output element (elementwise
  operators and reductions; a softmax counts as one per element too).

``torch`` is imported inside these functions only, so ``import decisiongym`` stays light.
Tracing takes seconds: trace once and save the program (``program_file``), never inside an
environment's ``reset``.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from decisiongym.envs.core.errors import InputError
from decisiongym.envs.memory.program import BufferKind, Program

DATA_MOVEMENT: frozenset[str] = frozenset({
    "_to_copy", "arange", "as_strided_scatter", "cat", "clone", "constant_pad_nd", "copy",
    "copy_", "embedding", "empty", "empty_like", "empty_strided", "expand_copy", "fill",
    "fill_", "flip", "full", "full_like", "gather", "index", "index_put", "index_select",
    "lift_fresh_copy", "new_empty", "new_full", "new_ones", "new_zeros", "ones", "ones_like",
    "permute_copy", "repeat", "roll", "scalar_tensor", "select_scatter", "slice_scatter",
    "stack", "view_copy", "zeros", "zeros_like",
})
"""Operators (by ATen name, without overload) counted at 0 FLOPs: they move, copy or create
data and compute nothing."""

FORWARDING_OPERATORS: frozenset[str] = frozenset({"_unsafe_view", "_reshape_alias"})
"""Operators that reuse their input's storage although their schema does not say so."""

BufferSlot = int | None
"""The buffer a tensor value lives in (``None``: a value that holds no buffer)."""


class _GraphReader:
    """Builds the buffer and operation lists while walking one graph."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.buffers: list[tuple[str, int, BufferKind]] = []
        self.operations: list[tuple[str, float, list[int], list[int]]] = []
        self.slots: dict[Any, Any] = {}

    def new_buffer(self, label: str, value: Any, kind: BufferKind) -> BufferSlot:
        size = _tensor_bytes(value, label)
        if size == 0:
            return None
        self.buffers.append((label, size, kind))
        return len(self.buffers) - 1

    def slots_of(self, argument: Any) -> list[int]:
        """Every buffer an argument (a node, or lists and dicts of them) stands for."""
        import torch.fx

        found: list[int] = []

        def visit(node: Any) -> Any:
            slot = self.slots.get(node)
            if isinstance(slot, list):
                found.extend(s for s in slot if s is not None)
            elif slot is not None:
                found.append(slot)
            return node

        torch.fx.node.map_arg(argument, visit)
        return found

    def program(self, outputs: Sequence[int]) -> Program:
        kinds = [kind for _, _, kind in self.buffers]
        for b in outputs:
            if kinds[b] == BufferKind.ACTIVATION:
                kinds[b] = BufferKind.OUTPUT
        used = sorted({b for _, _, reads, writes in self.operations for b in (*reads, *writes)})
        index = {old: new for new, old in enumerate(used)}
        buffers = [(self.buffers[b][0], self.buffers[b][1], kinds[b]) for b in used]
        operations = [(label, flops, [index[b] for b in reads], [index[b] for b in writes])
                      for label, flops, reads, writes in self.operations]
        return Program.from_lists(self.name, buffers, operations)


def _tensor_bytes(value: Any, label: str) -> int:
    import torch

    if not isinstance(value, torch.Tensor):
        raise InputError(f"value {label!r} is a {type(value).__name__}, not a tensor",
                         field="example_inputs")
    try:
        return int(value.numel()) * int(value.element_size())
    except (TypeError, RuntimeError) as exc:
        raise InputError(f"tensor {label!r} has a shape that depends on the data or is "
                         f"symbolic, {tuple(value.shape)}; a program needs static shapes",
                         field="model") from exc


def _is_tensor(value: Any) -> bool:
    import torch

    return isinstance(value, torch.Tensor)


def _operator_name(target: Any) -> str:
    packet = getattr(target, "overloadpacket", None)
    return str(getattr(packet, "__name__", getattr(target, "__name__", target)))


def _mutated_argument(target: Any) -> int | None:
    """The position of the argument an in-place operator writes, or ``None``."""
    schema = getattr(target, "_schema", None)
    if schema is None:
        return None
    written: set[str] = set()
    for result in schema.returns:
        if result.alias_info is not None and result.alias_info.is_write:
            written |= set(result.alias_info.after_set)
    if not written:
        return None
    for position, argument in enumerate(schema.arguments):
        if argument.alias_info is not None and written & set(argument.alias_info.before_set):
            return position
    return 0


def _is_view(target: Any) -> bool:
    return bool(getattr(target, "is_view", False)) or _operator_name(target) in \
        FORWARDING_OPERATORS


def _flops(target: Any, args: Sequence[Any], kwargs: Mapping[str, Any], value: Any) -> float:
    """FLOPs of one node from the shapes of its fake tensors (rule in the module docstring)."""
    import torch
    from torch.utils.flop_counter import flop_registry

    packet = getattr(target, "overloadpacket", None)
    if packet is not None and packet in flop_registry:
        return float(flop_registry[packet](*args, **kwargs, out_val=value))
    if _operator_name(target) in DATA_MOVEMENT:
        return 0.0
    outputs = value if isinstance(value, (list, tuple)) else [value]
    return float(sum(int(v.numel()) for v in outputs if isinstance(v, torch.Tensor)))


def _fake_values(argument: Any) -> Any:
    """The argument with every node replaced by the value it carries in ``meta["val"]``."""
    import torch.fx

    return torch.fx.node.map_arg(argument, lambda node: node.meta.get("val"))


def program_from_graph(graph: Any, inputs: Mapping[str, tuple[str, BufferKind]],
                       name: str) -> Program:
    """Read a traced graph into a program (the rules are in the module docstring).

    :param graph: a ``torch.fx.Graph`` whose nodes carry fake tensors in ``meta["val"]``.
    :param inputs: for each placeholder (by node name): the buffer's name and kind.
        Placeholders not listed become ``INPUT`` buffers named after the node.
    :param name: the program's name.
    :raises InputError: on a value that is not a tensor of static shape.
    """
    reader = _GraphReader(name)
    outputs: list[int] = []
    for node in graph.nodes:
        value = node.meta.get("val")
        if node.op in ("placeholder", "get_attr"):
            if not _is_tensor(value):
                reader.slots[node] = None
                continue
            label, kind = inputs.get(node.name, (node.name, BufferKind.INPUT))
            if node.op == "get_attr":
                kind = BufferKind.PARAMETER
            reader.slots[node] = reader.new_buffer(label, value, kind)
        elif node.op == "output":
            outputs = reader.slots_of(node.args)
        elif node.op == "call_function" and node.target is operator.getitem:
            base, index = node.args
            slot = reader.slots.get(base)
            reader.slots[node] = slot[index] if isinstance(slot, list) else slot
        elif node.op == "call_function" and _is_view(node.target):
            base = reader.slots_of(node.args[:1])
            slot = base[0] if base else None
            reader.slots[node] = [slot] * len(value) if isinstance(value, (list, tuple)) \
                else slot
        elif node.op in ("call_function", "call_method", "call_module"):
            _read_compute_node(reader, node, value)
        else:
            raise InputError(f"graph node {node.name!r} has the unknown kind {node.op!r}",
                             field="model")
    return reader.program(outputs)


def _read_compute_node(reader: _GraphReader, node: Any, value: Any) -> None:
    reads = reader.slots_of((node.args, node.kwargs))
    mutated = _mutated_argument(node.target)
    writes: list[int] = []
    if mutated is not None and mutated < len(node.args):
        target_slots = reader.slots_of(node.args[mutated])
        writes.extend(target_slots)
        reader.slots[node] = target_slots[0] if target_slots else None
    elif isinstance(value, (list, tuple)):
        slots: list[BufferSlot] = []
        for i, each in enumerate(value):
            slot = reader.new_buffer(f"{node.name}.{i}", each, BufferKind.ACTIVATION) \
                if _is_tensor(each) else None
            slots.append(slot)
            if slot is not None:
                writes.append(slot)
        reader.slots[node] = slots
    elif _is_tensor(value):
        slot = reader.new_buffer(node.name, value, BufferKind.ACTIVATION)
        reader.slots[node] = slot
        if slot is not None:
            writes.append(slot)
    else:
        reader.slots[node] = None
    flops = _flops(node.target, _fake_values(node.args), _fake_values(node.kwargs), value)
    reader.operations.append((_operator_name_with_overload(node.target), flops, reads, writes))


def _operator_name_with_overload(target: Any) -> str:
    return str(target) if hasattr(target, "overloadpacket") else _operator_name(target)


def _as_tuple(example_inputs: Any) -> tuple[Any, ...]:
    if isinstance(example_inputs, tuple):
        return example_inputs
    if isinstance(example_inputs, list):
        return tuple(example_inputs)
    return (example_inputs,)


def trace(model: Any, example_inputs: Any, name: str = "program") -> Program:
    """The program of one forward call of ``model`` on ``example_inputs``.

    Traced with ``torch.export.export`` and decomposed to core ATen operators with
    ``run_decompositions()``; the module is traced as it is (call ``model.eval()`` first for
    inference without dropout). Rules for buffers, views and FLOPs: module docstring.

    :param model: a ``torch.nn.Module``.
    :param example_inputs: a tensor or a tuple of positional arguments; only their shapes and
        types matter.
    :param name: the program's name.
    :raises InputError: when ``torch.export`` cannot trace the model, or a value has a
        symbolic shape.
    """
    import torch
    from torch.export.graph_signature import InputKind

    try:
        exported = torch.export.export(model, _as_tuple(example_inputs))
        exported = exported.run_decompositions()
    except Exception as exc:  # torch raises many types; the user needs the message
        raise InputError(f"torch.export could not trace the model: {exc}",
                         field="model") from exc
    inputs: dict[str, tuple[str, BufferKind]] = {}
    for spec in exported.graph_signature.input_specs:
        label = getattr(spec.arg, "name", None)
        if label is None:
            continue
        if spec.kind == InputKind.USER_INPUT:
            inputs[label] = (label, BufferKind.INPUT)
        else:
            inputs[label] = (spec.target or label, BufferKind.PARAMETER)
    return program_from_graph(exported.graph, inputs, name)


def mean_squared_error(output: Any, target: Any) -> Any:
    """The default loss of :func:`trace_training_step`."""
    import torch.nn.functional as functional

    return functional.mse_loss(output, target)


def trace_training_step(model: Any, example_inputs: Any, target: Any,
                        name: str = "training_step", learning_rate: float = 0.01,
                        loss: Callable[[Any, Any], Any] = mean_squared_error) -> Program:
    """The program of one training step: forward, loss, backward and ``p - lr * grad`` for
    every parameter.

    ``torch.export`` does not trace autograd, so this traces a function that calls
    ``torch.func.functional_call`` and ``torch.autograd.grad`` with
    ``torch.fx.experimental.proxy_tensor.make_fx`` on fake tensors, decomposed by
    ``torch._decomp.core_aten_decompositions()`` (the table ``run_decompositions`` uses), so
    the forward half reads as :func:`trace` would write it. The graph's inputs are the
    parameters (``PARAMETER``, by their module path), the module's buffers (``PARAMETER``), the
    inputs (``input0``, ``input1``...) and the ``target`` (``INPUT``); its outputs, the loss and
    the updated parameters, are ``OUTPUT`` buffers.

    :param model: a ``torch.nn.Module`` (traced in the mode it is in).
    :param example_inputs: a tensor or a tuple of positional arguments.
    :param target: what ``loss(model(*inputs), target)`` compares with.
    :param name: the program's name.
    :param learning_rate: the SGD step.
    :param loss: the loss, ``loss(output, target) -> scalar tensor``.
    :raises InputError: when the step cannot be traced.
    """
    import torch
    from torch._decomp import core_aten_decompositions
    from torch.fx.experimental.proxy_tensor import make_fx

    parameters = [(label, p) for label, p in model.named_parameters() if p.requires_grad]
    if not parameters:
        raise InputError("the model has no parameter that requires a gradient", field="model")
    buffers = list(model.named_buffers())
    inputs = _as_tuple(example_inputs)
    parameter_names = [label for label, _ in parameters]
    buffer_names = [label for label, _ in buffers]

    def step(weights: list[Any], state: list[Any], arguments: tuple[Any, ...],
             expected: Any) -> tuple[Any, list[Any]]:
        values = {**dict(zip(parameter_names, weights)), **dict(zip(buffer_names, state))}
        output = torch.func.functional_call(model, values, arguments)
        value = loss(output, expected)
        gradients = torch.autograd.grad(value, weights)
        return value, [w - learning_rate * g for w, g in zip(weights, gradients)]

    try:
        graph_module = make_fx(step, tracing_mode="fake",
                               decomposition_table=dict(core_aten_decompositions().items()))(
            [p for _, p in parameters], [b for _, b in buffers], inputs, target)
    except Exception as exc:  # torch raises many types; the user needs the message
        raise InputError(f"the training step could not be traced: {exc}",
                         field="model") from exc
    labels = ([(label, BufferKind.PARAMETER) for label in parameter_names]
              + [(label, BufferKind.PARAMETER) for label in buffer_names]
              + [(f"input{i}", BufferKind.INPUT) for i in range(len(inputs))]
              + [("target", BufferKind.INPUT)])
    placeholders = [node.name for node in graph_module.graph.nodes if node.op == "placeholder"]
    if len(placeholders) != len(labels):
        raise InputError(f"the traced step has {len(placeholders)} inputs, expected "
                         f"{len(labels)}: pass tensors as inputs and target", field="model")
    return program_from_graph(graph_module.graph, dict(zip(placeholders, labels)), name)
