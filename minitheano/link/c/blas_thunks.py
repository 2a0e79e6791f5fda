"""Dot and Gemm nodes as C thunks that call BLAS directly (chapters 5 and 8).

A training step on a minibatch of 32 rows is a handful of small matrix products.
Through Python each one costs more around the product than in it: numpy.dot
checks its arguments' types, layouts and dtypes and allocates its result;
Gemm's perform asks numpy whether the arrays share memory, copies Z and reads
four data pointers.  For a 32 x 64 by 64 x 100 product those checks take as
long as the arithmetic.

blas_calls.c does the same checks in C, a few integer comparisons, and calls
numpy's own OpenBLAS (the `dgemm`/`sgemm` that tensor/blas.py finds), the way
the compiled scan loop (step_loop.c) does.  Each Dot or Gemm node of a compiled
function gets a thunk that passes the numpy arrays straight to it, with an
output matrix it keeps between calls (unless someone else holds it, as for
every C kernel, link/c/thunk.py).  Whatever BLAS cannot take (other dtypes, a
layout with a step between elements, empty matrices, a or b equal to 0, Z
overlapping X or Y in place, wrong shapes) the C refuses, and the node's own
Python code runs instead: the same values and the same error messages.

A DotBiasAct node (a layer's `act(dot(x, W) + b)`, tensor/dot_bias_act.py)
gets `mt_dot_bias_act`, which hands each block of the product to the loop the
C printer makes for the bias and the activation; those loops are compiled
here, one module for all such nodes of the function.
"""

from __future__ import annotations

import ctypes
import functools
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from minitheano.graph.basic import Apply, Variable
from minitheano.link.c import build, cache, library
from minitheano.link.c.buffers import FREE_REFCOUNT, BufferBudget, keeper
from minitheano.link.c.loops import RUNTIME
from minitheano.link.c.schedule import KernelStep, output_plans
from minitheano.link.kernel import describe
from minitheano.link.py.vm import py_thunk
from minitheano.tensor.blas import GEMMS
from minitheano.tensor.dot_bias_act import DotBiasAct
from minitheano.tensor.kernel import DotKernel, GemmKernel

Thunk = Callable[[], None]

SOURCE = RUNTIME + "\n" + (Path(__file__).parent / "blas_calls.c").read_text()


@functools.cache
def blas_library() -> library.Library | None:
    """blas_calls.c compiled and loaded, told where numpy's gemms are; None when
    that BLAS was not found or the module does not build (then Python does it)."""
    if set(GEMMS) != {"float32", "float64"}:
        return None
    try:
        lib = library.load(SOURCE, {"mt_dot": 3, "mt_gemm": 6})
    except (build.CompileError, cache.CacheError, OSError):
        return None
    setter = lib.dll.mt_blas_set
    setter.argtypes, setter.restype = [ctypes.c_void_p, ctypes.c_void_p], None
    setter(ctypes.cast(GEMMS["float64"], ctypes.c_void_p),
           ctypes.cast(GEMMS["float32"], ctypes.c_void_p))
    fused = lib.dll.mt_dot_bias_act  # x, w, b, out, the activation's loop, product_index
    fused.argtypes = [ctypes.py_object] * 4 + [ctypes.c_void_p, ctypes.c_int]
    fused.restype = ctypes.c_int
    lib.kernels["mt_dot_bias_act"] = fused
    return lib


def blas_thunks(order: Sequence[Apply], storage: dict[Variable, list],
                reuse: Callable[[Apply], bool | BufferBudget]) -> list[Thunk | None]:
    """A BLAS thunk for each matrix-matrix Dot or Gemm node of `order`, None for the rest."""
    thunks: list[Thunk | None] = [None] * len(order)
    lib = None
    activations = activation_loops([n for n in order if isinstance(n.op, DotBiasAct)])
    for k, node in enumerate(order):
        if node in activations:
            lib = lib or blas_library()
            if lib is None:
                return thunks
            thunks[k] = dot_bias_act_thunk(node, lib.kernels["mt_dot_bias_act"],
                                           activations[node], storage, reuse(node))
            continue
        kernel = describe(node)
        if not isinstance(kernel, (DotKernel, GemmKernel)):
            continue
        lib = lib or blas_library()
        if lib is None:
            return thunks
        if isinstance(kernel, DotKernel):
            thunks[k] = dot_thunk(node, lib.kernels["mt_dot"], storage, reuse(node))
        else:
            thunks[k] = gemm_thunk(node, lib.kernels["mt_gemm"], storage, reuse(node))
    return thunks


def activation_loops(nodes: Sequence[Apply]) -> dict[Apply, int]:
    """The address of the compiled bias-and-activation loop of each DotBiasAct node
    ({} when the C printer or the compiler cannot make them: Python then)."""
    missing = [n for n in nodes if _loop_key(n) not in _ACTIVATION_LOOPS]
    if missing:
        try:
            kernels, node_kernels = library.print_kernels(
                [n.op.elemwise_node(n) for n in missing])
            if any(k is None for k in node_kernels):
                return {}
            functions = library.kernel_functions(kernels)
        except (NotImplementedError, build.CompileError, cache.CacheError, OSError):
            return {}
        for node, k in zip(missing, node_kernels):
            _ACTIVATION_LOOPS[_loop_key(node)] = ctypes.cast(functions[k], ctypes.c_void_p).value
    return {node: _ACTIVATION_LOOPS[_loop_key(node)] for node in nodes}


