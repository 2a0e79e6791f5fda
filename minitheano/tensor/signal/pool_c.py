"""Pooling in C, for FAST_RUN (chapter 8).

One window at a time, exactly as the definition reads: the window's bounds
in the padded image, cut to the image for everything but the divisor of
average_inc_pad.  Three functions: the pooling, max pooling's gradient (to
the first largest pixel, as pool.py), and the gradient of sum and average
pooling.  The C linker compiles `SOURCE` once (link/c/op_thunks.py); the ops
call it through ctypes on contiguous arrays, every leading dimension
(batch, channels) flattened into one.
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
/* The bounds of window (i, j): in the padded image [r0, r1) x [c0, c1), and
   cut to the image itself [y0, y1) x [x0, x1) (padded coordinates). */
#define WINDOW_real \\
    int64_t r0 = i * g[ST0], r1 = r0 + g[WS0], c0 = j * g[ST1], c1 = c0 + g[WS1]; \\
    if (r1 > g[H] + 2 * g[PAD0]) r1 = g[H] + 2 * g[PAD0]; \\
    if (c1 > g[W] + 2 * g[PAD1]) c1 = g[W] + 2 * g[PAD1]; \\
    int64_t y0 = r0 > g[PAD0] ? r0 : g[PAD0], y1 = r1 < g[PAD0] + g[H] ? r1 : g[PAD0] + g[H]; \\
    int64_t x0 = c0 > g[PAD1] ? c0 : g[PAD1], x1 = c1 < g[PAD1] + g[W] ? c1 : g[PAD1] + g[W];

static real divisor_real(const int64_t *g, int64_t r0, int64_t r1, int64_t c0, int64_t c1,
                         int64_t y0, int64_t y1, int64_t x0, int64_t x1)
{
    if (g[MODE] == 2) return (real)((r1 - r0) * (c1 - c0));
    if (g[MODE] == 3) return (real)((y1 - y0) * (x1 - x0));
    return 1;
}

void pool_real(const real *x, const int64_t *g, real *out)
{
    for (int64_t m = 0; m < g[M]; m++) {
        const real *image = x + m * g[H] * g[W];
        for (int64_t i = 0; i < g[OH]; i++)
        for (int64_t j = 0; j < g[OW]; j++) {
            WINDOW_real
            real acc = g[MODE] == 0 ? image[(y0 - g[PAD0]) * g[W] + x0 - g[PAD1]] : 0;
            for (int64_t r = y0; r < y1; r++)
            for (int64_t c = x0; c < x1; c++) {
                real v = image[(r - g[PAD0]) * g[W] + c - g[PAD1]];
                if (g[MODE] != 0) acc += v;
                else if (v > acc || v != v) acc = v;   /* a NaN wins, as in numpy */
            }
            *out++ = acc / divisor_real(g, r0, r1, c0, c1, y0, y1, x0, x1);
        }
    }
}

/* gx (zeroed by the caller) += each window's gradient at its first largest pixel. */
void max_pool_grad_real(const real *x, const real *gz, const int64_t *g, real *gx)
{
    for (int64_t m = 0; m < g[M]; m++) {
        const real *image = x + m * g[H] * g[W];
        real *grad = gx + m * g[H] * g[W];
        for (int64_t i = 0; i < g[OH]; i++)
        for (int64_t j = 0; j < g[OW]; j++) {
            WINDOW_real
            int64_t best = (y0 - g[PAD0]) * g[W] + x0 - g[PAD1];
            for (int64_t r = y0; r < y1; r++)
            for (int64_t c = x0; c < x1; c++) {
                int64_t at = (r - g[PAD0]) * g[W] + c - g[PAD1];
                if (image[at] > image[best]) best = at;
            }
            grad[best] += *gz++;
        }
    }
}

/* gx (zeroed by the caller) += each window's gradient, divided as the pooling
   divided, on every pixel of the window inside the image. */
void average_pool_grad_real(const real *gz, const int64_t *g, real *gx)
{
    for (int64_t m = 0; m < g[M]; m++) {
        real *grad = gx + m * g[H] * g[W];
        for (int64_t i = 0; i < g[OH]; i++)
        for (int64_t j = 0; j < g[OW]; j++) {
            WINDOW_real
            real share = *gz++ / divisor_real(g, r0, r1, c0, c1, y0, y1, x0, x1);
            for (int64_t r = y0; r < y1; r++)
            for (int64_t c = x0; c < x1; c++)
                grad[(r - g[PAD0]) * g[W] + c - g[PAD1]] += share;
        }
    }
}
"""

SOURCE = ("/* minitheano pool_2d: pooling and its gradients (tensor/signal/pool_c.py) */\n"
          "#include <stdint.h>\n"
          f"enum {{ {', '.join(GEOMETRY)} }};\n"
          + _TEMPLATE.replace("real", "double") + _TEMPLATE.replace("real", "float"))

_C_TYPE = {np.dtype("float64"): "double", np.dtype("float32"): "float"}
_N_ARRAYS = {"pool": 3, "max_pool_grad": 4, "average_pool_grad": 3}


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
        if name == "max_pool_grad":
            fn(x.ctypes.data, gz.ctypes.data, geo.ctypes.data, grad.ctypes.data)
        else:
            fn(gz.ctypes.data, geo.ctypes.data, grad.ctypes.data)
        return grad
    return run
