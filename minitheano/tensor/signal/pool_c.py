"""Pooling in C, for FAST_RUN (chapter 8).

Three functions, the pooling and its two gradients, each tap by tap like
pool.py's numpy: for a fixed offset in the window, one pass along an output
row, a long regular loop that the compiler vectorizes.  (Written one window
at a time, the natural way, they measured up to 8x slower: a window's few
pixels make loops too short to vectorize.)  Max pooling's gradient goes to
the first largest pixel of each window, as in pool.py.

The C linker compiles `SOURCE` once (link/c/op_thunks.py); the ops call it
through ctypes on contiguous arrays, every leading dimension (batch,
channels) flattened into one.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from typing import Any

import numpy as np

# The geometry array the C functions read: its entries, in this order.
GEOMETRY = ("M", "H", "W", "OH", "OW", "WS0", "WS1", "ST0", "ST1", "PAD0", "PAD1", "MODE")
MODE_CODES = {"max": 0, "sum": 1, "average_inc_pad": 2, "average_exc_pad": 3}

_TEMPLATE = """
/* The forward pass runs tap by tap, as pool.py does in numpy: for output row i
   and each tap (a, b) of the window, one pass along the row over every window
   j.  That inner loop is long and regular, so the compiler vectorizes it; a
   loop over each window's few pixels does not (it measured 8x slower). */

/* The taps' range of windows j along a row: column j * st + offset must lie in
   [0, w).  Returns the first such j and sets *end past the last (<= n). */
static int64_t tap_range_real(int64_t offset, int64_t st, int64_t w, int64_t n, int64_t *end)
{
    int64_t first = offset >= 0 ? 0 : (-offset + st - 1) / st;
    int64_t last = w - 1 - offset < 0 ? 0 : (w - 1 - offset) / st + 1;
    *end = last < n ? last : n;
    return first;
}

/* What an average divides window i's sum by, along one axis. */
static int64_t divisor_real(int64_t i, int64_t size, int64_t st, int64_t pad, int64_t len,
                            int64_t mode)
{
    int64_t start = i * st, end = start + size;
    if (end > len + 2 * pad) end = len + 2 * pad;
    if (mode == MODE_EXC_PAD) {
        if (start < pad) start = pad;
        if (end > pad + len) end = pad + len;
    }
    return end - start;
}

void pool_real(const real *x, const int64_t *g, real *out)
{
    const int64_t h = g[H], w = g[W], oh = g[OH], ow = g[OW], mode = g[MODE];
    for (int64_t m = 0; m < g[M]; m++) {
        const real *image = x + m * h * w;
        for (int64_t i = 0; i < oh; i++, out += ow) {
            for (int64_t j = 0; j < ow; j++) out[j] = mode == MODE_MAX ? -(real)INFINITY : 0;
            for (int64_t a = 0; a < g[WS0]; a++) {
                int64_t y = i * g[ST0] + a - g[PAD0];
                if (y < 0 || y >= h) continue;   /* padding: never counted, never a max */
                const real *line = image + y * w;
                for (int64_t b = 0; b < g[WS1]; b++) {
                    int64_t offset = b - g[PAD1], st = g[ST1], end;
                    int64_t j = tap_range_real(offset, st, w, ow, &end);
                    if (mode == MODE_MAX)
                        for (; j < end; j++) {
                            real v = line[j * st + offset];
                            out[j] = (v > out[j]) | (v != v) ? v : out[j];  /* NaN wins */
                        }
                    else
                        for (; j < end; j++) out[j] += line[j * st + offset];
                }
            }
            if (mode == MODE_INC_PAD || mode == MODE_EXC_PAD) {
                int64_t rows = divisor_real(i, g[WS0], g[ST0], g[PAD0], h, mode);
                for (int64_t j = 0; j < ow; j++)
                    out[j] /= (real)(rows * divisor_real(j, g[WS1], g[ST1], g[PAD1], w, mode));
            }
        }
    }
}

/* gx (zeroed by the caller) += each window's gradient at its first largest
   pixel (row by row): tap by tap, a pixel equal to the window's max `out` takes
   the gradient unless an earlier tap of the window already did (taken[j]). */
void max_pool_grad_real(const real *x, const real *out, const real *gz, const int64_t *g,
                        real *gx, real *taken)
{
    const int64_t h = g[H], w = g[W], oh = g[OH], ow = g[OW];
    for (int64_t m = 0; m < g[M]; m++) {
        const real *image = x + m * h * w;
        real *grad = gx + m * h * w;
        for (int64_t i = 0; i < oh; i++, out += ow, gz += ow) {
            for (int64_t j = 0; j < ow; j++) taken[j] = 0;
            for (int64_t a = 0; a < g[WS0]; a++) {
                int64_t y = i * g[ST0] + a - g[PAD0];
                if (y < 0 || y >= h) continue;
                const real *line = image + y * w;
                real *grad_line = grad + y * w;
                for (int64_t b = 0; b < g[WS1]; b++) {
                    int64_t offset = b - g[PAD1], st = g[ST1], end;
                    for (int64_t j = tap_range_real(offset, st, w, ow, &end); j < end; j++) {
                        int hit = (line[j * st + offset] == out[j]) & (taken[j] == 0);
                        grad_line[j * st + offset] += hit ? gz[j] : 0;  /* not 0 * gz: inf */
                        taken[j] += hit;
                    }
                }
            }
        }
    }
}

