"""Indexing: `x[i]`, `x[1:-1, ::2]`, and writing into part of an array (chapter 1).

Basic indexing -- integers and slices -- selects a regular block of x:
numpy returns a view, and so does `Subtensor`.  The index is split in two
when the node is built (index.py): what is constant (`x[2, ::-1]`) stays in
the op, where shape inference and rewrites can read it; what is symbolic
(`x[i:j]`) becomes an input, and the op keeps that input's Type as a
placeholder in its place.  `x[i:j]` prints as `Subtensor{int64:int64:}`,
`x[2, ::-1]` as `Subtensor{2, ::-1}`.

`set_subtensor(x[i], y)` and `inc_subtensor(x[i], y)` take the indexed
variable `x[i]`, as Theano does, and return a new *whole* x with that part
replaced or incremented.  The caller's x is never modified (chapter 3 may
write in place when nothing else needs x).

Indexing with integer or boolean arrays (`x[[0, 2]]`, `p[T.arange(n), y]`,
`x[x > 0]`) lives in advanced_subtensor.py; `getitem`, which
`TensorVariable.__getitem__` calls, sends each index to the right op.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minitheano.config import config
from minitheano.graph.basic import Apply
from minitheano.graph.null import disconnected_type
from minitheano.graph.op import Op
from minitheano.scalar.basic import DISCRETE_DTYPES, FLOAT_DTYPES, upcast
from minitheano.tensor.basic import as_tensor_variable, cast, weak_dtype
from minitheano.tensor.elemwise import DimShuffle
from minitheano.tensor.index import (
    IndexOp,
    describe_index,
    dims_used,
    index_entry,
    slice_keeps_broadcast,
    slice_length,
    split_index,
    symbolic_index,
)
from minitheano.tensor.shape import addbroadcast, patternbroadcast
from minitheano.tensor.type import TensorType, TensorVariable

__all__ = ["IncSubtensor", "Subtensor", "getitem", "inc_subtensor", "set_subtensor"]

# ---------------------------------------------------------------------------
# Writing into a part: the value written
# ---------------------------------------------------------------------------


def sum_to_match(y: TensorVariable, g: TensorVariable) -> TensorVariable:
    """The gradient g of a value that y was broadcast into, summed back to y's shape."""
    if g.ndim > y.ndim:
        g = g.sum(axis=list(range(g.ndim - y.ndim)))
    axes = [d for d in range(y.ndim) if y.broadcastable[d] and not g.broadcastable[d]]
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    if y.dtype in FLOAT_DTYPES:
        g = cast(g, y.dtype)
    return patternbroadcast(g, y.broadcastable)


def check_inc_value(op: Op, x: TensorVariable, y: Any, view_ndim: int) -> TensorVariable:
    """y as a value to write into a part of x with `view_ndim` dimensions."""
    if type(y) in (int, float, bool):
        y = as_tensor_variable(y, dtype=weak_dtype(y, [x.dtype]))
    y = as_tensor_variable(y)
    if y.ndim > view_ndim:
        raise TypeError(f"{op}: cannot write a {y.ndim}-dimensional value ({y}) into a "
                        f"{view_ndim}-dimensional part of {x}")
    if upcast(x.dtype, y.dtype) != x.dtype:
        raise TypeError(f"{op}: cannot write {y.dtype} values ({y}) into {x}, a {x.dtype} "
                        f"array, without losing precision; cast them first")
    return y


def check_value_shape(op: Op, node: Apply, view_shape: tuple, y: np.ndarray) -> None:
    """The value written must fit the part of x, stretching only the dimensions
    declared broadcastable: numpy would stretch any length 1, and the gradient,
    which follows the declared pattern, would then have the wrong shape."""
    y_bcast = node.inputs[1].broadcastable
    offset = len(view_shape) - len(y_bcast)
    for d, b in enumerate(y_bcast):
        if not b and y.shape[d] != view_shape[offset + d]:
            raise ValueError(
                f"{op}: a value of shape {y.shape} cannot be written into a part of shape "
                f"{view_shape}: its dimension {d} has length {y.shape[d]}, not "
                f"{view_shape[offset + d]} (only dimensions declared broadcastable stretch)")


# ---------------------------------------------------------------------------
# The ops
# ---------------------------------------------------------------------------


class ReadIndexOp(IndexOp):
    """What reading an indexed part has in common, basic or advanced indexing: the
    gradient is gz written into zeros at the same place (`write_op`), and the
    index inputs get none."""

    def write_op(self) -> IndexOp:
        raise NotImplementedError

    def grad(self, inputs, output_grads):
        (x, *rest), (gz,) = inputs, output_grads
        if x.dtype in DISCRETE_DTYPES:
            gx = x.zeros_like(dtype=config.floatX)
        else:
            gx = self.write_op()(x.zeros_like(), gz, *rest)
        return [gx] + [disconnected_type() for _ in rest]

    def connection_pattern(self, node):
        return [[True]] + [[False] for _ in node.inputs[1:]]

    def R_op(self, inputs, eval_points):
        return [None if eval_points[0] is None else self(eval_points[0], *inputs[1:])]


