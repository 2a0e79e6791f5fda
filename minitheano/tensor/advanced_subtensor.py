"""Advanced indexing: integer arrays and boolean masks as indices (chapter 1).

`x[[2, 0, 2]]` picks rows 2, 0 and 2 -- a copy, not a view, and the same row
may come twice.  `p[T.arange(n), y]` picks one element per row: the
probability each example gives its label, at the heart of the cross-entropy
of chapter 8.  `x[x > 0]` keeps the elements where a mask is true.

`AdvancedSubtensor1` is the common, simple case (one integer vector on the
first axis); `AdvancedSubtensor` is everything else, with numpy's rules for
where the indexed dimensions go.  Their gradients scatter back: the
increment ops add each row of the gradient into the row it came from, and a
row taken twice receives both contributions (numpy.add.at).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minitheano.config import config
from minitheano.graph.basic import Apply
from minitheano.graph.null import disconnected_type, grad_undefined
from minitheano.graph.op import Op
from minitheano.graph.type import Type
from minitheano.scalar.basic import DISCRETE_DTYPES
from minitheano.tensor.basic import as_tensor_variable, cast
from minitheano.tensor.index import (
    IndexOp,
    describe_index,
    slice_keeps_broadcast,
    slice_length,
    split_index,
    symbolic_index,
)
from minitheano.tensor.shape import INTEGER_DTYPES
from minitheano.tensor.subtensor import (
    IncIndexOp,
    ReadIndexOp,
    check_inc_value,
    check_value_shape,
    sum_to_match,
)
from minitheano.tensor.type import TensorType, TensorVariable

__all__ = ["AdvancedIncSubtensor", "AdvancedIncSubtensor1", "AdvancedSubtensor",
           "AdvancedSubtensor1", "Nonzero", "advanced_inc_subtensor1", "advanced_set_subtensor1",
           "advanced_subtensor1", "flatnonzero", "nonzero", "nonzero_values"]


def _check_bounds(op: Op, i: np.ndarray, shape: tuple) -> None:
    """IndexError, naming the op, the index and the shape, for an index outside axis 0."""
    n = shape[0] if shape else 0
    if i.size == 0:
        return
    bad = i >= n if i.dtype.kind == "u" else (i >= n) | (i < -n)
    if bad.any():
        raise IndexError(f"{op}: index {i[bad][0]} is out of bounds for axis 0 with size {n} "
                         f"(array shape {shape})")


def _check_vector_index(op: Op, x: TensorVariable, ilist: Any) -> TensorVariable:
    ilist = as_tensor_variable(ilist)
    if ilist.ndim != 1 or ilist.dtype not in INTEGER_DTYPES:
        raise TypeError(f"{op}: the index must be a vector of integers, got {ilist.type}")
    if x.ndim == 0:
        raise TypeError(f"{op}: cannot index the 0-d tensor {x}")
    return ilist


class AdvancedSubtensor1(Op):
    """x[ilist]: the rows of x listed in an integer vector (numpy.take on axis 0)."""

    def make_node(self, x: Any, ilist: Any) -> Apply:
        x = as_tensor_variable(x)
        ilist = _check_vector_index(self, x, ilist)
        bcast = (ilist.broadcastable[0],) + x.broadcastable[1:]
        return Apply(self, [x, ilist], [TensorType(x.dtype, bcast)()])

    def perform(self, node, inputs, output_storage):
        x, i = inputs
        _check_bounds(self, i, x.shape)
        output_storage[0][0] = x.take(i, axis=0)

    def infer_shape(self, fgraph, node, input_shapes):
        x_shape, i_shape = input_shapes
        return [(i_shape[0],) + tuple(x_shape[1:])]

    def grad(self, inputs, output_grads):
        (x, i), (gz,) = inputs, output_grads
        if x.dtype in DISCRETE_DTYPES:
            return [x.zeros_like(dtype=config.floatX), disconnected_type()]
        return [advanced_inc_subtensor1(x.zeros_like(), gz, i), disconnected_type()]

    def connection_pattern(self, node):
        return [[True], [False]]

    def R_op(self, inputs, eval_points):
        return [None if eval_points[0] is None else self(eval_points[0], inputs[1])]


class AdvancedIncSubtensor1(Op):
    """A copy of x with the rows x[ilist] incremented by y (set to y with
    `set_instead_of_inc`).  A row listed twice is incremented twice; set twice,
    it keeps the last value, as in numpy."""

    __props__ = ("inplace", "set_instead_of_inc")

    def __init__(self, inplace: bool = False, set_instead_of_inc: bool = False) -> None:
        self.inplace = bool(inplace)
        self.set_instead_of_inc = bool(set_instead_of_inc)
        self.destroy_map = {0: [0]} if self.inplace else {}

    def make_node(self, x: Any, y: Any, ilist: Any) -> Apply:
        x = as_tensor_variable(x)
        ilist = _check_vector_index(self, x, ilist)
        y = check_inc_value(self, x, y, x.ndim)
        return Apply(self, [x, y, ilist], [x.type()])

    def perform(self, node, inputs, output_storage):
        x, y, i = inputs
        _check_bounds(self, i, x.shape)
        check_value_shape(self, node, i.shape + x.shape[1:], y)
        out = x if self.inplace else x.copy()
        if self.set_instead_of_inc:
            out[i] = y
        else:
            np.add.at(out, i, y)
        output_storage[0][0] = out

    def infer_shape(self, fgraph, node, input_shapes):
        return [input_shapes[0]]

    def grad(self, inputs, output_grads):
        (x, y, i), (gz,) = inputs, output_grads
        if gz.dtype in DISCRETE_DTYPES:
            return [x.zeros_like(dtype=config.floatX), y.zeros_like(dtype=config.floatX),
                    disconnected_type()]
        gx = advanced_set_subtensor1(gz, 0, i) if self.set_instead_of_inc else gz
        return [gx, sum_to_match(y, advanced_subtensor1(gz, i)), disconnected_type()]

    def connection_pattern(self, node):
        return [[True], [True], [False]]

    def R_op(self, inputs, eval_points):
        (x, y, i), (ex, ey, _) = inputs, eval_points
        if ex is None and ey is None:
            return [None]
        op = AdvancedIncSubtensor1(set_instead_of_inc=self.set_instead_of_inc)
        return [op(x.zeros_like() if ex is None else ex, y.zeros_like() if ey is None else ey,
                   i)]

    def __str__(self) -> str:
        return (f"AdvancedIncSubtensor1{{{'inplace' if self.inplace else 'no_inplace'},"
                f"{'set' if self.set_instead_of_inc else 'inc'}}}")


advanced_subtensor1 = AdvancedSubtensor1()
advanced_inc_subtensor1 = AdvancedIncSubtensor1()
advanced_set_subtensor1 = AdvancedIncSubtensor1(set_instead_of_inc=True)


# ---------------------------------------------------------------------------
# The general case
# ---------------------------------------------------------------------------


def _is_mask(entry: Any) -> bool:
    return isinstance(entry, Type) and entry.dtype == "bool"


def advanced_layout(idx_list: tuple, ndim: int) -> list[tuple]:
    """Where each output dimension of x[idx_list] comes from, by numpy's rules.

    Items are ("slice", d, k) for dimension d of x cut by the slice idx_list[k]
    (k is None for the trailing dimensions the index does not name), and
    ("adv", j) for dimension j of the broadcast index arrays (integers count
    as 0-d arrays, a mask as the 1-d array of its nonzero positions).  The
    indexed dimensions replace the first indexed axis when the arrays stand
    next to each other in the index, and go first otherwise.
    """
    items, d = [], 0
    for k, e in enumerate(idx_list):
        items.append((e, d, k))
        d += e.ndim if _is_mask(e) else 1
    items += [(slice(None), dim, None) for dim in range(d, ndim)]
    adv = [n for n, (e, _, _) in enumerate(items) if not isinstance(e, slice)]
    adv_ndim = max(1 if _is_mask(e) else getattr(e, "ndim", 0)
                   for e, _, _ in items if not isinstance(e, slice))
    adjacent = adv == list(range(adv[0], adv[-1] + 1))
    layout = [] if adjacent else [("adv", j) for j in range(adv_ndim)]
    for n, (e, d, k) in enumerate(items):
        if isinstance(e, slice):
            layout.append(("slice", d, k))
        elif adjacent and n == adv[0]:
            layout += [("adv", j) for j in range(adv_ndim)]
    return layout


def _adv_dims(entries: tuple, adv_ndim: int, k: int) -> list[tuple[Any, int]]:
    """The (index entry, its own dimension) pairs that broadcast into adv dimension k."""
    pairs = []
    for e in entries:
        if isinstance(e, slice) or _is_int(e):
            continue
        e_ndim = 1 if e.dtype == "bool" else e.ndim
        if k >= adv_ndim - e_ndim:
            pairs.append((e, k - adv_ndim + e_ndim))
    return pairs


def _is_int(e: Any) -> bool:
    return isinstance(e, (int, np.integer))


class AdvancedSubtensor(ReadIndexOp):
    """x[index] with integer arrays or masks among the entries (numpy's advanced
    indexing): a copy."""

    def make_node(self, x: Any, *index_inputs: Any) -> Apply:
        x = as_tensor_variable(x)
        index_inputs = self.index_inputs(index_inputs)
        used = sum(e.ndim if _is_mask(e) else 1 for e in self.idx_list)
        if used > x.ndim:
            raise IndexError(f"{self}: too many indices for {x}, which has {x.ndim} "
                             f"dimensions")
        layout = advanced_layout(self.idx_list, x.ndim)
        adv_ndim = sum(item[0] == "adv" for item in layout)
        bcast = []
        for item in layout:
            if item[0] == "slice":
                _, d, k = item
                entry = slice(None) if k is None else self.idx_list[k]
                bcast.append(slice_keeps_broadcast(entry, x.broadcastable[d]))
            else:
                pairs = _adv_dims(self.idx_list, adv_ndim, item[1])
                bcast.append(all(e.dtype != "bool" and e.broadcastable[j] for e, j in pairs))
        return Apply(self, [x, *index_inputs], [TensorType(x.dtype, bcast)()])

    def perform(self, node, inputs, output_storage):
        x, *values = inputs
        index = self.numpy_index(values)
        try:
            output_storage[0][0] = np.asarray(x[index])
        except IndexError as e:
            raise IndexError(f"{self}: {e} (index {describe_index(index)} into an array of "
                             f"shape {x.shape})") from None

    def infer_shape(self, fgraph, node, input_shapes):
        x_shape = input_shapes[0]
        shapes = dict(zip(node.inputs[1:], input_shapes[1:]))
        index = symbolic_index(node, 1)
        layout = advanced_layout(self.idx_list, len(x_shape))
        adv_ndim = sum(item[0] == "adv" for item in layout)
        out = []
        for item in layout:
            if item[0] == "slice":
                _, d, k = item
                out.append(slice_length(slice(None) if k is None else index[k], x_shape[d]))
                continue
            # numpy broadcasting of the index arrays: a length 1 stretches to the others.
            length: Any = 1
            for e, j in _adv_dims(index, adv_ndim, item[1]):
                if e.dtype == "bool":
                    n = cast(_T.neq(e, 0).sum(), "int64")
                elif e.broadcastable[j]:
                    continue
                else:
                    n = shapes[e][j]
                length = n if isinstance(length, int) else _T.switch(_T.eq(n, 1), length, n)
            out.append(length)
        return [tuple(out)]

    def write_op(self) -> IndexOp:
        return AdvancedIncSubtensor(self.idx_list)

    def __str__(self) -> str:
        return "AdvancedSubtensor"


class AdvancedIncSubtensor(IncIndexOp):
    """A copy of x with x[index] (advanced) incremented by y, or set to y.
    Repeated positions accumulate (numpy.add.at); when setting, the last wins."""

    read_op = AdvancedSubtensor

    def make_node(self, x: Any, y: Any, *index_inputs: Any) -> Apply:
        x = as_tensor_variable(x)
        index_inputs = self.index_inputs(index_inputs)
        y = check_inc_value(self, x, y, len(advanced_layout(self.idx_list, x.ndim)))
        return Apply(self, [x, y, *index_inputs], [x.type()])

    def perform(self, node, inputs, output_storage):
        x, y, *values = inputs
        out = x if self.inplace else x.copy()
        index = self.numpy_index(values)
        try:
            check_value_shape(self, node, x[index].shape, y)
            if self.set_instead_of_inc:
                out[index] = y
            else:
                np.add.at(out, index, y)
        except IndexError as e:
            raise IndexError(f"{self}: {e} (index {describe_index(index)} into an array of "
                             f"shape {x.shape})") from None
        output_storage[0][0] = out

    def __str__(self) -> str:
        return (f"AdvancedIncSubtensor{{{'inplace' if self.inplace else 'no_inplace'},"
                f"{'set' if self.set_instead_of_inc else 'inc'}}}")


def advanced_getitem(x: TensorVariable, entries: list) -> TensorVariable:
    """x[entries] for an index holding arrays (see subtensor.getitem)."""
    real = [e for e in entries if e is not None]
    first = real[0]
    if (isinstance(first, TensorVariable) and first.ndim == 1 and not _is_bool(first)
            and all(isinstance(e, slice) and e == slice(None) for e in real[1:])):
        out = advanced_subtensor1(x, first)
    else:
        idx_list, inputs = split_index(real)
        out = AdvancedSubtensor(idx_list)(x, *inputs)
    if len(real) < len(entries):
        out = out.dimshuffle(_new_axes_pattern(entries, x.ndim))
    return out


def _new_axes_pattern(entries: list, ndim: int) -> list[int | str]:
    """The DimShuffle that turns x[index without its Nones] into x[index].

    numpy treats each None as a full slice of a new length-1 axis, which can
    also move the indexed dimensions (they go first once a slice separates
    them).  Both layouts are computed, and each output axis is looked up in
    the layout without the new axes.
    """
    def where(item: tuple, index: list) -> tuple:
        if item[0] == "adv":
            return item
        _, d, k = item  # the x dimension: d minus the new axes before it
        return ("x", d - sum(e is None for e in (index if k is None else index[:k])))

    padded = [slice(None) if e is None else e for e in entries]
    with_axes = advanced_layout(split_index(padded)[0], ndim + sum(e is None for e in entries))
    real = [e for e in entries if e is not None]
    without = [where(item, real) for item in advanced_layout(split_index(real)[0], ndim)]
    return ["x" if item[0] == "slice" and item[2] is not None and entries[item[2]] is None
            else without.index(where(item, entries)) for item in with_axes]


def _is_bool(e: Any) -> bool:
    return isinstance(e, TensorVariable) and e.dtype == "bool"


# ---------------------------------------------------------------------------
# nonzero
# ---------------------------------------------------------------------------


class Nonzero(Op):
    """The positions of the nonzero elements of a, as an int64 matrix with one row
    per dimension of a (numpy.nonzero, stacked)."""

    def make_node(self, a: Any) -> Apply:
        a = as_tensor_variable(a)
        if a.ndim == 0:
            raise TypeError("Nonzero: a 0-d tensor has no positions; use a > 0 or a != 0")
        return Apply(self, [a], [TensorType("int64", (a.ndim == 1, False))()])

    def perform(self, node, inputs, output_storage):
        (a,) = inputs
        output_storage[0][0] = np.array(np.nonzero(a), dtype="int64").reshape(a.ndim, -1)

    def infer_shape(self, fgraph, node, input_shapes):
        (a,) = node.inputs
        return [(a.ndim, cast(_T.neq(a, 0).sum(), "int64"))]

    def grad(self, inputs, output_grads):
        return [grad_undefined(self, 0, inputs[0], "positions are integers")]


_nonzero = Nonzero()


def nonzero(a: Any, return_matrix: bool = False) -> Any:
    """numpy.nonzero: a tuple of index vectors, one per dimension of a (or, with
    return_matrix, the matrix whose rows they are)."""
    a = as_tensor_variable(a)
    matrix = _nonzero(a)
    return matrix if return_matrix else tuple(matrix[d] for d in range(a.ndim))


def flatnonzero(a: Any) -> TensorVariable:
    """The positions of the nonzero elements of a.flatten()."""
    return _nonzero(as_tensor_variable(a).flatten())[0]


def nonzero_values(a: Any) -> TensorVariable:
    """The nonzero elements of a, in C order."""
    a = as_tensor_variable(a)
    return a.flatten()[flatnonzero(a)]


# The functions here build graph with the whole tensor package, which itself
# needs this module: importing it last breaks the cycle.
import minitheano.tensor as _T  # noqa: E402
