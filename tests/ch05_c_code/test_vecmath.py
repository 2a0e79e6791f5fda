"""vecmath.py's exp, log, tanh (and sigmoid, built on its exp) against a reference
computed in higher precision: at most MAX_ULP units in the last place, with NaN,
the infinities, -0.0, subnormals and the overflow ranges as numpy has them."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minitheano as th
from minitheano import tensor as T
from minitheano.config import config
from minitheano.link.c import build, library, vecmath

pytestmark = pytest.mark.skipif(build.compiler_problem() is not None, reason="no C compiler")

# float64's reference needs more bits than a double: x86's long double has 64.
LONG_DOUBLE_OK = np.finfo(np.longdouble).nmant >= 63
FUNCTIONS = ("exp", "log", "tanh", "sigmoid")
# sigmoid = 1 / (1 + exp(-|x|)) or e / (1 + e): exp's error plus two roundings.
MAX_ULP = {**vecmath.MAX_ULP, "sigmoid": 3}


def _reference(name: str, x: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        if name == "sigmoid":
            return 1 / (1 + np.exp(-x))
        return getattr(np, name)(x)


def _wide(x: np.ndarray) -> np.ndarray:
    return x.astype(np.longdouble if x.dtype == np.float64 else np.float64)


@pytest.fixture(scope="module")
def compiled():
    """One function per dtype computing the four (one fused kernel each)."""
    functions = {}
    with config.change_flags(vector_math="polynomial"):
        for dtype in ("float64", "float32"):
            x = T.vector("x", dtype=dtype)
            outs = [T.exp(x), T.log(x), T.tanh(x), T.nnet.sigmoid(x)]
            functions[dtype] = th.function([x], outs)
    return functions


def check(compiled, x: np.ndarray) -> dict[str, float]:
    """Compare every function on `x`; return the largest error of each, in ulp."""
    if x.dtype == np.float64 and not LONG_DOUBLE_OK:
        pytest.skip("no long double wider than double for float64's reference")
    dtype = x.dtype
    worst = {}
    for name, got in zip(FUNCTIONS, compiled[dtype.name](x)):
        want_wide = _reference(name, _wide(x))
        with np.errstate(all="ignore"):
            want = want_wide.astype(dtype)  # the correctly rounded result (inf past the top)
        assert got.dtype == dtype
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want), err_msg=f"{name}: NaN")
        special = np.isinf(want) | (want == 0)  # NaN's sign means nothing
        np.testing.assert_array_equal(got[special], want[special], err_msg=f"{name}: inf, 0")
        np.testing.assert_array_equal(np.signbit(got[special]), np.signbit(want[special]),
                                      err_msg=f"{name}: the sign of a zero")
        finite = np.isfinite(want) & (want != 0)
        # How far from the exact value, in units of the last place of the right answer.
        ulp = _wide(np.spacing(np.abs(want[finite])))
        error = np.abs(_wide(got[finite]) - want_wide[finite]) / ulp
        worst[name] = float(error.max()) if error.size else 0.0
        assert worst[name] <= MAX_ULP[name], (
            f"{name}({x[finite][np.argmax(error)]!r}) is {worst[name]:.2f} ulp off")
    return worst


def _edges(dtype: str) -> np.ndarray:
    info = np.finfo(dtype)
    top = np.log(info.max)
    values = [0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, info.tiny, -info.tiny,
              info.smallest_subnormal, -info.smallest_subnormal, info.tiny / 3, info.max,
              -info.max, top, np.nextafter(top, np.inf), -top, np.log(info.smallest_subnormal),
              np.log(info.smallest_subnormal) - 1, np.log(info.tiny), 19.0, -19.0, 22.5, 9.5]
    return np.array(values, dtype=dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_the_edges(compiled, dtype):
    """NaN, ±inf, ±0, subnormals, the largest values and the ends of exp's range."""
    check(compiled, _edges(dtype))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_dense_sweeps_state_the_accuracy(compiled, dtype):
    """Every range the functions split on, densely: exp across its whole range (results
    overflowing and subnormal), log across every binade, tanh and sigmoid where they
    bend.  The largest errors found are within MAX_ULP."""
    rng = np.random.default_rng(17)
    info = np.finfo(dtype)
    top = float(np.log(info.max))
    parts = [rng.uniform(-top - 40, top + 1, 40_000),
             np.exp(rng.uniform(np.log(float(info.smallest_subnormal)), top, 40_000)),
             rng.uniform(-25, 25, 40_000), rng.normal(scale=1e-3, size=10_000)]
    check(compiled, np.concatenate(parts).astype(dtype))