class Subtensor(ReadIndexOp):
    """Basic indexing, x[ints and slices]: a view of x, as in numpy."""

    view_map = {0: [0]}

    def make_node(self, x: Any, *index_inputs: Any) -> Apply:
        x = as_tensor_variable(x)
        index_inputs = self.index_inputs(index_inputs)
        if len(self.idx_list) > x.ndim:
            raise IndexError(f"{self}: too many indices for {x}, which has {x.ndim} "
                             f"dimensions")
        bcast = [slice_keeps_broadcast(e, b) for e, b in zip(self.idx_list, x.broadcastable)
                 if isinstance(e, slice)]
        bcast += x.broadcastable[len(self.idx_list):]
        return Apply(self, [x, *index_inputs], [TensorType(x.dtype, bcast)()])

    def perform(self, node, inputs, output_storage):
        x, *values = inputs
        index = self.numpy_index(values)
        try:
            # The trailing Ellipsis makes numpy return a 0-d view, never a scalar.
            output_storage[0][0] = x[index + (Ellipsis,)]
        except IndexError as e:
            raise IndexError(f"{self}: {e} (index {describe_index(index)} into an array "
                             f"of shape {x.shape})") from None

    def infer_shape(self, fgraph, node, input_shapes):
        x_shape = input_shapes[0]
        index = symbolic_index(node, 1)
        out = [slice_length(e, n) for e, n in zip(index, x_shape) if isinstance(e, slice)]
        return [tuple(out) + tuple(x_shape[len(index):])]

    def write_op(self) -> IndexOp:
        return IncSubtensor(self.idx_list)

    def __str__(self) -> str:
        return f"Subtensor{{{self.index_str()}}}"


class IncIndexOp(IndexOp):
    """What writing into an indexed part has in common, basic or advanced indexing:
    the flags, the gradient and the R_op.  A subclass names the op that *reads*
    the same part (`read_op`), since the gradient of y is gz read there."""

    __props__ = ("idx_list", "inplace", "set_instead_of_inc")
    read_op: type[IndexOp]

    def __init__(self, idx_list: Any, inplace: bool = False,
                 set_instead_of_inc: bool = False) -> None:
        super().__init__(idx_list)
        self.inplace = bool(inplace)
        self.set_instead_of_inc = bool(set_instead_of_inc)
        self.destroy_map = {0: [0]} if self.inplace else {}

    def infer_shape(self, fgraph, node, input_shapes):
        return [input_shapes[0]]

    def grad(self, inputs, output_grads):
        (x, y, *rest), (gz,) = inputs, output_grads
        if gz.dtype in DISCRETE_DTYPES:
            gx, gy = x.zeros_like(dtype=config.floatX), y.zeros_like(dtype=config.floatX)
        else:
            # Set: the old values of x[index] are gone, so are their gradients.
            gx = (type(self)(self.idx_list, set_instead_of_inc=True)(gz, 0, *rest)
                  if self.set_instead_of_inc else gz)
            gy = sum_to_match(y, self.read_op(self.idx_list)(gz, *rest))
        return [gx, gy] + [disconnected_type() for _ in rest]

    def connection_pattern(self, node):
        return [[True], [True]] + [[False] for _ in node.inputs[2:]]

    def R_op(self, inputs, eval_points):
        (x, y, *rest), (ex, ey, *_) = inputs, eval_points
        if ex is None and ey is None:
            return [None]
        op = type(self)(self.idx_list, set_instead_of_inc=self.set_instead_of_inc)
        return [op(x.zeros_like() if ex is None else ex, y.zeros_like() if ey is None else ey,
                   *rest)]


class IncSubtensor(IncIndexOp):
    """A copy of x with x[index] incremented by y, or set to y (`set_instead_of_inc`).

    With `inplace` (chapter 3 decides) the result is written into x itself.
    """

    read_op = Subtensor

    def make_node(self, x: Any, y: Any, *index_inputs: Any) -> Apply:
        x = as_tensor_variable(x)
        index_inputs = self.index_inputs(index_inputs)
        if len(self.idx_list) > x.ndim:
            raise IndexError(f"{self}: too many indices for {x}, which has {x.ndim} "
                             f"dimensions")
        view_ndim = x.ndim - sum(not isinstance(e, slice) for e in self.idx_list)
        y = check_inc_value(self, x, y, view_ndim)
        return Apply(self, [x, y, *index_inputs], [x.type()])

    def perform(self, node, inputs, output_storage):
        x, y, *values = inputs
        out = x if self.inplace else x.copy()
        index = self.numpy_index(values)
        try:
            check_value_shape(self, node, np.shape(out[index]), y)
            if self.set_instead_of_inc:
                out[index] = y
            else:
                out[index] += y
        except IndexError as e:
            raise IndexError(f"{self}: {e} (index {describe_index(index)} into an array of "
                             f"shape {x.shape})") from None
        output_storage[0][0] = out

    def __str__(self) -> str:
        how = ("Inplace" if self.inplace else "") + ("Set" if self.set_instead_of_inc else "Inc")
        return f"IncSubtensor{{{how};{self.index_str()}}}"


