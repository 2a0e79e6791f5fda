"""pool_2d with device=cuda: pooling and its two gradients as CUDA kernels (chapter 8,
on chapter 6's machinery).

Three kernels, written once with the element type `real` and printed for
float and double, reading the same geometry as the C (pool_c.GEOMETRY):

    pool_real               one thread per window: its max, sum or average
    max_pool_grad_real      one thread per *pixel*: for every window that
                            covers it, it finds that window's first largest
                            pixel (row by row, as pool.py and the C do) and
                            takes the window's gradient if that is itself
    average_pool_grad_real  one thread per pixel: the sum of the gradients of
                            the windows covering it, each divided as its
                            pooling divided

The gradients gather instead of scattering: windows overlap when the stride
is smaller than the window, and a thread per window adding onto shared
pixels would need atomics (and would sum in whatever order threads ran).
Gathering, each pixel is written by one thread only.

Padding is never a max and never counted by `average_exc_pad`: the kernels
skip taps outside the image, as the C does.  The ops call these through
`cuda_thunk` (link/cuda/op_kernels.py).
"""

from __future__ import annotations

from typing import Any

from minitheano.tensor.signal.pool_c import GEOMETRY, geometry

_PARAMS = ", ".join(f"long {name}" for name in GEOMETRY)

_TEMPLATE = """
/* What an average divides window i's sum by, along one axis (pool_c's divisor). */
__device__ static long divisor_real(long i, long size, long st, long pad, long len, long mode)
{
    long start = i * st, end = start + size;
    if (end > len + 2 * pad) end = len + 2 * pad;
    if (mode == MT_EXC_PAD) {
        if (start < pad) start = pad;
        if (end > pad + len) end = pad + len;
    }
    return end - start;
}

/* out[m, i, j]: the window of rows i*ST0 - PAD0 .., columns j*ST1 - PAD1 .. of image m. */
extern "C" __global__ void pool_real(long total, GEO_PARAMS, const real *x, real *out)
{
    for (long e = blockIdx.x * (long)blockDim.x + threadIdx.x; e < total;
         e += (long)blockDim.x * gridDim.x) {
        const long j = e % OW, i = e / OW % OH, m = e / (OW * OH);
        const real *image = x + m * H * W;
        real v = MODE == MT_MAX ? -MT_INF_real : (real)0;
        for (long a = 0; a < WS0; a++) {
            const long y = i * ST0 + a - PAD0;
            if (y < 0 || y >= H) continue;  /* padding: never counted, never a max */
            for (long b = 0; b < WS1; b++) {
                const long z = j * ST1 + b - PAD1;
                if (z < 0 || z >= W) continue;
                const real p = image[y * W + z];
                if (MODE == MT_MAX)
                    v = p > v || p != p ? p : v;  /* NaN wins, as in the C */
                else
                    v += p;
            }
        }
        if (MODE == MT_INC_PAD || MODE == MT_EXC_PAD)
            v /= (real)(divisor_real(i, WS0, ST0, PAD0, H, MODE)
                        * divisor_real(j, WS1, ST1, PAD1, W, MODE));
        out[e] = v;
    }
}

/* The windows covering pixel y along one axis: i from *first to the return value
   (exclusive), those with i*st - pad <= y < i*st - pad + size and 0 <= i < n. */
__device__ static long covering_real(long y, long size, long st, long pad, long n, long *first)
{
    const long low = y + pad - size + 1;  /* i*st >= low */
    *first = low <= 0 ? 0 : (low + st - 1) / st;
    const long last = (y + pad) / st + 1;
    return last < n ? last : n;
}

/* gx[m, y, z] = the sum of gz over the windows whose first largest pixel is (y, z). */
extern "C" __global__ void max_pool_grad_real(long total, GEO_PARAMS, const real *x,
                                               const real *out, const real *gz, real *gx)
{
    for (long e = blockIdx.x * (long)blockDim.x + threadIdx.x; e < total;
         e += (long)blockDim.x * gridDim.x) {
        const long z = e % W, y = e / W % H, m = e / (W * H);
        const real *image = x + m * H * W;
        real sum = 0;
        long i0, j0;
        const long i1 = covering_real(y, WS0, ST0, PAD0, OH, &i0);
        const long j1 = covering_real(z, WS1, ST1, PAD1, OW, &j0);
        for (long i = i0; i < i1; i++)
            for (long j = j0; j < j1; j++) {
                const long w = (m * OH + i) * OW + j;
                /* the window's first pixel (row by row) equal to its max */
                long first = -1;
                for (long a = 0; a < WS0 && first < 0; a++) {
                    const long r = i * ST0 + a - PAD0;
                    if (r < 0 || r >= H) continue;
                    for (long b = 0; b < WS1; b++) {
                        const long c = j * ST1 + b - PAD1;
                        if (c >= 0 && c < W && image[r * W + c] == out[w]) {
                            first = r * W + c;
                            break;
                        }
                    }
                }
                if (first == y * W + z)
                    sum += gz[w];
            }
        gx[e] = sum;
    }
}

/* gx[m, y, z] = the sum over the windows covering (y, z) of their gradient,
   divided as their pooling divided (not at all for a sum). */
extern "C" __global__ void average_pool_grad_real(long total, GEO_PARAMS, const real *gz, real *gx)
{
    for (long e = blockIdx.x * (long)blockDim.x + threadIdx.x; e < total;
         e += (long)blockDim.x * gridDim.x) {
        const long z = e % W, y = e / W % H, m = e / (W * H);
        real sum = 0;
        long i0, j0;
        const long i1 = covering_real(y, WS0, ST0, PAD0, OH, &i0);
        const long j1 = covering_real(z, WS1, ST1, PAD1, OW, &j0);
        for (long i = i0; i < i1; i++)
            for (long j = j0; j < j1; j++) {
                const real g = gz[(m * OH + i) * OW + j];
                sum += MODE == MT_SUM ? g : g / (real)(
                    divisor_real(i, WS0, ST0, PAD0, H, MODE)
                    * divisor_real(j, WS1, ST1, PAD1, W, MODE));
            }
        gx[e] = sum;
    }
}
""".replace("GEO_PARAMS", _PARAMS)

