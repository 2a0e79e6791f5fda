"""`Gemm`: a matrix product and an update in one BLAS call (chapter 5, fewer nodes).

BLAS's `gemm` computes `Z <- b*Z + a*dot(X, Y)` in one pass: the product is
accumulated straight into Z, with no temporary for `dot(X, Y)` and no second
pass to scale and add it.  An SGD step `W - lr * dot(h.T, g)` is exactly this
with `a = -lr`, `b = 1`; when the old W is not needed afterwards (it is being
replaced by its update), Z can be W's own buffer, and the step allocates
nothing (`rewrite/blas.py` decides when that is safe).

How BLAS is reached, without scipy: numpy's wheels ship OpenBLAS
(`numpy.libs/libscipy_openblas64_*.so`) with its CBLAS entry points renamed
`scipy_cblas_dgemm64_` (64-bit integers).  `ctypes` loads that library and calls
them.  Where it cannot be found (numpy built against another BLAS), or the
arrays do not fit BLAS's layout (strides that are not rows or columns, other
dtypes, empty matrices), or a or b is 0 (BLAS would drop a NaN that numpy keeps),
`Gemm` falls back to numpy: `numpy.dot` into a scratch
array, then `Z *= b; Z += a * product` -- the same values, one more pass.
"""

from __future__ import annotations

import ctypes
import glob
import os
from typing import Any

import numpy as np

from minitheano.graph.basic import Apply
from minitheano.graph.op import Op
from minitheano.tensor import kernel as K
from minitheano.tensor.basic import as_tensor_variable
from minitheano.tensor.math import for_blas

ROW_MAJOR, NO_TRANS, TRANS = 101, 111, 112  # CBLAS's enum values


def numpy_openblas() -> ctypes.CDLL | None:
    """The OpenBLAS numpy's wheel ships (numpy.libs), loaded; None when not found."""
    libs = os.path.join(os.path.dirname(os.path.dirname(np.__file__)), "numpy.libs")
    for path in glob.glob(os.path.join(libs, "libscipy_openblas64_*.so")):
        try:
            return ctypes.CDLL(path)
        except OSError:
            continue
    return None


def _load_gemms() -> dict[str, Any]:
    """numpy's OpenBLAS `dgemm` and `sgemm`, by dtype name; {} when not found."""
    lib = numpy_openblas()
    try:
        found = {"float64": (lib.scipy_cblas_dgemm64_, ctypes.c_double),
                 "float32": (lib.scipy_cblas_sgemm64_, ctypes.c_float)}
    except AttributeError:  # no library (None), or not the symbols we know
        return {}
    gemms = {}
    for dtype, (fn, scalar) in found.items():
        i, p = ctypes.c_int64, ctypes.c_void_p
        fn.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, i, i, i, scalar, p, i,
                       p, i, scalar, p, i]
        fn.restype = None
        gemms[dtype] = fn
    return gemms


GEMMS = _load_gemms()

# `a.ctypes.data` builds a helper object (~2 us, more than a small gemm); the
# pointer is also the field after the object header of numpy's array struct,
# read directly in ~0.1 us.  Checked once against `ctypes.data`.
_DATA_OFFSET = 2 * ctypes.sizeof(ctypes.c_ssize_t)  # PyObject_HEAD: refcount, type


def _fast_address(a: np.ndarray) -> int:
    return ctypes.c_void_p.from_address(id(a) + _DATA_OFFSET).value


_probe = np.zeros(3)
address = _fast_address if _fast_address(_probe) == _probe.ctypes.data else (
    lambda a: a.ctypes.data)


def _blas_layout(m: np.ndarray) -> tuple[int, int] | None:
    """(transpose flag, leading dimension) to hand `m` to a row-major gemm, or None."""
    item = m.itemsize
    s0, s1 = m.strides
    if s1 == item and s0 % item == 0 and s0 >= max(1, m.shape[1]) * item:
        return NO_TRANS, s0 // item       # rows of m are contiguous
    if s0 == item and s1 % item == 0 and s1 >= max(1, m.shape[0]) * item:
        return TRANS, s1 // item          # m is the transpose of a row-major matrix
    return None


