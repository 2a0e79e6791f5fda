"""Differential testing: every backend against numpy and against each other (issue 16).

Each generated batch of graphs (differential_graphs.py) is compiled four ways: the
Python VM without rewrites, FAST_COMPILE, the fast_run rewrites run in Python, and
FAST_RUN (C); some batches (all in the slow run) also two ways more, through chapter
6's CUDA kernels (emulated on the CPU here) with and without the rewrites, the nodes
without a CUDA kernel running on the host between transfers.  Each runs on values
full of special cases (NaN, infinities, -0.0, subnormals, integer extremes, empty
and size-1 dimensions, Fortran, strided, negative-stride and unaligned arrays) and
on moderate values, and:

* the Python VM without rewrites computes what numpy computes, element for element
  (NaN and infinities included), within the rounding bound of each element;
* every rewritten mode agrees with numpy wherever the result is well-conditioned
  (a finite bound): rewrites may change ill-conditioned elements (x + y - x is y),
  and elements where the simplifier's stated assumption, that terms cancel as
  numbers do, does not hold (x - x is 0 at x = inf: `reference(assume_finite=True)`);
* C and CUDA agree with the same graph run in Python, NaN for NaN and inf for inf,
  wherever the element is well-conditioned;
* gradients (of a weighted sum of the float outputs, for float inputs) agree
  between all modes, on moderate values;
* dtypes and shapes are the ones the graph declares, and no argument is written.

The default run checks a few hundred graphs, the same every time (derandomized:
the compile cache stays warm); `pytest -m slow` runs >= 10,000 new ones.
"""

from __future__ import annotations

import os
import time
import warnings
from dataclasses import dataclass

import numpy as np
import pytest
from differential_graphs import (
    FLOATS,
    UNARY_FLOAT,
    Batch,
    batches,
    elemwise,
    input_term,
    input_values,
    moved,
    reduce_term,
    reference,
)
from hypothesis import HealthCheck, given, settings

import minitheano as theano
from minitheano import tensor as T

MODES = {"Python, no rewrites": theano.Mode("py", None), "FAST_COMPILE": "FAST_COMPILE",
         "fast_run in Python": theano.Mode("py", "fast_run"), "C (FAST_RUN)": "FAST_RUN"}
REFERENCE_MODE, PYTHON_REWRITTEN, C_MODE = "Python, no rewrites", "fast_run in Python", \
    "C (FAST_RUN)"
# Chapter 6: the CUDA kernels, run by the emulator here (by the GPU where PyCUDA finds
# one), with and without the rewrites; the nodes without a CUDA kernel run on the
# host, between transfers.
CUDA_MODE, CUDA_UNREWRITTEN = "CUDA (fast_run)", "CUDA, no rewrites"
ALL_MODES = dict(MODES, **{CUDA_MODE: theano.Mode("cuda", "fast_run"),
                           CUDA_UNREWRITTEN: theano.Mode("cuda", None)})
# The modes that rewrite the graph: held to the bounds of `reference(assume_finite=True)`.
REWRITTEN = {"FAST_COMPILE", PYTHON_REWRITTEN, C_MODE, CUDA_MODE}
# A compiled backend gives NaN and infinities exactly where the same graph run in
# Python does.
SAME_SPECIALS_AS = {C_MODE: PYTHON_REWRITTEN, CUDA_MODE: PYTHON_REWRITTEN,
                    CUDA_UNREWRITTEN: REFERENCE_MODE}
