"""Indexing: `x[i]`, `x[1:-1, ::2]`, and writing into part of an array (chapter 1).

Basic indexing -- integers and slices -- selects a regular block of x:
numpy returns a view, and so does `Subtensor`.  The index is split in two
when the node is built: what is constant (`x[2, ::-1]`) stays in the op,
where shape inference and rewrites can read it; what is symbolic (`x[i:j]`)
becomes an input, and the op keeps that input's Type as a placeholder in
its place.  `x[i:j]` prints as `Subtensor{int64:int64:}`, `x[2, ::-1]` as
`Subtensor{2, ::-1}`.

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
from minitheano.graph.basic import Apply, Variable
from minitheano.graph.null import disconnected_type
from minitheano.graph.op import Op
from minitheano.graph.type import Type
from minitheano.scalar.basic import DISCRETE_DTYPES, FLOAT_DTYPES, ScalarVariable, upcast
from minitheano.tensor.basic import as_tensor_variable, cast, weak_dtype
from minitheano.tensor.elemwise import DimShuffle
from minitheano.tensor.shape import INTEGER_DTYPES, addbroadcast, constant_int, patternbroadcast
from minitheano.tensor.type import TensorType, TensorVariable

__all__ = ["IncSubtensor", "Subtensor", "getitem", "inc_subtensor", "set_subtensor"]

# ---------------------------------------------------------------------------
# Reading an index
# ---------------------------------------------------------------------------


def _slice_part(p: Any) -> Any:
    """A slice's start, stop or step: None, an int, or a symbolic integer scalar."""
    if p is None:
        return None
    n = constant_int(p)
    if n is not None:
        return n
    if isinstance(p, ScalarVariable):
        p = _T.tensor_from_scalar(p)
    if isinstance(p, TensorVariable) and p.ndim == 0 and p.dtype in INTEGER_DTYPES:
        return p
    raise TypeError(f"slice bounds must be integers (or None), got {p!r}"
                    + (f" of type {p.type}" if isinstance(p, Variable) else ""))


def index_entry(entry: Any) -> Any:
    """One entry of an index, normalized: None (a new axis), Ellipsis, an int, a
    slice of ints / None / symbolic scalars, or a symbolic index tensor (integer
    scalar or array, or a boolean mask)."""
    if entry is None or entry is Ellipsis:
        return entry
    if isinstance(entry, slice):
        step = _slice_part(entry.step)
        if step == 0:
            raise ValueError("slice step cannot be zero")
        return slice(_slice_part(entry.start), _slice_part(entry.stop), step)
    if isinstance(entry, (bool, np.bool_)):
        raise TypeError(f"{entry!r} is not an index: use an integer, a slice, or a boolean "
                        f"array as a mask")
    n = constant_int(entry)
    if n is not None:
        return n
    if isinstance(entry, ScalarVariable):
        entry = _T.tensor_from_scalar(entry)
    if isinstance(entry, Variable) and not isinstance(entry, TensorVariable):
        raise TypeError(f"{entry} of type {entry.type} cannot be used as an index")
    try:
        var = as_tensor_variable(entry)
    except (TypeError, ValueError):
        raise TypeError(f"{entry!r} is not a valid index (integers, slices, None, ..., "
                        f"integer arrays and boolean masks are)") from None
    if var.dtype not in INTEGER_DTYPES and not (var.dtype == "bool" and var.ndim > 0):
        raise TypeError(f"index {entry} has dtype {var.dtype}: indices must be integers "
                        f"(or a boolean array used as a mask)")
    return var


def _dims_used(entry: Any) -> int:
    """How many dimensions of x an index entry consumes (a mask: its ndim)."""
    if entry is None or entry is Ellipsis:
        return 0
    if isinstance(entry, TensorVariable) and entry.dtype == "bool":
        return entry.ndim
    return 1


def split_index(entries: list) -> tuple[list, list[Variable]]:
    """The index as (idx_list, inputs): symbolic parts move to `inputs`, their Types
    stay in `idx_list` as placeholders."""
    inputs: list[Variable] = []

    def part(p: Any) -> Any:
        if isinstance(p, Variable):
            inputs.append(p)
            return p.type
        return p

    idx_list = [slice(part(e.start), part(e.stop), part(e.step)) if isinstance(e, slice)
                else part(e) for e in entries]
    return idx_list, inputs