# ---------------------------------------------------------------------------
# What users call
# ---------------------------------------------------------------------------


def getitem(x: Any, index: Any) -> TensorVariable:
    """x[index], with numpy's rules: ints, slices, None (np.newaxis), one Ellipsis,
    integer arrays and boolean masks, any of them symbolic."""
    x = as_tensor_variable(x)
    entries = [index_entry(e) for e in (index if isinstance(index, tuple) else (index,))]
    ellipses = [k for k, e in enumerate(entries) if e is Ellipsis]
    if len(ellipses) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    used = sum(dims_used(e) for e in entries)
    if used > x.ndim:
        raise IndexError(f"too many indices for {x}: it has {x.ndim} dimensions, "
                         f"the index uses {used}")
    if ellipses:
        k = ellipses[0]
        entries[k:k + 1] = [slice(None)] * (x.ndim - used)
    if any(isinstance(e, TensorVariable) and e.ndim > 0 for e in entries):
        return _T.advanced_getitem(x, entries)
    idx_list, inputs = split_index([e for e in entries if e is not None])
    out = Subtensor(idx_list)(x, *inputs)
    if any(e is None for e in entries):
        # Each None adds a broadcastable axis where it stands among the output axes.
        pattern: list[int | str] = []
        for e in entries:
            if e is None:
                pattern.append("x")
            elif isinstance(e, slice):
                pattern.append(len(pattern) - pattern.count("x"))
        kept = len(pattern) - pattern.count("x")
        out = out.dimshuffle(pattern + list(range(kept, out.ndim)))
    return out


def inc_subtensor(x: Any, y: Any, inplace: bool = False, set_instead_of_inc: bool = False,
                  tolerate_inplace_aliasing: bool = False) -> TensorVariable:
    """`x` is an indexed variable `a[index]`: return a whole new `a` with a[index]
    incremented by y (set to y with `set_instead_of_inc`).  Repeated integer
    indices accumulate, as numpy.add.at."""
    x = as_tensor_variable(x)
    node = x.owner
    if node is not None and isinstance(node.op, DimShuffle):
        # x is a rearranged view of an indexed variable (e.g. a[0, None]): rearrange y
        # the other way, then write into the indexed variable.
        y = as_tensor_variable(check_inc_value("inc_subtensor", x, y, x.ndim))
        y = _T.shape_padleft(y, x.ndim - y.ndim)
        new_axes = [p for p, d in enumerate(node.op.new_order) if d == "x"]
        y = addbroadcast(y, *new_axes)
        inner = node.inputs[0]
        order = ["x" if d in node.op.dropped else node.op.new_order.index(d)
                 for d in range(inner.ndim)]
        return inc_subtensor(inner, y.dimshuffle(order), inplace, set_instead_of_inc)
    op = node.op if node is not None else None
    if isinstance(op, Subtensor):
        new_op = IncSubtensor(op.idx_list, inplace, set_instead_of_inc)
    elif isinstance(op, _T.AdvancedSubtensor1):
        new_op = _T.AdvancedIncSubtensor1(inplace, set_instead_of_inc)
    elif isinstance(op, _T.AdvancedSubtensor):
        new_op = _T.AdvancedIncSubtensor(op.idx_list, inplace, set_instead_of_inc)
    else:
        what = "set_subtensor" if set_instead_of_inc else "inc_subtensor"
        raise TypeError(f"{what}: the first argument must be an indexed variable such as "
                        f"a[1:3] (the part of a to change), got {x}")
    base, *index_inputs = node.inputs
    return new_op(base, y, *index_inputs)


def set_subtensor(x: Any, y: Any, inplace: bool = False,
                  tolerate_inplace_aliasing: bool = False) -> TensorVariable:
    """`x` is an indexed variable `a[index]`: return a whole new `a` with a[index]
    set to y."""
    return inc_subtensor(x, y, inplace, set_instead_of_inc=True)


# The functions here build graph with the whole tensor package, which itself
# needs this module: importing it last breaks the cycle.
import minitheano.tensor as _T  # noqa: E402
