"""Pooling in numpy (tap by tap) against pooling in C (FAST_RUN): one measurement.

    python bench/pool_strategies.py

LeNet's first pooling layer: 2x2 max and average pooling of a batch of 128
images of 20 channels of 24x24, float32; the op's `perform` (numpy) against
the C of pool_c.py, for the pooling and for each gradient op.  CPU time of
one call, best of several (wall-clock times vary too much on a shared machine).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this repository's minitheano

from minitheano.link.c.op_thunks import load
from minitheano.tensor.signal import pool, pool_c


def best_of(fn, repeats: int = 10) -> float:
    fn()
    times = []
    for _ in range(repeats):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return min(times)


def main() -> None:
    x = np.random.default_rng(0).normal(size=(128, 20, 24, 24)).astype("float32")
    lib = load(pool_c.SOURCE)
    for mode in ("max", "average_exc_pad"):
        forward = pool.Pool((2, 2), True, mode=mode)
        out = forward.compute(x)
        gz = np.ones_like(out)
        if mode == "max":
            backward, inputs = pool.MaxPoolGrad((2, 2), True, mode=mode), [x, out, gz]
        else:
            backward, inputs = pool.AveragePoolGrad((2, 2), True, mode=mode), [x, gz]
        for op, args in ((forward, [x]), (backward, inputs)):
            run = pool_c.function(lib, type(op).__name__)
            np.testing.assert_allclose(run(op, args), op.compute(*args), rtol=1e-6)
            numpy_ms = best_of(lambda op=op, args=args: op.compute(*args)) * 1e3
            c_ms = best_of(lambda op=op, args=args, run=run: run(op, args)) * 1e3
            print(f"{type(op).__name__:16s} {mode:16s} numpy {numpy_ms:6.2f} ms   "
                  f"C {c_ms:6.2f} ms")


if __name__ == "__main__":
    main()