def fill_index(idx_list: tuple, values: Any) -> tuple:
    """idx_list with each placeholder replaced by the next of `values`."""
    values = iter(values)

    def fill(p: Any) -> Any:
        return next(values) if isinstance(p, Type) else p

    return tuple(slice(fill(e.start), fill(e.stop), fill(e.step)) if isinstance(e, slice)
                 else fill(e) for e in idx_list)


class IndexOp(Op):
    """What the indexing ops share: an `idx_list` of ints, slices and placeholders
    (the Types of the symbolic index inputs, in order)."""

    __props__ = ("idx_list",)

    def __init__(self, idx_list: Any) -> None:
        self.idx_list = tuple(idx_list)

    def __hash__(self) -> int:
        # Slices cannot be hashed (before Python 3.12): hash their parts.
        def key(p: Any) -> Any:
            if isinstance(p, tuple):
                return tuple(key(e) for e in p)
            return ("slice", p.start, p.stop, p.step) if isinstance(p, slice) else p
        return hash((type(self), key(self._props())))

    def placeholders(self) -> list[Type]:
        parts = []
        for e in self.idx_list:
            parts += [e.start, e.stop, e.step] if isinstance(e, slice) else [e]
        return [p for p in parts if isinstance(p, Type)]

    def index_inputs(self, inputs: Any) -> list[TensorVariable]:
        """The symbolic index inputs, checked against the placeholders."""
        inputs = [as_tensor_variable(v) for v in inputs]
        expected = self.placeholders()
        if len(inputs) != len(expected):
            raise TypeError(f"{self} expects {len(expected)} index inputs, got {len(inputs)}")
        for v, t in zip(inputs, expected):
            if v.type != t:
                raise TypeError(f"{self}: index input {v} has type {v.type}, expected {t}")
        return inputs

    def numpy_index(self, values: Any) -> tuple:
        """The index numpy gets when the function runs (0-d arrays become ints)."""
        return tuple(slice(*(_as_int(p) for p in (e.start, e.stop, e.step)))
                     if isinstance(e, slice) else _as_int(e)
                     for e in fill_index(self.idx_list, values))

    def index_str(self) -> str:
        def part(p: Any) -> str:
            return "" if p is None else p.dtype if isinstance(p, Type) else str(p)
        return ", ".join(":".join(part(p) for p in (e.start, e.stop, e.step))
                         if isinstance(e, slice) else part(e) for e in self.idx_list)


def _as_int(v: Any) -> Any:
    return int(v) if isinstance(v, np.ndarray) and v.ndim == 0 else v


def describe_index(index: tuple) -> str:
    """An index as the user would write it, arrays abbreviated."""
    def part(e: Any) -> str:
        if isinstance(e, slice):
            return ":".join("" if p is None else str(p) for p in (e.start, e.stop, e.step))
        if isinstance(e, np.ndarray) and e.size > 6:
            return f"<{e.dtype} array of shape {e.shape}>"
        return str(e.tolist()) if isinstance(e, np.ndarray) else str(e)
    return "[" + ", ".join(part(e) for e in index) + "]"


# ---------------------------------------------------------------------------
# Lengths and broadcastable flags of a slice
# ---------------------------------------------------------------------------

def _is_int(*values: Any) -> bool:
    return all(isinstance(v, (int, np.integer)) for v in values)


def _max(a: Any, b: Any) -> Any:
    return max(a, b) if _is_int(a, b) else _T.maximum(a, b)


def _clip(v: Any, lo: Any, hi: Any) -> Any:
    return min(max(v, lo), hi) if _is_int(v, lo, hi) else _T.minimum(_max(v, lo), hi)


def _from_end(i: Any, n: Any) -> Any:
    """A bound as a position: a negative one counts from the end."""
    if _is_int(i):
        return i + n if i < 0 else i
    return _T.switch(_T.lt(i, 0), i + n, i)


