"""Helpers for the chapter 1 tests.

`check_infer_shape(outputs, inputs, values)`: for each output, ask its op's
`infer_shape` for the output's shape as a graph of the input shapes, compute
that graph with `theano.function`, and compare with the shape of the output
actually computed.  A shape inference that is wrong for some data fails here
instead of in a chapter 3 rewrite.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

import minitheano as theano
from minitheano import tensor as T
from minitheano.graph.basic import Variable
from minitheano.graph.fg import FunctionGraph


def _check_infer_shape(outputs: Variable | Sequence[Variable], inputs: Sequence[Variable],
                       values: Sequence[Any]) -> None:
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    for out in outputs:
        node = out.owner
        fgraph = FunctionGraph(inputs, [out], clone=False)
        in_shapes = [tuple(T.shape(v)[d] for d in range(v.ndim))
                     if isinstance(v.type, T.TensorType) else () for v in node.inputs]
        predicted = node.op.infer_shape(fgraph, node, in_shapes)[out.index]
        assert len(predicted) == out.ndim, f"{node.op}: {len(predicted)} lengths for a " \
                                           f"{out.ndim}-d output"
        dims = [T.as_tensor_variable(s) for s in predicted]
        for d in dims:
            assert d.ndim == 0 and d.dtype.startswith(("int", "uint")), (node.op, d.type)
        f = theano.function(list(inputs), [*dims, out], on_unused_input="ignore")
        *lengths, value = f(*values)
        assert tuple(int(n) for n in lengths) == value.shape, (
            f"{node.op}: infer_shape says {tuple(int(n) for n in lengths)}, "
            f"the output has shape {value.shape}")


@pytest.fixture
def check_infer_shape():
    """See the module docstring."""
    return _check_infer_shape
