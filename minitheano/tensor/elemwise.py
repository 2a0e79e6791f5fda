"""Elemwise and DimShuffle: scalar ops lifted to arrays, and axes rearranged (chapter 1).

`Elemwise(scalar_op)` applies a scalar op to every element, with numpy's
broadcasting: `x + y` on a (3, 4) matrix and a (4,) vector is
`Elemwise(add)(x, y.dimshuffle('x', 0))`.  The padding DimShuffle is made
explicit when the node is built, so every input of an Elemwise node has the
same number of dimensions and the broadcastable flags say exactly which ones
stretch.  As in Theano, a dimension stretches only if it is *declared*
broadcastable: a (1, 4) value in a (False, False) input facing a (3, 4) one is
an error, not a silent broadcast, because the gradient (chapter 4) relies on
the declared pattern to know which dimensions to sum back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from minitheano.graph.basic import Apply, Variable
from minitheano.graph.null import disconnected_type, is_undefined
from minitheano.graph.op import Op
from minitheano.scalar.basic import FLOAT_DTYPES, ScalarOp, ScalarType, float_dtype
from minitheano.scalar.composite import Composite
from minitheano.tensor import kernel as K
from minitheano.tensor.type import TensorType, TensorVariable


class DimShuffle(Op):
    """Reorder, drop (broadcastable) and add ('x') dimensions; a view, never a copy.

    `new_order` lists, for each output dimension, the input dimension it comes
    from or 'x' for a new broadcastable one: `x.dimshuffle(1, 0)` is `x.T`,
    `v.dimshuffle('x', 0)` makes a row of a vector.
    """

    __props__ = ("input_broadcastable", "new_order")
    view_map = {0: [0]}

    def __init__(self, input_broadcastable: Sequence[bool], new_order: Sequence[int | str]) -> None:
        self.input_broadcastable = tuple(input_broadcastable)
        self.new_order = tuple(new_order)
        ndim = len(self.input_broadcastable)
        kept = [d for d in self.new_order if d != "x"]
        for d in kept:
            if not isinstance(d, (int, np.integer)) or not 0 <= d < ndim:
                raise ValueError(f"DimShuffle{self._pattern()}: {d!r} is not a dimension of "
                                 f"an input with {ndim} dimensions")
        if len(set(kept)) != len(kept):
            raise ValueError(f"DimShuffle{self._pattern()}: a dimension is used twice")
        self.dropped = tuple(d for d in range(ndim) if d not in kept)
        for d in self.dropped:
            if not self.input_broadcastable[d]:
                raise ValueError(
                    f"DimShuffle{self._pattern()}: cannot drop dimension {d}, which is not "
                    f"broadcastable (its length is not known to be 1)")
        self.shuffle = tuple(kept)

    def _pattern(self) -> str:
        return "{" + ",".join(str(d) for d in self.new_order) + "}"

    def make_node(self, x: Any) -> Apply:
        x = _T.as_tensor_variable(x)
        if x.type.broadcastable != self.input_broadcastable:
            if x.ndim != len(self.input_broadcastable):
                raise TypeError(f"DimShuffle{self._pattern()} expects an input with "
                                f"{len(self.input_broadcastable)} dimensions, got {x.type}")
            for d in self.dropped:
                if not x.broadcastable[d]:
                    raise TypeError(f"DimShuffle{self._pattern()}: dimension {d} of {x} is "
                                    f"not broadcastable")
        bcast = [True if d == "x" else x.broadcastable[d] for d in self.new_order]
        return Apply(self, [x], [TensorType(x.dtype, bcast)()])

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list]) -> None:
        (x,) = inputs
        for d in self.dropped:  # declared broadcastable, so it must be 1 long
            if x.shape[d] != 1:
                raise ValueError(f"DimShuffle{self._pattern()} drops dimension {d}, which "
                                 f"has length {x.shape[d]}, not 1 (input shape {x.shape})")
        res = x.transpose(self.shuffle + self.dropped)
        shape = [1 if d == "x" else x.shape[d] for d in self.new_order]
        output_storage[0][0] = res.reshape(shape)

    def make_py_thunk(self, node: Apply, input_cells: list[list],
                      output_cells: list[list]) -> Callable[[], None]:
        """`perform` with what does not depend on the value worked out once: a pure
        transpose, or new axes added by indexing.  (A training step runs several
        DimShuffles a call: ~2.6 µs each through perform, ~0.3 µs this way.)"""
        (in_cell,), (out_cell,) = input_cells, output_cells
        in_order = list(self.shuffle) == sorted(self.shuffle)
        if self.dropped or ("x" in self.new_order and not in_order):
            return super().make_py_thunk(node, input_cells, output_cells)
        if not in_order:  # no 'x', nothing dropped: a transpose
            axes = self.shuffle

            def transpose() -> None:
                out_cell[0] = in_cell[0].transpose(axes)
            return transpose
        # The dimensions in their order, 'x's in between: x[None, :, ...] for {x,0}.
        # (The Ellipsis makes a 0-d input give a 0-d array, not a numpy scalar.)
        index = tuple(None if d == "x" else slice(None) for d in self.new_order) + (...,)

        def add_axes() -> None:
            out_cell[0] = in_cell[0][index]
        return add_axes

    def infer_shape(self, fgraph, node, input_shapes):
        (shape,) = input_shapes
        return [tuple(1 if d == "x" else shape[d] for d in self.new_order)]

    def kernel(self, node: Apply) -> K.ViewKernel:
        """A view on a device array too: only its shape and strides (chapter 6)."""
        return K.ViewKernel(K.operand(node.inputs[0]), tuple(self.new_order))

    def grad(self, inputs, output_grads):
        # --8<-- [start:ex-ch04-dimshuffle-grad]
        (x,), (gz,) = inputs, output_grads
        # An 'x' dimension may have been stretched by whoever used the output:
        # sum it away.  One that still has length 1 is simply dropped below.
        stretched = [i for i, d in enumerate(self.new_order)
                     if d == "x" and not gz.broadcastable[i]]
        gz = _T.sum(gz, axis=stretched) if stretched else gz
        left = [i for i in range(len(self.new_order)) if i not in stretched]
        # Put each input dimension back where it came from.
        order = ["x"] * x.ndim
        for out_dim, in_dim in enumerate(self.new_order):
            if in_dim != "x":
                order[in_dim] = left.index(out_dim)
        return [DimShuffle(gz.broadcastable, order)(gz)]
        # --8<-- [end:ex-ch04-dimshuffle-grad]

    def R_op(self, inputs, eval_points):
        return [None if eval_points[0] is None else self(eval_points[0])]

    def __str__(self) -> str:
        return f"DimShuffle{self._pattern()}"


def _weak_dtypes(args: Sequence[Any]) -> list[str]:
    """The dtypes of the arguments that are not plain Python numbers."""
    dtypes = []
    for a in args:
        if isinstance(a, Variable):
            dtypes.append(a.type.dtype)
        elif isinstance(a, (np.ndarray, np.generic)):
            dtypes.append(np.asarray(a).dtype.name)
    return dtypes


class Elemwise(Op):
    """A scalar op applied elementwise to arrays, with broadcasting.

    `inplace_pattern` {output: input} says that an output is written into an
    input's buffer; chapter 3 sets it where no one else needs that input.
    """

    __props__ = ("scalar_op", "inplace")

    def __init__(self, scalar_op: ScalarOp, inplace_pattern: dict[int, int] | None = None,
                 name: str | None = None) -> None:
        self.scalar_op = scalar_op
        self.inplace_pattern = dict(inplace_pattern or {})
        self.inplace = tuple(sorted(self.inplace_pattern.items()))
        self.destroy_map = {o: [i] for o, i in self.inplace_pattern.items()}
        self.name = name
        self.nout = getattr(scalar_op, "nout", 1)

    def make_node(self, *inputs: Any) -> Apply:
        strong = _weak_dtypes(inputs)
        inputs = [_T.as_tensor_variable(x, dtype=_T.weak_dtype(x, strong))
                  if _T.is_weak(x) else _T.as_tensor_variable(x) for x in inputs]
        # --8<-- [start:ex-ch01-elemwise-broadcast]
        # Pad every input on the left to the same number of dimensions.
        ndim = max((x.ndim for x in inputs), default=0)
        inputs = [x if x.ndim == ndim else
                  DimShuffle(x.broadcastable, ["x"] * (ndim - x.ndim) + list(range(x.ndim)))(x)
                  for x in inputs]
        shadow = self.scalar_op.make_node(*[ScalarType(x.dtype)() for x in inputs])
        # A dimension of the output has length 1 only if it has length 1 in every input.
        bcast = [all(x.broadcastable[d] for x in inputs) for d in range(ndim)]
        outputs = [TensorType(o.type.dtype, bcast)() for o in shadow.outputs]
        # --8<-- [end:ex-ch01-elemwise-broadcast]
        for o, i in self.inplace_pattern.items():
            if inputs[i].type != outputs[o].type:
                raise TypeError(f"{self}: output {o} ({outputs[o].type}) cannot be written "
                                f"into input {i} ({inputs[i].type})")
        return Apply(self, inputs, outputs)

    # -- compiled code (chapters 5 and 6) -----------------------------------
    def kernel(self, node: Apply) -> K.ElemwiseKernel:
        """One loop over every position: the scalar op (a Composite's whole inner
        graph) as a straight-line program."""
        program = K.scalar_program(self.scalar_op, tuple(v.type.dtype for v in node.inputs))
        return K.ElemwiseKernel(tuple(K.operand(v) for v in node.inputs),
                                tuple(K.operand(v) for v in node.outputs), program,
                                self.inplace)

    # -- running ------------------------------------------------------------
    def make_py_thunk(self, node: Apply, input_cells: list[list],
                      output_cells: list[list]) -> Callable[[], None]:
        compute = self._compute_fn(node)
        check = _shape_checker(node)
        if len(node.outputs) == 1 and not self.inplace_pattern:
            (out_cell,) = output_cells
            if len(input_cells) == 2:
                a_cell, b_cell = input_cells

                def thunk() -> None:
                    a, b = a_cell[0], b_cell[0]
                    result = compute(a, b)
                    if check is not None:
                        result = check((a, b), result)
                    out_cell[0] = result
            else:
                def thunk() -> None:
                    args = [cell[0] for cell in input_cells]
                    result = compute(*args)
                    if check is not None:
                        result = check(args, result)
                    out_cell[0] = result
            return thunk
        return super().make_py_thunk(node, input_cells, output_cells)

    def _compute_fn(self, node: Apply) -> Callable[..., np.ndarray]:
        """A function computing the single output as an ndarray of the node's dtype."""
        dtype = node.outputs[0].type.numpy_dtype
        ndim = node.outputs[0].type.ndim
        fn = self.scalar_op.ufunc_for([x.type.dtype for x in node.inputs]) or self.scalar_op.impl

        def compute(*args: Any) -> np.ndarray:
            result = fn(*args)
            if type(result) is not np.ndarray or result.dtype != dtype:
                result = np.asarray(result, dtype=dtype)
            if result.ndim != ndim:  # a result that ignores some inputs: the checker
                # (_shape_checker) stretches it to the output's shape
                result = result.reshape((1,) * (ndim - result.ndim) + result.shape).copy()
            return result
        return compute

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list]) -> None:
        results = self.scalar_op.impl(*inputs)
        if len(node.outputs) == 1:
            results = (results,)
        check = _shape_checker(node)
        for k, (out, result) in enumerate(zip(node.outputs, results)):
            result = np.asarray(result, dtype=out.type.dtype)
            if check is not None:  # an output that ignores some inputs is stretched
                result = check(inputs, result)
            elif result.shape != (1,) * out.ndim:  # all inputs 0-d or broadcastable
                result = np.broadcast_to(result, (1,) * out.ndim).copy()
            if k in self.inplace_pattern:
                target = inputs[self.inplace_pattern[k]]
                target[...] = result
                result = target
            output_storage[k][0] = result

    # -- shapes and gradients ---------------------------------------------------
    def infer_shape(self, fgraph, node, input_shapes):
        shape = []
        for d in range(node.outputs[0].ndim):
            sizes = [s[d] for x, s in zip(node.inputs, input_shapes) if not x.broadcastable[d]]
            shape.append(sizes[0] if sizes else 1)
        return [tuple(shape)] * len(node.outputs)

    def connection_pattern(self, node: Apply) -> list[list[bool]]:
        return self.scalar_op.connection_pattern(node)

    def L_op(self, inputs, outputs, output_grads):
        """Lift the scalar op's gradient graph to tensors, then sum over the
        dimensions each input was broadcast along."""
        scalar_in = [ScalarType(x.dtype)() for x in inputs]
        scalar_out = self.scalar_op.make_node(*scalar_in).outputs
        scalar_gz = [ScalarType(g.dtype)() for g in output_grads]
        scalar_grads = self.scalar_op.L_op(scalar_in, scalar_out, scalar_gz)
        lift = dict(zip(scalar_in, inputs))
        lift.update(zip(scalar_out, outputs))
        lift.update(zip(scalar_gz, output_grads))
        pattern = self.connection_pattern(outputs[0].owner)
        grads = []
        for x, g, connected in zip(inputs, scalar_grads, pattern):
            if not any(connected):  # fill(x, v) ignores the values of x
                grads.append(disconnected_type())
                continue
            if is_undefined(g):  # the scalar op has no gradient here (grad_not_implemented)
                grads.append(g)
                continue
            if g is None or x.dtype not in FLOAT_DTYPES:  # zero, and always for integers
                grads.append(_T.zeros_like(x, dtype=float_dtype(x.dtype)))
                continue
            g = _lift(g, lift)
            if g.ndim < x.ndim:  # a gradient that does not depend on gz (a constant)
                g = _T.second(outputs[0], g)
            # Sum over the dimensions where x was stretched to the output's length.
            axes = [d for d in range(x.ndim)
                    if x.broadcastable[d] and not g.broadcastable[d]]
            if axes:
                g = _T.sum(g, axis=axes, keepdims=True)
            if g.broadcastable != x.broadcastable:
                g = _T.patternbroadcast(g, x.broadcastable)
            grads.append(g)
        return grads

    def __str__(self) -> str:
        if self.name is not None:
            return self.name
        if isinstance(self.scalar_op, Composite):
            suffix = f"[{', '.join(map(str, self.inplace))}]" if self.inplace else ""
            return f"{self.scalar_op}{suffix}"
        kind = "inplace" if self.inplace_pattern else "no_inplace"
        return f"Elemwise{{{self.scalar_op},{kind}}}"