def slice_length(sl: slice, n: Any) -> Any:
    """len(range(n)[sl]), for ints or symbolic scalars (an int if all are ints).

    Python's rules: a negative bound counts from the end of the n elements;
    bounds are then clipped to the array; the length is the number of steps
    from start that stay before stop (after it, for a negative step).
    """
    start, stop, step = sl.start, sl.stop, 1 if sl.step is None else sl.step
    if _is_int(n, step) and all(p is None or _is_int(p) for p in (start, stop)):
        return len(range(n)[slice(start, stop, step)])

    # --8<-- [start:ex-ch01-slice-length]
    def forward() -> Any:  # step > 0: from start (default 0) up to stop (default n)
        first = 0 if start is None else _clip(_from_end(start, n), 0, n)
        end = n if stop is None else _clip(_from_end(stop, n), 0, n)
        return _max((end - first + step - 1) // step, 0)

    def backward() -> Any:  # step < 0: from start (default n-1) down to stop (default -1)
        first = n - 1 if start is None else _clip(_from_end(start, n), -1, n - 1)
        end = -1 if stop is None else _clip(_from_end(stop, n), -1, n - 1)
        return _max((first - end - step - 1) // -step, 0)
    # --8<-- [end:ex-ch01-slice-length]

    if _is_int(step):
        return forward() if step > 0 else backward()
    return _T.switch(_T.gt(step, 0), forward(), backward())


def slice_keeps_broadcast(sl: slice, broadcastable: bool) -> bool:
    """Is a slice of a dimension of length 1 known to have length 1 again?"""
    if not broadcastable:
        return False
    if sl.start is None and sl.stop is None:
        return True
    return (sl.start in (None, 0) and (sl.stop is None or (_is_int(sl.stop) and sl.stop >= 1))
            and (sl.step is None or (_is_int(sl.step) and sl.step > 0)))


def symbolic_index(node: Apply, first_index_input: int) -> tuple:
    """The node's index with each placeholder replaced by its input, cast to int64
    (the shape arithmetic of infer_shape is done in int64)."""
    inputs = [v if v.ndim or v.dtype == "int64" else cast(v, "int64")
              for v in node.inputs[first_index_input:]]
    return fill_index(node.op.idx_list, inputs)


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


class Subtensor(IndexOp):
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

    def grad(self, inputs, output_grads):
        (x, *rest), (gz,) = inputs, output_grads
        if x.dtype in DISCRETE_DTYPES:
            gx = x.zeros_like(dtype=config.floatX)
        else:
            gx = IncSubtensor(self.idx_list)(x.zeros_like(), gz, *rest)
        return [gx] + [disconnected_type() for _ in rest]

    def connection_pattern(self, node):
        return [[True]] + [[False] for _ in node.inputs[1:]]

    def R_op(self, inputs, eval_points):
        return [None if eval_points[0] is None else self(eval_points[0], *inputs[1:])]

    def __str__(self) -> str:
        return f"Subtensor{{{self.index_str()}}}"


class IncSubtensor(IndexOp):
    """A copy of x with x[index] incremented by y, or set to y (`set_instead_of_inc`).

    With `inplace` (chapter 3 decides) the result is written into x itself.
    """

    __props__ = ("idx_list", "inplace", "set_instead_of_inc")

    def __init__(self, idx_list: Any, inplace: bool = False,
                 set_instead_of_inc: bool = False) -> None:
        super().__init__(idx_list)
        self.inplace = bool(inplace)
        self.set_instead_of_inc = bool(set_instead_of_inc)
        self.destroy_map = {0: [0]} if self.inplace else {}

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

    def infer_shape(self, fgraph, node, input_shapes):
        return [input_shapes[0]]

    def grad(self, inputs, output_grads):
        (x, y, *rest), (gz,) = inputs, output_grads
        if gz.dtype in DISCRETE_DTYPES:
            gx, gy = x.zeros_like(dtype=config.floatX), y.zeros_like(dtype=config.floatX)
        else:
            # Set: the old values of x[index] are gone, so are their gradients.
            gx = (IncSubtensor(self.idx_list, set_instead_of_inc=True)(gz, 0, *rest)
                  if self.set_instead_of_inc else gz)
            gy = sum_to_match(y, Subtensor(self.idx_list)(gz, *rest))
        return [gx, gy] + [disconnected_type() for _ in rest]

    def connection_pattern(self, node):
        return [[True], [True]] + [[False] for _ in node.inputs[2:]]

    def R_op(self, inputs, eval_points):
        (x, y, *rest), (ex, ey, *_) = inputs, eval_points
        if ex is None and ey is None:
            return [None]
        op = IncSubtensor(self.idx_list, set_instead_of_inc=self.set_instead_of_inc)
        return [op(x.zeros_like() if ex is None else ex, y.zeros_like() if ey is None else ey,
                   *rest)]

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
    used = sum(_dims_used(e) for e in entries)
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