SAFETY = 16.0  # the bound is first-order: allow this many times it
GRAD_RTOL = {"float32": 2e-3, "float64": 1e-8}
GRAPHS_PER_BATCH = 4
DEFAULT_BATCHES = 75  # x 4 graphs
SMOOTH_BATCHES = 20  # x 4 graphs, also checked with finite differences
# The CUDA emulator compiles each function with g++ (a C++ compile of the emulator's
# header, slower than chapter 5's C): fewer graphs by default, every one in the slow run.
CUDA_BATCHES = 5  # x 4 graphs, through every backend (the slow run covers many more)
CUDA_SMOOTH_BATCHES = 2  # x 4 graphs, also checked with finite differences
# The slow run: more graphs per compiled function (one compiler run checks 12 graphs).
SLOW_GRAPHS_PER_BATCH = 12
PROGRESS_EVERY = 240  # graphs: the slow run logs its figures so far
SLOW_BATCHES = int(os.environ.get("MINITHEANO_DIFFERENTIAL_BATCHES", "850"))
# A time budget in seconds (none by default): past it, the slow run checks no more
# batches and reports the exact figures of those it checked.
SLOW_SECONDS = float(os.environ.get("MINITHEANO_DIFFERENTIAL_SECONDS", "inf"))
HEALTH = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]


class Mismatch(AssertionError):
    pass


@dataclass
class Figures:
    """What a run checked, for tests/README.md."""
    graphs: int = 0
    elements: int = 0
    gradients: int = 0


def compile_all(batch: Batch, modes: dict[str, object]) -> tuple[dict[str, object], int]:
    """The batch's function in each of `modes`: its outputs, then the gradients of a
    weighted sum of its float outputs with respect to its float inputs."""
    outputs = [t.sym for t in batch.outputs]
    floats = [t.sym for t in batch.outputs if t.dtype in FLOATS]
    wrt = [t.sym for t in batch.inputs if t.dtype in FLOATS]
    grads = []
    if floats and wrt:
        cost = sum((o * (k + 1.5)).sum() for k, o in enumerate(floats))
        grads = T.grad(cost, wrt, disconnected_inputs="ignore")
    inputs = [t.sym for t in batch.inputs]
    with warnings.catch_warnings():  # the one-time "CUDA kernels are emulated" warning
        warnings.simplefilter("ignore", UserWarning)
        return ({name: theano.function(inputs, outputs + list(grads), mode=mode,
                                       on_unused_input="ignore")
                 for name, mode in modes.items()}, len(grads))


def describe(batch: Batch) -> str:
    lines = ["inputs: " + ", ".join(f"{t.text}: {t.sym.type} {t.shape}" for t in batch.inputs)]
    lines += [f"graph {k}: {t.text}" for k, t in enumerate(batch.outputs)]
    return "\n".join(lines)


def check_batch(batch: Batch, figures: Figures | None = None,
                modes: dict[str, object] = MODES) -> None:
    try:
        functions, n_grads = compile_all(batch, modes)
    except Exception as e:
        raise Mismatch(f"compiling raised {type(e).__name__}: {e}\n{describe(batch)}") from e
    rng = np.random.default_rng(batch.seed)
    for special in (True, False):
        values = {t.text: input_values(t, rng, special) for t in batch.inputs}
        saved = {k: (v.tobytes(), v.strides) for k, v in values.items()}
        expected = reference(batch.outputs, values)
        expected_rewritten = reference(batch.outputs, values, assume_finite=True)
        results = {}
        for name, f in functions.items():
            try:
                with np.errstate(all="ignore"):  # NaN and inf are expected here
                    results[name] = f(*values.values())
            except Exception as e:
                raise Mismatch(f"{name} raised {type(e).__name__}: {e}\n{describe(batch)}"
                               f"\nvalues: {values}") from e
            for k, v in values.items():
                if (v.tobytes(), v.strides) != saved[k]:
                    raise Mismatch(f"{name} wrote into argument {k}\n{describe(batch)}")
        n = len(batch.outputs)
        for name, got in results.items():
            held_to = expected_rewritten if name in REWRITTEN else expected
            for k, (term, (want, bound)) in enumerate(zip(batch.outputs, held_to)):
                where = f"{name}, graph {k}, {'special' if special else 'moderate'} values"
                context = f"{where}\n{describe(batch)}\nvalues: {values}"
                compare(got[k], want, bound, term.dtype, exact_specials=name == REFERENCE_MODE,
                        context=context)
                if name in SAME_SPECIALS_AS:
                    other = SAME_SPECIALS_AS[name]
                    same_specials(got[k], results[other][k], bound, other, context)
                if figures is not None:
                    figures.elements += want.size
        if not special and n_grads:
            reference_grads = results[REFERENCE_MODE][n:]
            # A float64 gradient may carry float32 rounding (tanh(x0) * x1 with x0 a
            # float32): the least precise input sets the tolerance.
            least = "float32" if any(t.dtype == "float32" for t in batch.inputs) else "float64"
            for name, got in results.items():
                for g, want, term in zip(got[n:], reference_grads,
                                         [t for t in batch.inputs if t.dtype in FLOATS]):
                    compare_grads(g, want, least,
                                  f"{name}, gradient wrt {term.text}\n{describe(batch)}"
                                  f"\nvalues: {values}")
            if all(t.dtype == "float64" and t.smooth for t in batch.outputs + batch.inputs):
                check_finite_differences(functions[REFERENCE_MODE], batch, values,
                                         reference_grads, rng)
            if figures is not None:
                figures.gradients += n_grads
    if figures is not None:
        figures.graphs += len(batch.outputs)


