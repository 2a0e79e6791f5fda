"""The C linker's thunks: each node's compiled kernel, called from the VM (chapter 5).

`c_thunks` describes every node it can (each op's `kernel(node)`, tensor/kernel.py) and
asks link/c/library.py for the compiled function of each kernel: the kernels not yet in
the cache are printed into ONE C module (one compiler run per function), and the cache
records, for each kernel, the library it was compiled in, so a kernel is compiled once
for every function that needs it. Each node then gets a thunk of the same shape as the
Python VM's: a function of no arguments that reads its input cells and fills its output
cells. Nodes without a kernel keep their Python thunk, so C and Python nodes run side by
side in the same VM loop.

A call must cost little, so everything is prepared once:

* kernels take the numpy arrays themselves (ctypes `py_object`) and read
  data pointers, shapes and strides from the array structs in C: no per-call
  marshalling in Python;
* output arrays are allocated once and reused by later calls, as long as
  nothing outside holds them (their reference count says so): the function
  never overwrites an array it returned to its caller.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from minitheano.graph.basic import Apply, Variable
from minitheano.link.c import build, cache
from minitheano.link.c.blas_thunks import blas_thunks
from minitheano.link.c.buffers import FREE_REFCOUNT, BufferBudget, Keep, keeper
from minitheano.link.c.library import kernel_functions, numpy_layout_problem, print_kernels
from minitheano.link.c.loops import CPrinter
from minitheano.link.c.op_thunks import op_thunks
from minitheano.link.c.schedule import KernelStep, output_plans, shape_plan
from minitheano.link.kernel import (
    CrossentropyKernel,
    ElemwiseKernel,
    Kernel,
    ReduceKernel,
)
from minitheano.tensor.kernel import CrossentropySoftmaxDxKernel, CrossentropySoftmaxKernel

Thunk = Callable[[], None]

MT_BAD_ARRAY, MT_BAD_SHAPE, MT_REFUSED, MT_OVERLAP, MT_VALUE_ERROR = 1, 2, 3, 4, 5

_warned: set[str] = set()


def c_unavailable() -> str | None:
    """Why C kernels cannot run here (warned about once), or None."""
    problem = build.compiler_problem() or _LAYOUT_PROBLEM
    if problem is not None:
        _warn_once(problem)
    return problem


def _warn_once(problem: str) -> None:
    if problem not in _warned:
        _warned.add(problem)
        warnings.warn(f"{problem}: minitheano runs every operation in Python (no C kernels).",
                      stacklevel=3)


_LAYOUT_PROBLEM = numpy_layout_problem()


def compile_nodes(order: Sequence[Apply]) -> list[tuple[Kernel, Callable] | None] | None:
    """(kernel, compiled function) for each node of `order` that has a kernel,
    None for the others.  None when there is no C here."""
    if c_unavailable() is not None:
        return None
    try:
        kernels, node_kernels = print_kernels(order)
        functions = kernel_functions(kernels)
    except NotImplementedError as e:  # a piece of the machinery is an exercise left blank
        _warn_once(f"C code is disabled ({e})")
        return None
    except cache.CacheError as e:  # the compile directory or the compiler misbehaves
        _warn_once(str(e))
        return None
    return [None if k is None else (k, functions[k]) for k in node_kernels]


def c_thunks(order: Sequence[Apply], storage: dict[Variable, list],
             reuse: Callable[[Apply], bool | BufferBudget]) -> list[Thunk | None] | None:
    """A C thunk for each node of `order` that has a kernel (None for the others),
    or None when there is no C at all here.  `reuse(node)`: may the node keep
    its output arrays for the next call (always, never, or within a budget)?"""
    compiled = compile_nodes(order)
    if compiled is None:
        return None
    own = op_thunks(order, storage)  # ops that bring their own C (chapter 8's conv, pool)
    blas = blas_thunks(order, storage, reuse)  # Dot and Gemm: BLAS called from C
    own = [o if o is not None else b for o, b in zip(own, blas)]
    return [own[k] if own[k] is not None else None if c is None else
            make_thunk(node, c[0], c[1], [storage[v] for v in node.inputs],
                       [storage[v] for v in node.outputs], reuse(node))
            for k, (node, c) in enumerate(zip(order, compiled))]


def make_thunk(node: Apply, kernel: Kernel, fn: Callable, in_cells: list[list],
               out_cells: list[list], reuse: bool | BufferBudget) -> Thunk:
    """A thunk calling kernel function `fn` on the node's cells.

    The thunk carries, as `thunk.c_step`, what link/c/schedule.c needs to call
    the same kernel from C with the same cells and kept arrays.
    """
    dtypes = [v.type.numpy_dtype for v in node.outputs]
    inplace = dict(kernel.inplace) if isinstance(kernel, ElemwiseKernel) else {}
    bufs: list[Any] = [None] * len(out_cells)
    keep = keeper(reuse)
    thunk = _kernel_thunk(node, kernel, fn, in_cells, out_cells, dtypes, inplace, bufs, keep)
    outputs = output_plans(shape_plan(node, kernel), dtypes, inplace, bufs, keep)
    thunk.c_step = KernelStep(fn, in_cells, out_cells, outputs)
    return thunk


def _kernel_thunk(node: Apply, kernel: Kernel, fn: Callable, in_cells: list[list],
                  out_cells: list[list], dtypes: list[np.dtype], inplace: dict[int, int],
                  bufs: list[Any], keep: Keep) -> Thunk:
    """The thunk of `make_thunk`, writing into the arrays `bufs` keeps.

    The common cases (one output, one or two inputs, not in place) get a
    thunk of their own, with as little Python per call as possible; anything
    unusual (an input that is not an aligned array of the right dtype, a
    shape error, an error code) goes through `call_carefully`.
    """
    shape_of = _output_shape_function(node, kernel)
    shapes_of = _output_shapes_function(kernel, shape_of, len(out_cells))
    free, getrefcount, empty = FREE_REFCOUNT, sys.getrefcount, np.empty

    def slow(args: Sequence[Any]) -> list[Any]:
        return call_carefully(node, kernel, fn, list(args), shapes_of, dtypes, inplace)

    source = _shape_source(kernel)  # which input gives the output's shape (-1: 0-d)
    if (len(out_cells) == 1 and not inplace and len(in_cells) == 2 and source < 0
            and isinstance(kernel, ElemwiseKernel)):
        # Scalars: the output's shape is always (); only its holders matter.
        (cell,), (dtype,), (a_cell, b_cell) = out_cells, dtypes, in_cells

        def thunk() -> None:
            out = bufs[0]
            if out is None or getrefcount(out) != free + (cell[0] is out):
                out = empty((), dtype)
                keep(bufs, 0, out)
            a, b = a_cell[0], b_cell[0]
            if fn(a, b, out):
                out = slow((a, b))[0]
            cell[0] = out
        return thunk

    if len(out_cells) == 1 and not inplace and len(in_cells) == 2:
        (cell,), (dtype,), (a_cell, b_cell) = out_cells, dtypes, in_cells

        def thunk() -> None:
            a, b = a_cell[0], b_cell[0]
            try:
                shape = (a.shape if source == 0 else b.shape if source == 1 else
                         () if source < 0 else shape_of((a, b)))
            except AttributeError:  # not an array: the careful way
                shape = None
            out = bufs[0]
            # Reuse the last output array unless someone else holds it.
            if out is None or out.shape != shape or getrefcount(out) != free + (cell[0] is out):
                out = empty(shape, dtype) if shape is not None else None
                keep(bufs, 0, out)
            if out is None or fn(a, b, out):
                out = slow((a, b))[0]
            cell[0] = out
        return thunk

    if len(out_cells) == 1 and inplace and len(in_cells) == 2:
        # In place: the output is the destroyed input itself (the kernel checks
        # that the other input's shape fits it), so there is nothing to allocate.
        (cell,), (a_cell, b_cell), dest = out_cells, in_cells, inplace[0]

        def thunk() -> None:
            a, b = a_cell[0], b_cell[0]
            out = b if dest else a
            if fn(a, b, out):
                out = slow((a, b))[0]
            cell[0] = out
        return thunk

    if len(out_cells) == 1 and not inplace and len(in_cells) == 1:
        (cell,), (dtype,), (a_cell,) = out_cells, dtypes, in_cells

        def thunk() -> None:
            a = a_cell[0]
            try:
                shape = a.shape if source == 0 else () if source < 0 else shape_of((a,))
            except AttributeError:
                shape = None
            out = bufs[0]
            if out is None or out.shape != shape or getrefcount(out) != free + (cell[0] is out):
                out = empty(shape, dtype) if shape is not None else None
                keep(bufs, 0, out)
            if out is None or fn(a, out):
                out = slow((a,))[0]
            cell[0] = out
        return thunk

    def thunk() -> None:
        args = [c[0] for c in in_cells]
        try:
            shapes = shapes_of(args)
        except Exception:
            outs = slow(args)
        else:
            outs = []
            for k, (cell, dtype, shape) in enumerate(zip(out_cells, dtypes, shapes)):
                if k in inplace:
                    outs.append(args[inplace[k]])
                    continue
                out = bufs[k]
                if (out is None or out.shape != shape
                        or getrefcount(out) != free + (cell[0] is out)):
                    out = empty(shape, dtype)
                    keep(bufs, k, out)
                outs.append(out)
            if fn(*args, *outs):
                outs = slow(args)
        for cell, out in zip(out_cells, outs):
            cell[0] = out
    return thunk


def _shape_source(kernel: Kernel) -> int:
    """-1 when the output is 0-d; k when input k alone gives the output's shape
    (it is broadcast nowhere); otherwise 99: compute it."""
    if isinstance(kernel, ElemwiseKernel):
        if kernel.ndim == 0:
            return -1
        for k, op in enumerate(kernel.inputs):
            if not any(op.broadcastable):
                return k
        return 99
    if isinstance(kernel, ReduceKernel):
        return -1 if not kernel.kept else 99
    if isinstance(kernel, CrossentropySoftmaxDxKernel):
        return 1  # (g, sm, y): dx has the shape of sm
    return 99 if isinstance(kernel, (CrossentropyKernel, CrossentropySoftmaxKernel)) else 0


def _output_shape_function(node: Apply, kernel: Kernel) -> Callable[[Sequence[Any]], tuple]:
    """args -> the shape of the outputs, without any check (the kernel checks)."""
    if isinstance(kernel, ReduceKernel):
        kept = kernel.kept
        if not kept:
            return lambda args: ()
        return lambda args: tuple([args[0].shape[d] for d in kept])
    if isinstance(kernel, (CrossentropyKernel, CrossentropySoftmaxKernel)):
        return lambda args: args[0].shape[:1]  # one loss per row (the first output)
    if isinstance(kernel, CrossentropySoftmaxDxKernel):
        return lambda args: args[1].shape
    if not isinstance(kernel, ElemwiseKernel):
        return lambda args: args[0].shape
    ndim = kernel.ndim
    # For each dimension, the first input that is not broadcast along it.
    source = [next((k for k, op in enumerate(kernel.inputs) if not op.broadcastable[d]), None)
              for d in range(ndim)]
    if ndim and source.count(source[0]) == ndim and source[0] is not None:
        k = source[0]
        return lambda args: args[k].shape
    return lambda args: tuple([1 if k is None else args[k].shape[d]
                               for d, k in enumerate(source)])


def _output_shapes_function(kernel: Kernel, shape_of: Callable, n_outputs: int
                            ) -> Callable[[Sequence[Any]], list[tuple]]:
    """args -> the shape of each output: all the same but for CrossentropySoftmax's
    (a loss per row, then softmax(x) of x's shape)."""
    if isinstance(kernel, CrossentropySoftmaxKernel):
        return lambda args: [args[0].shape[:1], args[0].shape]
    return lambda args: [shape_of(args)] * n_outputs


def call_carefully(node: Apply, kernel: Kernel, fn: Callable, args: list[Any],
                   shapes_of: Callable, dtypes: list[np.dtype], inplace: dict[int, int]
                   ) -> list[Any]:
    """Call the kernel after converting what needs converting, and turn its
    error codes into exceptions that say what was wrong."""
    for i, (a, var) in enumerate(zip(args, node.inputs)):
        want = var.type.numpy_dtype
        a = np.asarray(a)
        if a.dtype.newbyteorder("=") != want:  # (another byte order is only converted)
            raise TypeError(f"{node.op}: input {i} should be a {var.type}, got an array of "
                            f"dtype {a.dtype}")
        if a.ndim != var.type.ndim:
            raise TypeError(f"{node.op}: input {i} should have {var.type.ndim} dimensions, "
                            f"got shape {a.shape}")
        if a.dtype is not want and a.dtype == want:  # an equal dtype object (unpickled):
            a = a.view(want)  # the kernel recognises numpy's own; a view keeps the buffer
        if a.dtype is not want or not a.flags.aligned:
            a = np.array(a, dtype=want)  # numpy's own dtype object, aligned
        args[i] = a
    shapes = shapes_of(args)
    outs = [args[inplace[k]] if k in inplace else np.empty(shape, dtype)
            for k, (dtype, shape) in enumerate(zip(dtypes, shapes))]
    code = fn(*args, *outs)
    if code == MT_OVERLAP:  # an input overlaps an output written in place: read a copy
        others = {i for i in range(len(args)) if i not in inplace.values()}
        args = [np.array(a, copy=True) if i in others else a for i, a in enumerate(args)]
        code = fn(*args, *outs)
    if code == 0:
        return outs
    if code == MT_BAD_SHAPE and isinstance(kernel, ElemwiseKernel):
        raise ValueError(shape_mismatch_message(node, args, shapes[0]))
    if code in (MT_REFUSED, MT_BAD_SHAPE):  # the op's own Python code raises the right error
        cells = [[None] for _ in node.outputs]
        node.op.perform(node, args, cells)
        return [c[0] for c in cells]
    if code >= MT_VALUE_ERROR and isinstance(kernel, ElemwiseKernel):
        checks = CPrinter().checks(kernel.program)
        raise ValueError(checks[code - MT_VALUE_ERROR][1])
    raise RuntimeError(f"{node.op}: the C kernel failed with code {code}")


def shape_mismatch_message(node: Apply, args: Sequence[Any], shape: tuple) -> str:
    shapes = ", ".join(str(np.shape(a)) for a in args)
    for k, (a, var) in enumerate(zip(args, node.inputs)):
        for d, (length, bcast) in enumerate(zip(np.shape(a), var.type.broadcastable)):
            if bcast and length != 1:
                return (f"Input {k} has length {length} in dimension {d}, which its type "
                        f"{var.type} declares broadcastable (length 1) (input shapes: {shapes})")
            if not bcast and d < len(shape) and length != shape[d]:
                return (f"Input dimension mismatch: input {k} has length {length} in dimension "
                        f"{d}, the result {shape[d]} (input shapes: {shapes}). Only dimensions "
                        f"declared broadcastable are stretched.")
    return f"{node.op}: shapes do not match (input shapes: {shapes})"
