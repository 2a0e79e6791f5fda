"""Every scalar op, every dtype: the C kernel against the Python op and numpy.

All the kernels of a sweep are compiled into a few modules at once (the
compiler is the slow part; the cache makes later runs free).  Values include
the edges: NaN, infinities, -0.0, the integer extremes, division by zero.
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
from ch05_kernels import Compiled, assert_same, run_python

from minitheano.scalar import math as sm
from minitheano.scalar.basic import ALL_DTYPES, FloatUnaryOp, ScalarOp
from minitheano.tensor.elemwise import Elemwise
from minitheano.tensor.type import TensorType

# Functions computed by libm (or libmvec) in C and by numpy's own code in
# Python: equal up to the last bits, not exactly.
INEXACT = {"exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sin", "cos", "tan",
           "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "sigmoid", "softplus", "pow",
           "arctan2",
           # Python's math.gamma and math.lgamma are CPython's own code, not libm's
           "gamma", "gammaln"}

OPS = [op for op in vars(sm).values() if isinstance(op, ScalarOp)]
UNARY = [op for op in OPS if op.nin == 1] + [sm.Cast(d) for d in ALL_DTYPES]
BINARY = [op for op in OPS if op.nin in (2, -1)]
TERNARY = [op for op in OPS if op.nin == 3]
MIXED = [("int8", "uint8"), ("int64", "uint64"), ("uint64", "int64"), ("int32", "float32"),
         ("bool", "int8"), ("uint64", "float32"), ("int16", "float64"), ("uint8", "int64")]


def edge_values(dtype: str) -> np.ndarray:
    if dtype == "bool":
        return np.array([False, True])
    if dtype.startswith("float"):
        return np.array([0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.5, 1e-30, -1e30, 7.0, 100.0,
                         -100.0, np.inf, -np.inf, np.nan], dtype=dtype)
    info = np.iinfo(dtype)
    wanted = {info.min, info.min + 1, -7, -2, -1, 0, 1, 2, 3, 7, info.max - 1, info.max}
    return np.array(sorted(v for v in wanted if info.min <= v <= info.max), dtype=dtype)


def make_nodes(ops, dtype_lists):
    nodes = []
    for op in ops:
        for dtypes in dtype_lists:
            inputs = [TensorType(d, (False,))() for d in dtypes]
            try:
                nodes.append(Elemwise(op).make_node(*inputs))
            except TypeError:  # not defined for these dtypes (numpy refuses too)
                pass
    return nodes


def inputs_for(node) -> list[np.ndarray]:
    """Every combination of edge values of the node's input dtypes."""
    values = [edge_values(v.type.dtype) for v in node.inputs]
    op = node.op.scalar_op
    if isinstance(op, sm.Cast) and op.dtype[0] in "iu" and node.inputs[0].dtype[0] == "f":
        # float -> int outside the target's range (or NaN) is undefined in C and
        # platform-dependent in numpy (it warns): only values that fit.
        info = np.iinfo(op.dtype)
        v = values[0]
        values = [v[(v >= info.min) & (v <= info.max)]]
    grids = np.meshgrid(*values, indexing="ij")
    return [g.ravel() for g in grids]


def numpy_reference(node, values):
    """numpy's own answer, where the op is one numpy ufunc."""
    op = node.op.scalar_op
    fn = getattr(op, "nfunc", None)
    if not isinstance(fn, np.ufunc) or fn.nin != len(values) or isinstance(op, sm.Cast):
        return None
    dtype = node.outputs[0].dtype
    if isinstance(op, sm.RoundHalfToEven):  # np.round keeps integers as they are
        return np.round(values[0]).astype(dtype)
    if isinstance(op, (FloatUnaryOp, sm.ArcTan2)):  # computed in the output's float dtype
        return fn(*values, dtype=dtype)
    return np.asarray(fn(*values), dtype=dtype)


def check_all(compiled: Compiled) -> None:
    failures = []
    for i, node in enumerate(compiled.nodes):
        values = inputs_for(node)
        name = node.op.scalar_op.name
        what = f"{node.op.scalar_op} on {[v.dtype for v in node.inputs]}"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                expected = run_python(node, *values)[0]
            except (ValueError, ZeroDivisionError) as e:
                # numpy refuses (2 ** -1 on integers): so must C, with the same message
                with pytest.raises(type(e), match=str(e)[:20]):
                    compiled.run(i, *values)
                continue
            reference = numpy_reference(node, values)
        got = compiled.run(i, *values)[0]
        try:
            dtype = node.outputs[0].dtype
            assert_same(got, expected, dtype, exact=name not in INEXACT, what=what)
            if reference is not None:
                assert_same(got, reference, dtype, exact=name not in INEXACT, what=what)
        except AssertionError as e:
            failures.append(str(e)[:800])
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures[:5])


@pytest.fixture(scope="module")
def same_dtype_sweep() -> Compiled:
    dtypes = [(d,) for d in ALL_DTYPES]
    nodes = make_nodes(UNARY, dtypes) + make_nodes(BINARY, [(d, d) for d in ALL_DTYPES] + MIXED)
    nodes += make_nodes(TERNARY, [(d, d, d) for d in ALL_DTYPES] + [("bool", "int8", "float32")])
    return Compiled(nodes, parts=4)


def test_every_op_has_c_code_for_every_dtype(same_dtype_sweep):
    ops_seen = {n.op.scalar_op.name for n in same_dtype_sweep.nodes}
    assert ops_seen >= {op.name for op in OPS}
    assert len(same_dtype_sweep.nodes) > 600


def test_c_matches_python_and_numpy_on_edge_values(same_dtype_sweep):
    check_all(same_dtype_sweep)


def test_numpy_semantics_that_c_gets_wrong_by_default(same_dtype_sweep):
    """The cases a naive C translation gets wrong, spelled out."""
    by_name = {(n.op.scalar_op.name, n.inputs[0].dtype, n.inputs[-1].dtype): i
               for i, n in enumerate(same_dtype_sweep.nodes)}

    def run(name, *values):
        key = (name, values[0].dtype.name, values[-1].dtype.name)
        return same_dtype_sweep.run(by_name[key], *values)[0]

    i8 = np.array([-7, 7, -128, 5], dtype=np.int8)
    assert run("int_div", i8, np.array([2, -2, -1, 0], np.int8)).tolist() == [-4, -4, -128, 0]
    assert run("mod", i8, np.array([2, -2, -1, 0], np.int8)).tolist() == [1, -1, 0, 0]
    f = np.array([np.nan, 1.0, -0.0])
    assert np.isnan(run("maximum", f, np.array([1.0, np.nan, 0.0]))[:2]).all()
    assert run("add", np.array([True, True]), np.array([True, False])).tolist() == [True, True]
    big = np.array([2**62], np.int64)
    assert run("mul", big, np.array([4], np.int64)).tolist() == [0]  # wraps, as numpy
    assert run("lt", np.array([-1], np.int64), np.array([2**64 - 1], np.uint64)).tolist() == [True]
    assert run("invert", np.array([True, False])).tolist() == [False, True]


@pytest.mark.slow
def test_every_pair_of_dtypes():
    pairs = list(itertools.product(ALL_DTYPES, repeat=2))
    check_all(Compiled(make_nodes(BINARY, pairs), parts=8))