def compare(got: object, want: np.ndarray, bound: np.ndarray, dtype: str, exact_specials: bool,
            context: str) -> None:
    got = np.asarray(got)
    if got.dtype != np.dtype(dtype) or got.shape != want.shape:
        raise Mismatch(f"dtype/shape {got.dtype}{got.shape}, expected {dtype}{want.shape}: "
                       f"{context}")
    g, w = got.astype(np.float64), want.astype(np.float64)
    with np.errstate(all="ignore"):
        stable = np.isfinite(bound) & np.isfinite(w)
        bad = stable & ~(np.abs(g - w) <= SAFETY * bound)
        if exact_specials:  # NaN for NaN, inf for inf, where numpy's answer is exact
            special = ~np.isfinite(w) & (bound == 0)
            bad |= special & ~((g == w) | (np.isnan(g) & np.isnan(w)))
    if bad.any():
        i = tuple(np.argwhere(bad)[0])
        raise Mismatch(f"got {got[i]!r}, numpy {want[i]!r} (bound {bound[i]:.3g}) at {i}: "
                       f"{context}")


def same_specials(got: np.ndarray, python: np.ndarray, bound: np.ndarray, python_mode: str,
                  context: str) -> None:
    """NaN where `python` (the same graph run by `python_mode`) has NaN, the same
    infinities where it has infinities, wherever the element is well-conditioned (a
    finite `bound`): one ulp of difference between C's tanhf and numpy's makes
    pow(-4.9, tanh(-9.8)) a number in one and NaN in the other."""
    g64, p64 = np.asarray(got, np.float64), np.asarray(python, np.float64)
    differ = (np.isnan(g64) != np.isnan(p64)) | (np.isinf(g64) & (g64 != p64)) | (
        np.isinf(p64) & (g64 != p64))
    differ &= np.isfinite(bound)
    if differ.any():
        i = tuple(np.argwhere(differ)[0])
        raise Mismatch(f"got {got[i]!r}, the same graph in {python_mode} {python[i]!r} at "
                       f"{i}: {context}")


def check_finite_differences(f, batch: Batch, values: dict[str, np.ndarray],
                             grads: list[np.ndarray], rng: np.random.Generator) -> None:
    """The gradient along a random direction against a central difference of the cost
    (float64 graphs of differentiable ops only)."""
    n = len(batch.outputs)

    def cost(point: list[np.ndarray]) -> float:
        with np.errstate(all="ignore"):
            outs = f(*point)[:n]
        return float(sum((np.asarray(o) * (k + 1.5)).sum() for k, o in enumerate(outs)))

    point = [np.array(v) for v in values.values()]
    direction = [rng.normal(size=v.shape) for v in point]
    slope = sum(float((g * d).sum()) for g, d in zip(grads, direction))
    if not np.isfinite(slope) or not np.isfinite(cost(point)):
        return  # outside the domain (a log of a negative...): no derivative to check
    for h in (1e-6, 1e-7, 1e-5):  # one of the steps must agree (a pole may be near)
        plus = cost([p + h * d for p, d in zip(point, direction)])
        minus = cost([p - h * d for p, d in zip(point, direction)])
        numeric = (plus - minus) / (2 * h)
        if abs(numeric - slope) <= 1e-4 * (abs(slope) + abs(numeric)) + 1e-6:
            return
    raise Mismatch(f"directional derivative {slope!r}, finite differences {numeric!r}\n"
                   f"{describe(batch)}\nvalues: {values}")