def _lift(var: Variable, lift: dict[Variable, Variable]) -> Variable:
    """The tensor version of a scalar graph: each scalar node becomes an Elemwise."""
    if var in lift:
        return lift[var]
    if var.owner is None:  # a scalar constant
        result = _T.constant(var.data, dtype=var.type.dtype)
    else:
        args = [_lift(v, lift) for v in var.owner.inputs]
        result = Elemwise(var.owner.op)(*args)
        if isinstance(result, list):
            result = result[var.index]
    lift[var] = result
    return result


def _shape_checker(node: Apply) -> Callable[[Sequence[Any], np.ndarray], np.ndarray] | None:
    """A check that non-broadcastable dimensions really have the output's length;
    it returns the result, stretched to the output's shape where needed.

    numpy would stretch a length-1 dimension silently; Theano refuses unless the
    dimension is declared broadcastable, and so do we.  The output's shape is the
    broadcast of every input's, including inputs the scalar op does not read (a
    Composite that ignores its widest input computes a smaller array, stretched
    here).  None when nothing can go wrong (all inputs 0-d, or every dimension of
    every input broadcastable).
    """
    checks = [(k, [d for d, b in enumerate(x.broadcastable) if not b])
              for k, x in enumerate(node.inputs)]
    checks = [(k, dims) for k, dims in checks if dims]
    if not checks:
        return None
    ndim = node.outputs[0].ndim

    def check(inputs: Sequence[Any], result: np.ndarray) -> np.ndarray:
        if all(inputs[k].shape == result.shape for k, _ in checks):
            return result  # the common case: every checked input has the result's shape
        shape, source = [1] * ndim, [None] * ndim  # the output's length, and who set it
        for k, dims in checks:
            for d in dims:
                length = inputs[k].shape[d]
                if source[d] is None:
                    shape[d], source[d] = length, k
                elif length != shape[d]:
                    shapes = ", ".join(str(np.shape(x)) for x in inputs)
                    raise ValueError(
                        f"Input dimension mismatch: input {k} has length {length} in "
                        f"dimension {d}, input {source[d]} has length {shape[d]} (input shapes: "
                        f"{shapes}). Only dimensions declared broadcastable are stretched.")
        if result.shape != tuple(shape):
            result = np.broadcast_to(result, shape).copy()
        return result
    return check


# The ops here build graph with the whole tensor package, which itself needs
# this module: importing it last breaks the cycle.
import minitheano.tensor as _T  # noqa: E402

__all__ = ["DimShuffle", "Elemwise", "TensorVariable"]