def _floats(dtype: str):
    width = 64 if dtype == "float64" else 32
    return hnp.arrays(dtype, st.integers(1, 40),
                      elements=st.floats(width=width, allow_nan=True, allow_infinity=True,
                                         allow_subnormal=True))


@settings(max_examples=60, deadline=None)
@given(x=_floats("float64"))
def test_generated_float64(compiled, x):
    check(compiled, x)


@settings(max_examples=60, deadline=None)
@given(x=_floats("float32"))
def test_generated_float32(compiled, x):
    check(compiled, x)


@settings(max_examples=30, deadline=None)
@given(x=hnp.arrays("float64", st.integers(1, 30),
                    elements=st.floats(-800, 800) | st.floats(-1e-300, 1e-300)))
def test_generated_in_the_interesting_ranges(compiled, x):
    """Generated inputs near exp's overflow and underflow and near 0."""
    check(compiled, x)


def test_the_contiguous_loop_is_vectorized(tmp_path):
    """gcc vectorizes the contiguous loop of a kernel calling the three (its report
    names that loop), which it could not do with the C library's functions."""
    x = T.vector("x")
    with config.change_flags(vector_math="polynomial"):
        f = th.function([x], T.exp(x) + T.tanh(x) * T.log(x))
        source, _ = library.module_of(f.maker.fgraph)
    assert "mt_exp_float64(" in source and "mt_log_float64(" in source
    (tmp_path / "m.c").write_text(source)
    flags = [a for a in build.flags() if not a.startswith("-l") and a != "-shared"]
    report = subprocess.run([config.cxx, "-c", "m.c", "-o", "m.o", "-fopt-info-vec-optimized",
                             *flags], cwd=tmp_path, capture_output=True, text=True, check=True)
    lines = source.splitlines()
    simd = [n for n, line in enumerate(lines, 1) if line.strip() == "#pragma omp simd"]
    vectorized = {int(m.split(":")[1]) for m in report.stderr.splitlines()
                  if "loop vectorized" in m}
    # gcc names the loop by a line of its head or its first statement
    assert any(simd[0] < line <= simd[0] + 3 for line in vectorized), report.stderr


@pytest.mark.skipif(not build.has_libmvec(), reason="libmvec: x86-64 glibc")
def test_auto_takes_the_polynomial_only_where_it_is_faster():
    """With libmvec, "auto" keeps glibc's exp and log (table-driven, faster) and
    takes vecmath's tanh; "libm" takes none of vecmath's."""
    x = T.vector("x")
    for choice, expected in (("auto", {"tanh"}), ("libm", set())):
        with config.change_flags(vector_math=choice):
            f = th.function([x], T.exp(x) + T.log(x) * T.tanh(x))
            source, _ = library.module_of(f.maker.fgraph)
        used = {name for name in vecmath.FUNCTIONS if f"mt_{name}_float64(v" in source}
        assert used == expected
        a = np.array([0.5, 2.0, np.inf, 0.0, -1.0, np.nan])
        with np.errstate(all="ignore"):
            np.testing.assert_allclose(f(a), np.exp(a) + np.log(a) * np.tanh(a), rtol=1e-15)
