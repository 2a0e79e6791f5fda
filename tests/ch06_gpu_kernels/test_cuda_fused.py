"""Random fused graphs (Composites built by hypothesis) through the CUDA printer and
the emulator, against chapter 5's C loop and numpy.

The CUDA kernel's body is printed by the same code as the C loop's, so exact
operations agree bit for bit with both numpy and C; transcendental functions agree
within a tolerance (the emulator calls libm one value at a time, the C loop its
vectorized twin).  Each example is a
batch of graphs in one module, derandomized so later runs come from the cache.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from ch06_helpers import Emulated, check_with_nvcc, run_python
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from minitheano.link.c.library import compile_kernels
from minitheano.link.c.thunk import make_thunk
from minitheano.link.cuda.printer import CudaPrinter
from minitheano.link.kernel import describe
from minitheano.scalar import math as sm
from minitheano.scalar.basic import ScalarType
from minitheano.scalar.composite import Composite
from minitheano.tensor.elemwise import Elemwise
from minitheano.tensor.type import TensorType

EXACT_OPS = [sm.add, sm.sub, sm.mul, sm.neg, sm.abs_, sm.maximum, sm.minimum, sm.lt, sm.ge,
             sm.eq, sm.sqr, sm.switch, sm.Cast("float32"), sm.Cast("int16"), sm.true_div,
             sm.sqrt, sm.floor, sm.clip, sm.sgn]
FLOAT_OPS = [sm.add, sm.sub, sm.mul, sm.neg, sm.exp, sm.tanh, sm.log1p, sm.sigmoid,
             sm.softplus, sm.true_div, sm.abs_, sm.sqrt, sm.maximum]
PATTERNS = [(False, False), (True, False), (False, True), (True, True)]
SHAPE = (5, 67)


@st.composite
def fused_nodes(draw, ops, dtypes):
    """An Elemwise of a Composite of 1-6 ops over 1-3 inputs, each input with a
    broadcast pattern."""
    inputs = [ScalarType(draw(st.sampled_from(dtypes)))() for _ in range(draw(st.integers(1, 3)))]
    values = list(inputs)
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(ops))
        args = [draw(st.sampled_from(values)) for _ in range(2 if op.nin == -1 else op.nin)]
        try:
            values.append(op(*args))
        except TypeError:  # not defined for these dtypes
            continue
    outputs = [v for v in values[-2:] if v not in inputs] or [sm.identity(inputs[0])]
    patterns = [draw(st.sampled_from(PATTERNS)) for _ in inputs]
    tensors = [TensorType(v.type.dtype, p)() for v, p in zip(inputs, patterns)]
    return Elemwise(Composite(inputs, outputs)).make_node(*tensors)


def value(dtype, shape, rng):
    if dtype.startswith("float"):
        x = rng.normal(scale=3, size=shape).astype(dtype)
        x.flat[::11] = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1.5][: x.flat[::11].size]
        return x
    return rng.integers(-50, 50, size=shape, endpoint=True).astype(dtype)


def printable(node):
    try:
        CudaPrinter().functions("k", describe(node))
    except NotImplementedError:
        return False
    return True


def check_batch(nodes, exact, seed, with_nvcc=False):
    nodes = [n for n in nodes if printable(n)]
    cuda = Emulated(nodes)
    if with_nvcc:  # nvcc takes the generated graphs too
        check_with_nvcc(cuda.module.source)
    _, lib = compile_kernels([(describe(n), str(n.op)) for n in nodes])
    rng = np.random.default_rng(seed)
    for i, node in enumerate(nodes):
        values = [value(v.type.dtype, tuple(1 if b else n for b, n in
                                            zip(v.type.broadcastable, SHAPE)), rng)
                  for v in node.inputs]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = run_python(node, *values)
            got = cuda.run(i, *values)
            c_out = [[None] for _ in node.outputs]
            make_thunk(node, describe(node), lib.kernels[f"k{i}"], [[v] for v in values],
                       c_out, False)()
        for e, g, c in zip(expected, got, c_out):
            assert g.dtype == e.dtype and g.shape == e.shape
            if exact:  # the same body text: CUDA-on-CPU is C and numpy, bit for bit
                np.testing.assert_array_equal(g, c[0], err_msg=str(node.op))
                np.testing.assert_array_equal(g, e, err_msg=str(node.op))
            else:  # the C loop calls vectorized libm functions: last-bit differences
                tol = 1e-5 if g.dtype == np.float32 else 1e-12
                np.testing.assert_allclose(g, c[0], rtol=tol, atol=tol, err_msg=str(node.op))
                np.testing.assert_allclose(g, e, rtol=tol, atol=tol, err_msg=str(node.op))


@settings(max_examples=2, derandomize=True, phases=[Phase.generate], deadline=None)
@given(st.lists(fused_nodes(EXACT_OPS, ["float64", "float32", "int32", "int64"]),
                min_size=15, max_size=15), st.integers(0, 99))
def test_exact_graphs_cuda_c_numpy_agree(nodes, seed):
    check_batch(nodes, exact=True, seed=seed)


@settings(max_examples=2, derandomize=True, phases=[Phase.generate], deadline=None)
@given(st.lists(fused_nodes(FLOAT_OPS, ["float64", "float32"]), min_size=15, max_size=15),
       st.integers(0, 99))
def test_float_graphs_cuda_c_numpy_agree(nodes, seed):
    check_batch(nodes, exact=False, seed=seed)


@pytest.mark.slow  # nvcc on generated graphs: ~20 s on a cold cache
@settings(max_examples=2, derandomize=True, phases=[Phase.generate], deadline=None)
@given(st.lists(fused_nodes(EXACT_OPS + FLOAT_OPS, ["float64", "float32", "int32"]),
                min_size=15, max_size=15), st.integers(0, 99))
def test_generated_graphs_compile_with_nvcc(nodes, seed):
    check_batch(nodes, exact=False, seed=seed, with_nvcc=True)
