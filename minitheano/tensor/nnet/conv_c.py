"""im2col and col2im in C, for conv2d in FAST_RUN (chapter 8).

The same copies as im2col.py, as plain C loops that also do the padding (a
pixel outside the image reads as 0), so the padded image is never built.
The C linker compiles `SOURCE` once (cached like every C module, see
link/c/op_thunks.py) and hands the loaded library to the conv ops, which
call these functions through ctypes and leave the matrix product to numpy's
BLAS.  The source is written once with the element type `real` and printed
for float and double.
"""

from __future__ import annotations

import ctypes
from typing import Any

import numpy as np

from minitheano.tensor.nnet.conv_geometry import Axis
from minitheano.tensor.nnet.im2col import Kit

# The geometry array the C functions read: its entries, in this order.
GEOMETRY = ("N", "C", "H", "W", "KH", "KW", "OH", "OW", "PH", "PW", "SH", "SW", "DH", "DW")

_TEMPLATE = """
/* cols[(c, a, b), (n, i, j)] = x[n, c, i*SH + a*DH - PH, j*SW + b*DW - PW], 0 outside x */
void im2col_real(const real *x, const int64_t *g, real *cols)
{
    int64_t n_cols = g[N] * g[OH] * g[OW];
    for (int64_t c = 0; c < g[C]; c++)
    for (int64_t a = 0; a < g[KH]; a++)
    for (int64_t b = 0; b < g[KW]; b++) {
        real *row = cols + ((c * g[KH] + a) * g[KW] + b) * n_cols;
        for (int64_t n = 0; n < g[N]; n++)
        for (int64_t i = 0; i < g[OH]; i++) {
            real *out = row + (n * g[OH] + i) * g[OW];
            int64_t y = i * g[SH] + a * g[DH] - g[PH];
            if (y < 0 || y >= g[H]) {
                for (int64_t j = 0; j < g[OW]; j++) out[j] = 0;
                continue;
            }
            const real *line = x + ((n * g[C] + c) * g[H] + y) * g[W];
            for (int64_t j = 0; j < g[OW]; j++) {
                int64_t col = j * g[SW] + b * g[DW] - g[PW];
                out[j] = (col >= 0 && col < g[W]) ? line[col] : 0;
            }
        }
    }
}

/* The reverse: x (zeroed by the caller) += each column on its patch. */
void col2im_real(const real *cols, const int64_t *g, real *x)
{
    int64_t n_cols = g[N] * g[OH] * g[OW];
    for (int64_t c = 0; c < g[C]; c++)
    for (int64_t a = 0; a < g[KH]; a++)
    for (int64_t b = 0; b < g[KW]; b++) {
        const real *row = cols + ((c * g[KH] + a) * g[KW] + b) * n_cols;
        for (int64_t n = 0; n < g[N]; n++)
        for (int64_t i = 0; i < g[OH]; i++) {
            int64_t y = i * g[SH] + a * g[DH] - g[PH];
            if (y < 0 || y >= g[H]) continue;
            const real *in = row + (n * g[OH] + i) * g[OW];
            real *line = x + ((n * g[C] + c) * g[H] + y) * g[W];
            for (int64_t j = 0; j < g[OW]; j++) {
                int64_t col = j * g[SW] + b * g[DW] - g[PW];
                if (col >= 0 && col < g[W]) line[col] += in[j];
            }
        }
    }
}
"""

SOURCE = ("/* minitheano conv2d: im2col and col2im (tensor/nnet/conv_c.py) */\n"
          "#include <stdint.h>\n"
          f"enum {{ {', '.join(GEOMETRY)} }};\n"
          + _TEMPLATE.replace("real", "double") + _TEMPLATE.replace("real", "float"))

_C_TYPE = {np.dtype("float64"): "double", np.dtype("float32"): "float"}


def geometry(shape: tuple[int, ...], rows: Axis, cols: Axis, oh: int, ow: int) -> np.ndarray:
    """The GEOMETRY array for an image batch of `shape`."""
    n, c, h, w = shape
    values = dict(N=n, C=c, H=h, W=w, KH=rows.taps, KW=cols.taps, OH=oh, OW=ow, PH=rows.pad,
                  PW=cols.pad, SH=rows.stride, SW=cols.stride, DH=rows.dilation,
                  DW=cols.dilation)
    return np.array([values[k] for k in GEOMETRY], dtype=np.int64)


def kit(lib: Any) -> Kit:
    """The Kit of one FAST_RUN node: im2col and col2im calling the C in `lib` (with
    the signatures of abstract_conv's numpy_patches and numpy_unpatches), and
    scratch arrays kept from call to call."""
    for name in ("im2col", "col2im"):
        for ctype in _C_TYPE.values():
            fn = getattr(lib, f"{name}_{ctype}")
            fn.argtypes = [ctypes.c_void_p] * 3
            fn.restype = None

    def patches(x: np.ndarray, rows: Axis, cols: Axis, oh: int, ow: int,
                out: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(x)
        geo = geometry(x.shape, rows, cols, oh, ow)
        getattr(lib, f"im2col_{_C_TYPE[x.dtype]}")(x.ctypes.data, geo.ctypes.data,
                                                   out.ctypes.data)
        return out

    def unpatches(columns: np.ndarray, shape: tuple[int, ...], rows: Axis, cols: Axis,
                  oh: int, ow: int) -> np.ndarray:
        columns = np.ascontiguousarray(columns)
        geo = geometry(shape, rows, cols, oh, ow)
        image = np.zeros(shape, columns.dtype)
        getattr(lib, f"col2im_{_C_TYPE[columns.dtype]}")(columns.ctypes.data, geo.ctypes.data,
                                                         image.ctypes.data)
        return image

    return Kit(patches, unpatches, Workspace().empty)


class Workspace:
    """Scratch arrays kept from one call of a node to the next.

    The patch matrix of a 128-image batch is megabytes: allocated afresh at
    every call, each of its pages is a page fault when first written, which
    measured as much as im2col and the product together.  Kept, it costs
    nothing after the first call.  Only scratch lives here, never an output.
    """

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}

    def empty(self, name: str, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        array = self.arrays.get(name)
        if array is None or array.shape != shape or array.dtype != dtype:
            array = self.arrays[name] = np.empty(shape, dtype)
        return array
