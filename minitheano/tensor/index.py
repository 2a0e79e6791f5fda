"""What an index is: reading what users write between brackets, and the shape it
selects (chapter 1).

`x[i, 1:j, ::-1]` arrives as a tuple of Python objects.  `index_entry`
normalizes each one; `split_index` separates what is known when the graph
is built (ints, None bounds) from what is symbolic (`i`, `j`), which becomes
inputs of the indexing op, with the inputs' Types left as placeholders in
the op's `idx_list`.  `slice_length` computes how many elements a slice
selects, from symbolic bounds if need be -- the heart of the indexing ops'
`infer_shape`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minitheano.graph.basic import Apply, Variable
from minitheano.graph.op import Op
from minitheano.graph.type import Type
from minitheano.scalar.basic import ScalarVariable
from minitheano.tensor.basic import as_tensor_variable, cast
from minitheano.tensor.shape import INTEGER_DTYPES, constant_int
from minitheano.tensor.type import TensorVariable

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


def dims_used(entry: Any) -> int:
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
        if not values:
            return self.idx_list  # all constant: nothing to fill in
        # (A plain loop: this runs at every call, e.g. for each window scan reads.)
        values = iter([_as_int(v) for v in values])
        index = []
        for e in self.idx_list:
            if isinstance(e, slice):
                index.append(slice(next(values) if isinstance(e.start, Type) else e.start,
                                   next(values) if isinstance(e.stop, Type) else e.stop,
                                   next(values) if isinstance(e.step, Type) else e.step))
            else:
                index.append(next(values) if isinstance(e, Type) else e)
        return tuple(index)

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
        return _max((end - first + step - 1) // step, 0)  # ceil((end - first) / step)

    def backward() -> Any:  # step < 0: from start (default n-1) down to stop (default -1)
        first = n - 1 if start is None else _clip(_from_end(start, n), -1, n - 1)
        end = -1 if stop is None else _clip(_from_end(stop, n), -1, n - 1)
        return _max((first - end - step - 1) // -step, 0)  # ceil((first - end) / -step)
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


# The functions here build graph with the whole tensor package, which itself
# needs this module: importing it last breaks the cycle.
import minitheano.tensor as _T  # noqa: E402