def compare_grads(got: np.ndarray, want: np.ndarray, dtype: str, context: str) -> None:
    g, w = np.asarray(got, np.float64), np.asarray(want, np.float64)
    if g.shape != w.shape:
        raise Mismatch(f"gradient of shape {g.shape}, expected {w.shape}: {context}")
    finite = np.isfinite(w)
    scale = np.max(np.abs(w[finite]), initial=1.0)
    with np.errstate(all="ignore"):
        bad = finite & ~(np.abs(g - w) <= GRAD_RTOL[dtype] * (scale + np.abs(w)))
    if bad.any():
        i = tuple(np.argwhere(bad)[0])
        raise Mismatch(f"gradient {g[i]!r}, without rewrites {w[i]!r} at {i}: {context}")


@settings(max_examples=DEFAULT_BATCHES, derandomize=True, database=None,
          suppress_health_check=HEALTH, deadline=None)
@given(batches(GRAPHS_PER_BATCH))
def test_every_backend_agrees_with_numpy(batch):
    check_batch(batch)


@settings(max_examples=SMOOTH_BATCHES, derandomize=True, database=None,
          suppress_health_check=HEALTH, deadline=None)
@given(batches(GRAPHS_PER_BATCH, dtypes=("float64",), smooth=True))
def test_gradients_agree_with_finite_differences(batch):
    """Differentiable float64 graphs: check_batch also compares each gradient with
    a central difference along a random direction."""
    check_batch(batch)


@settings(max_examples=CUDA_BATCHES, derandomize=True, database=None,
          suppress_health_check=HEALTH, deadline=None)
@given(batches(GRAPHS_PER_BATCH))
def test_the_cuda_kernels_agree_with_numpy_and_every_backend(batch):
    """Chapter 6's backend too: the CUDA kernels (emulated here) with and without the
    rewrites, host nodes between transfers where an op has no CUDA kernel."""
    check_batch(batch, modes=ALL_MODES)


@settings(max_examples=CUDA_SMOOTH_BATCHES, derandomize=True, database=None,
          suppress_health_check=HEALTH, deadline=None)
@given(batches(GRAPHS_PER_BATCH, dtypes=("float64",), smooth=True))
def test_the_cuda_gradients_agree_with_finite_differences(batch):
    check_batch(batch, modes=ALL_MODES)


@pytest.mark.slow
def test_every_backend_agrees_with_numpy_on_10000_graphs():
    """>= 10,000 new graphs.  Every mismatch is kept (the run goes on) and listed at
    the end; MINITHEANO_DIFFERENTIAL_LOG=path also writes them there as they come.
    The figures are printed: tests/README.md keeps them."""
    figures = Figures()
    mismatches: list[str] = []
    start = time.perf_counter()
    log = os.environ.get("MINITHEANO_DIFFERENTIAL_LOG")

    @settings(max_examples=SLOW_BATCHES, database=None, suppress_health_check=HEALTH, deadline=None)
    @given(batches(SLOW_GRAPHS_PER_BATCH))
    def run(batch):
        if time.perf_counter() - start > SLOW_SECONDS:
            return  # out of time: the summary counts what was checked
        try:
            check_batch(batch, figures, ALL_MODES)
        except Mismatch as e:
            mismatches.append(str(e))
            if log:
                with open(log, "a") as f:
                    f.write(f"{e}\n\n")
        if log and figures.graphs // PROGRESS_EVERY != (figures.graphs - len(batch.outputs)
                                                         ) // PROGRESS_EVERY:
            with open(log, "a") as f:  # figures so far, in case the run is cut short
                f.write(f"progress: {figures.graphs} graphs, {figures.elements} elements, "
                        f"{figures.gradients} gradients, {len(mismatches)} mismatch(es), "
                        f"{time.perf_counter() - start:.0f} s\n")

    run()
    summary = (f"{figures.graphs} graphs, {figures.elements} output elements, "
               f"{figures.gradients} gradients checked in {time.perf_counter() - start:.0f} s; "
               f"{len(mismatches)} mismatch(es)")
    print("\n" + summary)
    if log:
        with open(log, "a") as f:
            f.write(summary + "\n")
    assert not mismatches, "\n\n".join(mismatches[:5])