# Loops already compiled and loaded, by what they depend on: the op (its scalar op and
# product_index) and the types of the output and the bias.  A process compiling the
# same layer again skips the printer.
_ACTIVATION_LOOPS: dict[tuple, int] = {}


def _loop_key(node: Apply) -> tuple:
    return node.op, node.outputs[0].type, node.inputs[2].type


def kept_or_new(bufs: list, shape: tuple, dtype: np.dtype, cell: list,
                keep: Callable) -> np.ndarray:
    """The matrix kept from the last call when it has `shape` and nobody else holds it
    (buffers.py's reference-count rule), else a new one, kept if the budget allows."""
    out = bufs[0]
    if (out is None or out.shape != shape
            or sys.getrefcount(out) != FREE_REFCOUNT + (cell[0] is out)):
        out = np.empty(shape, dtype)
        keep(bufs, 0, out)
    return out


def dot_bias_act_thunk(node: Apply, fn: Callable, act: int, storage: dict[Variable, list],
                       reuse: bool | BufferBudget) -> Thunk:
    """out = act(x . w, b) by mt_dot_bias_act into a matrix the thunk keeps; Python
    when C refuses."""
    (x_cell, w_cell, b_cell), cell = [storage[v] for v in node.inputs], storage[node.outputs[0]]
    dtype = node.outputs[0].type.numpy_dtype
    product_index = node.op.product_index
    python = py_thunk(node, storage)
    bufs: list[np.ndarray | None] = [None]
    keep = keeper(reuse)

    def thunk() -> None:
        x, w = x_cell[0], w_cell[0]
        try:
            shape = (x.shape[0], w.shape[1])
        except (AttributeError, IndexError):  # not matrices: Python says what is wrong
            python()
            return
        out = kept_or_new(bufs, shape, dtype, cell, keep)
        if fn(x, w, b_cell[0], out, act, product_index):
            python()
            return
        cell[0] = out
    return thunk


def dot_thunk(node: Apply, fn: Callable, storage: dict[Variable, list],
              reuse: bool | BufferBudget) -> Thunk:
    """out = x . y by mt_dot into a matrix the thunk keeps; Python when C refuses."""
    (x_cell, y_cell), cell = [storage[v] for v in node.inputs], storage[node.outputs[0]]
    dtype = node.outputs[0].type.numpy_dtype
    python = py_thunk(node, storage)
    bufs: list[np.ndarray | None] = [None]
    keep = keeper(reuse)

    def thunk() -> None:
        x, y = x_cell[0], y_cell[0]
        try:
            shape = (x.shape[0], y.shape[1])
        except (AttributeError, IndexError):  # not matrices: Python says what is wrong
            python()
            return
        out = kept_or_new(bufs, shape, dtype, cell, keep)
        if fn(x, y, out):
            python()
            return
        cell[0] = out
    # What link/c/schedule.c needs to call mt_dot itself: out is (x rows, y columns).
    thunk.c_step = KernelStep(fn, [x_cell, y_cell], [cell], output_plans(
        [((0, 0), (1, 1))], [dtype], {}, bufs, keep))
    return thunk


def gemm_thunk(node: Apply, fn: Callable, storage: dict[Variable, list],
               reuse: bool | BufferBudget) -> Thunk:
    """out = b*z + a*(x . y) by mt_gemm: into Z itself for Gemm{inplace}, else into a
    matrix the thunk keeps (Z is copied there first, never written)."""
    z_cell, a_cell, x_cell, y_cell, b_cell = [storage[v] for v in node.inputs]
    cell = storage[node.outputs[0]]
    dtype = node.outputs[0].type.numpy_dtype
    inplace = bool(node.op.destroy_map)
    python = py_thunk(node, storage)
    bufs: list[np.ndarray | None] = [None]
    free, getrefcount, empty = FREE_REFCOUNT, sys.getrefcount, np.empty
    keep = keeper(reuse)

    def thunk() -> None:
        z = z_cell[0]
        if inplace:
            out = z
        else:
            out = bufs[0]
            shape = getattr(z, "shape", None)
            if out is None or out.shape != shape or getrefcount(out) != free + (cell[0] is out):
                if shape is None or len(shape) != 2:
                    python()
                    return
                out = empty(shape, dtype)
                keep(bufs, 0, out)
        if fn(z, a_cell[0], x_cell[0], y_cell[0], b_cell[0], out):
            python()
            return
        cell[0] = out
    # For link/c/schedule.c: out is Z itself in place, else a matrix of Z's shape.
    thunk.c_step = KernelStep(fn, [z_cell, a_cell, x_cell, y_cell, b_cell], [cell], output_plans(
        [((0, 0), (0, 1))], [dtype], {0: 0} if inplace else {}, bufs, keep))
    return thunk