def gemm_into(z: np.ndarray, a: Any, x: np.ndarray, y: np.ndarray, b: Any) -> None:
    """z <- b*z + a*dot(x, y), in z's own buffer (z C-contiguous, shapes checked)."""
    fn = GEMMS.get(z.dtype.name)
    x, y = for_blas(x), for_blas(y)  # a reversed history: a copy BLAS can read
    lx, ly = _blas_layout(x), _blas_layout(y)
    # BLAS skips the product when a == 0 and never reads Z when b == 0, so a NaN
    # there would vanish; numpy keeps it (0 * nan is nan), as the graph did.
    if (fn is not None and lx is not None and ly is not None and z.size and a != 0 and b != 0
            and x.shape[1] and z.flags.c_contiguous and x.dtype == y.dtype == z.dtype
            and not np.may_share_memory(z, x) and not np.may_share_memory(z, y)):
        m, n = z.shape
        fn(ROW_MAJOR, lx[0], ly[0], m, n, x.shape[1], float(a), address(x), lx[1],
           address(y), ly[1], float(b), address(z), n)
        return
    product = np.dot(x, y)
    z *= b
    z += np.asarray(a, dtype=z.dtype) * product


class Gemm(Op):
    """`Gemm()(Z, a, X, Y, b)` is `b*Z + a*dot(X, Y)` for matrices Z, X, Y and
    scalars a, b, as BLAS's gemm computes it.  `Gemm(inplace=True)` writes the
    result into Z's buffer (destroy_map); the rewrite that makes it checks that
    nothing else reads Z afterwards."""

    __props__ = ("inplace",)

    def __init__(self, inplace: bool = False) -> None:
        self.inplace = inplace
        self.destroy_map = {0: [0]} if inplace else {}

    def __str__(self) -> str:
        return "Gemm{inplace}" if self.inplace else "Gemm{no_inplace}"

    def make_node(self, z: Any, a: Any, x: Any, y: Any, b: Any) -> Apply:
        z, a, x, y, b = (as_tensor_variable(v) for v in (z, a, x, y, b))
        if not (z.ndim == x.ndim == y.ndim == 2):
            raise TypeError(f"Gemm: Z, X and Y must be matrices, got {z.type}, {x.type}, "
                            f"{y.type}")
        if a.ndim != 0 or b.ndim != 0:
            raise TypeError(f"Gemm: a and b must be scalars, got {a.type} and {b.type}")
        if not (z.dtype == x.dtype == y.dtype) or z.dtype not in ("float32", "float64"):
            raise TypeError(f"Gemm: Z, X and Y must share one float dtype, got {z.dtype}, "
                            f"{x.dtype}, {y.dtype}")
        return Apply(self, [z, a, x, y, b], [z.type()])

    def perform(self, node, inputs, output_storage):
        z, a, x, y, b = inputs
        if x.shape[1] != y.shape[0] or z.shape != (x.shape[0], y.shape[1]):
            raise ValueError(f"Gemm: shapes do not fit: Z {z.shape}, X {x.shape}, "
                             f"Y {y.shape} (Z must be X's rows by Y's columns)")
        out = z if self.inplace and z.flags.c_contiguous else np.array(z, order="C")
        gemm_into(out, a, x, y, b)
        if self.inplace and out is not z:
            z[...] = out  # the promised buffer holds the result
            out = z
        output_storage[0][0] = out

    def infer_shape(self, fgraph, node, input_shapes):
        return [input_shapes[0]]

    def kernel(self, node: Apply) -> K.GemmKernel:
        """Chapter 6's tiled CUDA kernel with the update in its last pass (a fresh
        output: on the device nothing is overwritten); the C linker calls BLAS
        for it from C (link/c/blas_thunks.py), `perform` where BLAS cannot."""
        z, a, x, y, b = node.inputs
        return K.GemmKernel(K.operand(z), K.operand(x), K.operand(y), a.type.dtype,
                            b.type.dtype, z.type.dtype)

    def grad(self, inputs, output_grads):
        import minitheano.tensor as T

        z, a, x, y, b = inputs
        (gout,) = output_grads
        product = T.dot(x, y)
        return [b * gout, T.sum(gout * product), a * T.dot(gout, y.T), a * T.dot(x.T, gout),
                T.sum(gout * z)]


gemm_no_inplace = Gemm(inplace=False)
gemm_inplace = Gemm(inplace=True)