def exp_batch(shape: tuple[int, ...] = (3,)) -> Batch:
    x = input_term("x0", "float64", shape, (False,) * len(shape))
    return Batch([x], [elemwise("exp", *UNARY_FLOAT["exp"], [x])], seed=7)


def test_a_wrong_result_is_caught():
    """The comparisons can fail: a reference off by 1e-12 (relative), or NaN where
    numpy gives a number, is a mismatch."""
    check_batch(exp_batch())
    off = exp_batch()
    off.outputs[0].numpy = lambda x: np.exp(x) * (1 + 1e-12)
    with pytest.raises(Mismatch, match="graph 0"):
        check_batch(off)
    nan = exp_batch()
    nan.outputs[0].numpy = lambda x: np.where(x > 0, np.nan, np.exp(x))
    with pytest.raises(Mismatch):
        check_batch(nan)


def test_the_cuda_modes_run_kernels_and_host_nodes_between_transfers():
    """The CUDA comparisons cover the three paths a graph can take: ops with a CUDA
    kernel (exp, sum) run on the device, an op without one (a slice with a negative
    step) runs on the host, and transfers move the values between them."""
    x = input_term("x0", "float64", (3, 2), (False, False))
    e = elemwise("exp", *UNARY_FLOAT["exp"], [x])
    flipped = moved(e, e.sym[::-1], lambda v: v[::-1], f"{e.text}[::-1]")
    batch = Batch([x], [reduce_term("sum", flipped, 0, False)], seed=3)
    check_batch(batch, modes=ALL_MODES)
    functions, _ = compile_all(batch, {k: ALL_MODES[k] for k in (CUDA_MODE, CUDA_UNREWRITTEN)})
    for name, f in functions.items():
        kinds = [type(n.op).__name__ for n in f.maker.fgraph.toposort()]
        assert {"GpuKernelOp", "GpuFromHost", "HostFromGpu", "Subtensor"} <= set(kinds), \
            (name, kinds)


def test_a_nan_that_one_ulp_creates_is_not_a_mismatch():
    """Found by the slow run: pow(p, tanh(x0 + p)) * (x0 + p), p = prod(x0), at x0 =
    -4.8829346 (float32).  C's tanhf gives -1.0 (correctly rounded), numpy's
    -0.99999994; a negative number to the power -1.0 is a number, to the power
    -0.99999994 NaN.  The reference's bound there is infinite (ill-conditioned), so
    NaN against a number is no mismatch; where the bound is finite it still is."""
    x0, numpy_tanh, c_tanh = np.float32(-4.8829346), np.float32(-0.99999994), np.float32(-1)
    with np.errstate(all="ignore"):
        python = np.asarray(x0 ** numpy_tanh * (x0 + x0))
        c = np.asarray(x0 ** c_tanh * (x0 + x0))
    assert np.isnan(python) and c == np.float32(2.0)
    same_specials(c, python, np.asarray(np.inf), "fast_run in Python", "ill-conditioned")
    with pytest.raises(Mismatch, match="NaN|nan"):
        same_specials(c, python, np.asarray(1e-7), "fast_run in Python", "well-conditioned")