/* gx (zeroed by the caller) += each window's gradient, divided as the pooling
   divided, on every pixel of the window inside the image: tap by tap. */
void average_pool_grad_real(const real *gz, const int64_t *g, real *gx, real *share)
{
    const int64_t h = g[H], w = g[W], oh = g[OH], ow = g[OW], mode = g[MODE];
    for (int64_t m = 0; m < g[M]; m++) {
        real *grad = gx + m * h * w;
        for (int64_t i = 0; i < oh; i++, gz += ow) {
            int64_t rows = divisor_real(i, g[WS0], g[ST0], g[PAD0], h, mode);
            for (int64_t j = 0; j < ow; j++)
                share[j] = mode == MODE_SUM ? gz[j] : gz[j] / (real)(
                    rows * divisor_real(j, g[WS1], g[ST1], g[PAD1], w, mode));
            for (int64_t a = 0; a < g[WS0]; a++) {
                int64_t y = i * g[ST0] + a - g[PAD0];
                if (y < 0 || y >= h) continue;
                real *line = grad + y * w;
                for (int64_t b = 0; b < g[WS1]; b++) {
                    int64_t offset = b - g[PAD1], st = g[ST1], end;
                    for (int64_t j = tap_range_real(offset, st, w, ow, &end); j < end; j++)
                        line[j * st + offset] += share[j];
                }
            }
        }
    }
}
"""

SOURCE = ("/* minitheano pool_2d: pooling and its gradients (tensor/signal/pool_c.py) */\n"
          "#include <math.h>\n#include <stdint.h>\n"
          f"enum {{ {', '.join(GEOMETRY)} }};\n"
          "enum { MODE_MAX, MODE_SUM, MODE_INC_PAD, MODE_EXC_PAD };\n"
          + _TEMPLATE.replace("real", "double") + _TEMPLATE.replace("real", "float"))

_C_TYPE = {np.dtype("float64"): "double", np.dtype("float32"): "float"}
_N_ARRAYS = {"pool": 3, "max_pool_grad": 6, "average_pool_grad": 4}


def geometry(op: Any, shape: tuple[int, ...]) -> np.ndarray:
    """The GEOMETRY array for pooling an input of `shape` with `op`'s parameters."""
    rows, cols = op.windows(shape)
    values = dict(M=int(np.prod(shape[:-2])), H=shape[-2], W=shape[-1], OH=rows.count,
                  OW=cols.count, WS0=op.ws[0], WS1=op.ws[1], ST0=op.stride[0],
                  ST1=op.stride[1], PAD0=op.pad[0], PAD1=op.pad[1], MODE=MODE_CODES[op.mode])
    return np.array([values[k] for k in GEOMETRY], dtype=np.int64)


def function(lib: Any, op_name: str) -> Callable[[Any, list], np.ndarray]:
    """`run(op, inputs) -> output` for the op class named `op_name` (Pool,
    MaxPoolGrad or AveragePoolGrad), calling the C of `lib`."""
    name = {"Pool": "pool", "MaxPoolGrad": "max_pool_grad",
            "AveragePoolGrad": "average_pool_grad"}[op_name]
    fns = {}
    for dtype, ctype in _C_TYPE.items():
        fn = getattr(lib, f"{name}_{ctype}")
        fn.argtypes = [ctypes.c_void_p] * _N_ARRAYS[name]
        fn.restype = None
        fns[dtype] = fn

    def run(op: Any, inputs: list) -> np.ndarray:
        x = np.ascontiguousarray(inputs[0])
        geo = geometry(op, x.shape)
        fn = fns[x.dtype]
        if name == "pool":
            rows, cols = op.windows(x.shape)
            out = np.empty((*x.shape[:-2], rows.count, cols.count), dtype=x.dtype)
            fn(x.ctypes.data, geo.ctypes.data, out.ctypes.data)
            return out
        gz = np.ascontiguousarray(inputs[-1], dtype=x.dtype)
        grad = np.zeros(x.shape, dtype=x.dtype)
        row = np.empty(geo[GEOMETRY.index("OW")], dtype=x.dtype)  # scratch: one output row
        if name == "max_pool_grad":
            out = np.ascontiguousarray(inputs[1], dtype=x.dtype)
            fn(x.ctypes.data, out.ctypes.data, gz.ctypes.data, geo.ctypes.data,
               grad.ctypes.data, row.ctypes.data)
        else:
            fn(gz.ctypes.data, geo.ctypes.data, grad.ctypes.data, row.ctypes.data)
        return grad
    return run
