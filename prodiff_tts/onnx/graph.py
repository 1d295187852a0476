"""A clean-up pass on exported graphs: sizes the tracer read from a tensor's shape at run time (``Shape`` ->
``Gather``) become constants where ONNX shape inference knows them statically (a channel count: ``chunk``
along channels exports as ``Shape/Gather/Add/Div/Slice``), and nodes left unused are dropped. The graph
computes the same values; onnxruntime then folds the arithmetic, the ``Slice`` bounds become constants, and the
int8 quantizer can fuse the convolutions before a ``chunk`` into ``QLinearConv``."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import helper, numpy_helper

__all__ = ["fold_static_dims"]


def _static_dims(model: onnx.ModelProto) -> dict[str, list[int | None]]:
    inferred = onnx.shape_inference.infer_shapes(model)
    g = inferred.graph
    out: dict[str, list[int | None]] = {}
    for vi in [*g.value_info, *g.input, *g.output]:
        if vi.type.HasField("tensor_type") and vi.type.tensor_type.HasField("shape"):
            out[vi.name] = [d.dim_value if d.HasField("dim_value") else None for d in vi.type.tensor_type.shape.dim]
    return out


def _constants(graph: onnx.GraphProto) -> dict[str, np.ndarray]:
    values = {init.name: numpy_helper.to_array(init) for init in graph.initializer}
    for node in graph.node:
        if node.op_type == "Constant" and node.attribute and node.attribute[0].name == "value":
            values[node.output[0]] = numpy_helper.to_array(node.attribute[0].t)
    return values


def _drop_unused(graph: onnx.GraphProto) -> None:
    needed = {o.name for o in graph.output}
    keep = []
    for node in reversed(graph.node):
        if any(o in needed for o in node.output):
            keep.append(node)
            needed.update(node.input)
    del graph.node[:]
    graph.node.extend(reversed(keep))


def fold_static_dims(model: onnx.ModelProto) -> int:
    """Replace, in place, every ``Gather(Shape(x), constant indices)`` whose dimensions of ``x`` are static by a
    constant; drop the nodes no output needs any more. Returns the number of gathers replaced."""
    dims = _static_dims(model)
    consts = _constants(model.graph)
    producers = {o: n for n in model.graph.node for o in n.output}
    nodes = []
    replaced = 0
    for node in model.graph.node:
        src = producers.get(node.input[0]) if node.op_type == "Gather" and node.input else None
        idx = consts.get(node.input[1]) if src is not None and len(node.input) > 1 else None
        shape = dims.get(src.input[0]) if src is not None and src.op_type == "Shape" else None
        if (src is None or src.op_type != "Shape" or idx is None or shape is None or len(src.attribute)
                or any(a.i != 0 for a in node.attribute if a.name == "axis")):
            nodes.append(node)
            continue
        picked = [shape[int(i)] for i in np.asarray(idx).reshape(-1)]
        if any(v is None for v in picked):
            nodes.append(node)
            continue
        value = np.asarray(picked, dtype=np.int64).reshape(np.asarray(idx).shape)
        nodes.append(helper.make_node("Constant", [], list(node.output), name=f"{node.name}_static",
                                      value=numpy_helper.from_array(value)))
        replaced += 1
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    _drop_unused(model.graph)
    return replaced
