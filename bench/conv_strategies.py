"""Why conv2d's C is im2col + BLAS and not direct loops: one measurement.

    python bench/conv_strategies.py

LeNet's first layer (a batch of 128 28x28 images, 20 5x5 filters, float32),
three ways: six nested C loops straight from the definition (compiled with
the same flags as minitheano's kernels), numpy im2col + BLAS (the ops'
`perform`), and C im2col + BLAS (FAST_RUN).  Prints the best of several
runs of each, and checks that all three agree.

The time is the process's CPU time with BLAS on one thread: on a machine
shared with other jobs, wall-clock times of the same call vary five-fold,
while the CPU time one call needs does not.
"""

from __future__ import annotations

import os

os.environ["OPENBLAS_NUM_THREADS"] = "1"  # before numpy loads BLAS
os.environ["OMP_NUM_THREADS"] = "1"

import ctypes  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this repository's minitheano

import minitheano as theano  # noqa: E402
from minitheano import tensor as T  # noqa: E402
from minitheano.link.c import build  # noqa: E402

DIRECT = """
#include <stdint.h>
/* out[n, k, i, j] = sum_{c, a, b} x[n, c, i + a, j + b] * w[k, c, a, b]  (valid, stride 1) */
void direct(const float *x, const float *w, float *out, int64_t N, int64_t C, int64_t H,
            int64_t W, int64_t K, int64_t KH, int64_t KW)
{
    int64_t OH = H - KH + 1, OW = W - KW + 1;
    for (int64_t n = 0; n < N; n++)
    for (int64_t k = 0; k < K; k++)
    for (int64_t i = 0; i < OH; i++)
    for (int64_t j = 0; j < OW; j++) {
        float total = 0;
        for (int64_t c = 0; c < C; c++)
        for (int64_t a = 0; a < KH; a++)
        for (int64_t b = 0; b < KW; b++)
            total += x[((n * C + c) * H + i + a) * W + j + b] * w[((k * C + c) * KH + a) * KW + b];
        out[((n * K + k) * OH + i) * OW + j] = total;
    }
}
"""


def best_of(fn, repeats: int = 20) -> float:
    fn()
    times = []
    for _ in range(repeats):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return min(times)


def main() -> None:
    rng = np.random.default_rng(0)
    shape, filters = (128, 1, 28, 28), (20, 1, 5, 5)
    xv = rng.normal(size=shape).astype("float32")
    wv = rng.normal(size=filters).astype("float32")
    x, w = T.tensor4("x", dtype="float32"), T.tensor4("w", dtype="float32")
    y = T.nnet.conv2d(x, w, filter_flip=False)
    numpy_f = theano.function([x, w], y, mode="FAST_COMPILE")
    c_f = theano.function([x, w], y, mode="FAST_RUN")

    lib = ctypes.CDLL(str(build.library_path(DIRECT)))
    lib.direct.argtypes = [ctypes.c_void_p] * 3 + [ctypes.c_int64] * 7
    out = np.empty((128, 20, 24, 24), dtype="float32")

    def direct() -> None:
        lib.direct(xv.ctypes.data, wv.ctypes.data, out.ctypes.data, *shape, *filters[:1],
                   *filters[2:])

    results = {"direct C loops": best_of(direct), "numpy im2col + BLAS": best_of(
        lambda: numpy_f(xv, wv)), "C im2col + BLAS (FAST_RUN)": best_of(lambda: c_f(xv, wv))}
    np.testing.assert_allclose(numpy_f(xv, wv), out, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(c_f(xv, wv), out, rtol=1e-4, atol=1e-4)
    for name, seconds in results.items():
        print(f"{name:30s} {seconds * 1e3:8.2f} ms")


if __name__ == "__main__":
    main()
