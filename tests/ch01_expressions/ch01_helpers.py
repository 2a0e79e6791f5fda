"""Helpers shared by the chapter-1 tests."""

from __future__ import annotations

import minitheano as theano
from minitheano import tensor as T


def inferred_shape(out, inputs, values) -> tuple:
    """The shape the op's infer_shape predicts for `out`, evaluated at `values` of
    `inputs` (to compare with the shape perform gives)."""
    node = out.owner
    shapes = [tuple(T.shape_i(v, d) for d in range(v.ndim)) for v in node.inputs]
    inferred = node.op.infer_shape(None, node, shapes)[out.index]
    entries = [T.as_tensor_variable(s) for s in inferred]
    f = theano.function(inputs, entries, on_unused_input="ignore")
    return tuple(int(v) for v in f(*values)) if entries else ()
