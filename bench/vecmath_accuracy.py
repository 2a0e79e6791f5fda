"""The largest error of link/c/vecmath.py's exp, log and tanh, in units in the last place.

    python bench/vecmath_accuracy.py [k]        # float32 (every one, or 1 chunk in k),
                                                # and 10^7 float64

float32: every one of the 2^32 bit patterns (NaN and infinities included; a
special value must come out exactly as numpy's), against numpy's float64
result.  float64: 10^7 random values spread over each function's whole
range, against numpy's long double result (x86's 64-bit mantissa).  Not a
test (it takes minutes): tests/ch05_c_code/test_vecmath.py checks MAX_ULP on
fewer values every run.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import minitheano as th  # noqa: E402
from minitheano import tensor as T  # noqa: E402
from minitheano.config import config  # noqa: E402

FUNCTIONS = {"exp": (T.exp, np.exp), "log": (T.log, np.log), "tanh": (T.tanh, np.tanh)}
CHUNK = 1 << 22
STRIDE = int(sys.argv[1]) if len(sys.argv) > 1 else 1  # 1: every float32; k: 1 chunk in k


def worst(f, reference, x: np.ndarray, wide: type) -> tuple[float, float, int]:
    """(largest error in ulp, where, how many special values came out wrong)."""
    with np.errstate(all="ignore"):
        got = f(x)
        exact = reference(x.astype(wide))
        want = exact.astype(x.dtype)
    special = ~np.isfinite(want) | (want == 0)
    wrong = int(np.sum((got[special] != want[special])
                       & ~(np.isnan(got[special]) & np.isnan(want[special]))))
    finite = ~special
    error = np.abs(got[finite].astype(wide) - exact[finite]) / np.spacing(
        np.abs(want[finite])).astype(wide)
    if not error.size:
        return 0.0, 0.0, wrong
    k = int(np.argmax(error))
    return float(error[k]), float(x[finite][k]), wrong


def main() -> None:
    compiled = {}
    config.vector_math = "polynomial"  # vecmath's, even where glibc's is faster
    for dtype in ("float32", "float64"):
        x = T.vector("x", dtype=dtype)
        for name, (op, _) in FUNCTIONS.items():
            compiled[dtype, name] = th.function([x], op(x))
    for name, (_, reference) in FUNCTIONS.items():
        best = (0.0, 0.0, 0)
        for start in range(0, 1 << 32, CHUNK * STRIDE):
            bits = np.arange(start, start + CHUNK, dtype=np.uint64).astype(np.uint32)
            e, where, wrong = worst(compiled["float32", name], reference,
                                    bits.view(np.float32), np.float64)
            best = (max(best[0], e), where if e > best[0] else best[1], best[2] + wrong)
        print(f"float32 {name}: {best[0]:.3f} ulp at most (at {best[1]!r}), "
              f"{best[2]} special values wrong, 2^32 / {STRIDE} inputs", flush=True)
    rng = np.random.default_rng(0)
    ranges = {"exp": lambda n: rng.uniform(-750, 710, n),
              "log": lambda n: np.exp(rng.uniform(-744, 709, n)),
              "tanh": lambda n: rng.uniform(-25, 25, n) * rng.choice([1, 1e-3, 1e-9], n)}
    for name, (_, reference) in FUNCTIONS.items():
        x = ranges[name](10**7)
        e, where, wrong = worst(compiled["float64", name], reference, x, np.longdouble)
        print(f"float64 {name}: {e:.3f} ulp at most (at {where!r}), {wrong} special "
              f"values wrong, 10^7 random inputs", flush=True)


if __name__ == "__main__":
    main()