# -infinity without math.h (NVRTC has none): the bit patterns of -inf.
SOURCE = ("/* minitheano pool_2d on the GPU: pooling and its gradients "
          "(tensor/signal/pool_cuda.py) */\n"
          "enum { MT_MAX, MT_SUM, MT_INC_PAD, MT_EXC_PAD };\n"
          "#define MT_INF_float __int_as_float(0x7f800000)\n"
          "#define MT_INF_double __longlong_as_double(0x7ff0000000000000LL)\n"
          + _TEMPLATE.replace("real", "double") + _TEMPLATE.replace("real", "float"))

_C_TYPE = {"float64": "double", "float32": "float"}


def run(op: Any, gpu: Any, inputs: list) -> Any:
    """The pooling op `op` (Pool, MaxPoolGrad or AveragePoolGrad) on device
    arrays, through its `gpu` (link/cuda/op_kernels.OpKernels)."""
    inputs = [gpu.c_order(v) for v in inputs]
    x = inputs[0]
    op.check(inputs)
    geo = [int(v) for v in geometry(op, tuple(x.shape))]
    suffix, kind = _C_TYPE[str(x.dtype)], type(op).__name__
    if kind == "Pool":
        rows, cols = op.windows(tuple(x.shape))
        out = gpu.empty((*x.shape[:-2], rows.count, cols.count), x.dtype)
        total = _size(out.shape)
        name = "pool"
    else:
        out = gpu.empty(tuple(x.shape), x.dtype)
        total = _size(x.shape)
        name = {"MaxPoolGrad": "max_pool_grad", "AveragePoolGrad": "average_pool_grad"}[kind]
        if name == "average_pool_grad":
            inputs = inputs[1:]  # the gradient only: x gives nothing but its shape
    gpu.each(f"{name}_{suffix}", total,
             [*geo, *[gpu.address(v) for v in inputs], gpu.address(out)], [out])
    return out


def _size(shape: tuple[int, ...]) -> int:
    size = 1
    for n in shape:
        size *= int(n)
    return size
