"""The C linker inside compiled functions: C and Python nodes side by side, output
buffers reused safely, in-place kernels, errors, and DebugMode."""

from __future__ import annotations

import numpy as np
import pytest

import minitheano as th
from minitheano import tensor as T
from minitheano.compile.io import In
from minitheano.graph.basic import Apply
from minitheano.graph.op import Op
from minitheano.link.c.thunk import compile_nodes
from minitheano.link.debug import DebugModeError
from minitheano.scalar import math as sm
from minitheano.scalar.basic import UnaryScalarOp
from minitheano.tensor.elemwise import Elemwise

rng = np.random.default_rng(5)


def test_seed_logistic_in_fast_run():
    x = T.dmatrix("x")
    s = 1 / (1 + T.exp(-x))
    logistic = th.function([x], s)
    assert logistic.maker.mode.linker == "c"
    np.testing.assert_allclose(logistic([[0, 1], [-1, -2]]),
                               [[0.5, 0.73105858], [0.26894142, 0.11920292]], rtol=1e-7)
    a = rng.normal(size=(50, 40))
    np.testing.assert_allclose(logistic(a), 1 / (1 + np.exp(-a)), rtol=1e-13)


def test_nodes_without_c_run_their_python_code_in_the_same_function():
    x, w, b = T.dmatrix("x"), T.dvector("w"), T.dscalar("b")
    p = 1 / (1 + T.exp(-T.dot(x, w) - b))  # dot stays on numpy's BLAS
    f = th.function([x, w, b], [p, p.sum()])
    order = f.maker.fgraph.toposort()
    compiled = compile_nodes(order)
    kinds = {type(n.op).__name__: c is not None for n, c in zip(order, compiled)}
    assert kinds["Dot"] is False and kinds["Elemwise"] is True and kinds["Sum"] is True
    a, v = rng.normal(size=(6, 3)), rng.normal(size=3)
    out, total = f(a, v, 0.5)
    expected = 1 / (1 + np.exp(-a @ v - 0.5))
    np.testing.assert_allclose(out, expected, rtol=1e-13)
    np.testing.assert_allclose(total, expected.sum(), rtol=1e-13)


def test_returned_arrays_are_never_overwritten():
    x = T.dvector("x")
    f = th.function([x], T.exp(x) * 2)
    first = f(np.zeros(3))
    second = f(np.ones(3))
    assert first is not second
    np.testing.assert_allclose(first, 2.0)  # still the first call's result
    del first, second
    again = f(np.zeros(3))
    view = again[1:]
    f(np.ones(3))
    np.testing.assert_allclose(view, 2.0)  # a view of a returned array holds it too


def test_output_buffer_is_reused_when_the_caller_drops_it():
    x = T.dvector("x")
    f = th.function([x], T.exp(x) * 2)
    address = f(np.zeros(1000)).ctypes.data
    assert f(np.ones(1000)).ctypes.data == address  # the same memory, no new allocation
    kept = f(np.ones(1000))
    assert f(np.ones(1000)).ctypes.data != kept.ctypes.data


def test_shape_errors_say_which_input_and_where():
    x, y = T.dmatrix("x"), T.dmatrix("y")
    f = th.function([x, y], x + y)
    with pytest.raises(ValueError) as info:
        f(np.ones((2, 3)), np.ones((2, 4)))
    message = str(info.value)
    assert "Input dimension mismatch" in message and "test_c_linker.py" in message
    assert "(2, 3), (2, 4)" in message


def test_in_place_kernel_writes_into_its_input():
    x, y = T.dvector("x"), T.dvector("y")
    out = Elemwise(sm.add, {0: 0})(x, y)  # what chapter 3's in-place rewrite makes
    f = th.function([In(x, mutable=True), y], out)
    a = np.arange(4.0)
    result = f(a, np.ones(4))
    np.testing.assert_array_equal(a, [1, 2, 3, 4])  # written in place
    np.testing.assert_array_equal(result, [1, 2, 3, 4])
    assert result is not a  # the output is protected by a copy


def test_in_place_kernel_with_an_overlapping_input_reads_a_copy():
    x = T.dvector("x")
    f = th.function([In(x, mutable=True)], Elemwise(sm.add, {0: 0})(x, x[::-1]))
    a = np.arange(5.0)
    np.testing.assert_array_equal(f(a), np.arange(5.0) + np.arange(5.0)[::-1])


def test_in_place_kernel_checks_that_the_shapes_fit():
    x, y = T.dvector("x"), T.dvector("y")
    f = th.function([In(x, mutable=True), y], Elemwise(sm.add, {0: 0})(x, y))
    with pytest.raises(ValueError, match=r"input 1 has length 5 in dimension 0, the result 4"):
        f(np.zeros(4), np.ones(5))
    with pytest.raises(ValueError, match="mismatch"):  # the destroyed input is the short one
        f(np.zeros(3), np.ones(4))
    a = np.arange(8.0)[::2]  # not contiguous: the kernel takes the strided path
    np.testing.assert_array_equal(f(a, np.ones(4)), [1, 3, 5, 7])


class Tripled(UnaryScalarOp):
    """x * 3 in Python, and (deliberately) x * 2 in C."""
    name = "tripled"
    c_template = "{0} * 2"

    def output_dtype(self, dtype):
        return dtype

    def impl(self, x):
        return x * 3


def test_debugmode_catches_a_wrong_c_kernel():
    x = T.dvector("x")
    y = Elemwise(Tripled())(x)  # the line DebugMode must point at
    f = th.function([x], y.sum(), mode="DebugMode")
    with pytest.raises(DebugModeError) as info:
        f(np.arange(3.0))
    message = str(info.value)
    assert "differs between C and Python" in message
    assert "tripled" in message and "test_c_linker.py" in message


class Sneaky(Op):
    """Doubles its input in place without declaring it (no destroy_map)."""

    def make_node(self, x):
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        (x,) = inputs
        x *= 2
        output_storage[0][0] = x.copy()

    def infer_shape(self, fgraph, node, input_shapes):
        return list(input_shapes)


class WrongShape(Op):
    """Says its output has its input's shape, returns one element more."""

    def make_node(self, x):
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = np.append(inputs[0], 0.0)

    def infer_shape(self, fgraph, node, input_shapes):
        return list(input_shapes)


@pytest.mark.parametrize("op, complaint", [(Sneaky(), "overwrote input 0"),
                                           (WrongShape(), "infer_shape")])
def test_debugmode_catches_undeclared_writes_and_wrong_shapes(op, complaint):
    x = T.dvector("x")
    f = th.function([x], op(T.exp(x)), mode="DebugMode")
    with pytest.raises(DebugModeError, match=complaint):
        f(np.arange(3.0))


def test_debugmode_passes_correct_graphs_and_gives_their_values():
    x, w = T.dmatrix("x"), T.dvector("w")
    cost = T.sum(T.log1p(T.exp(T.dot(x, w)))) + T.sum(w ** 2)
    f = th.function([x, w], [cost, T.maximum(x, 0).sum(axis=0)], mode="DebugMode")
    a, v = rng.normal(size=(4, 3)), rng.normal(size=3)
    c, m = f(a, v)
    np.testing.assert_allclose(c, np.log1p(np.exp(a @ v)).sum() + (v ** 2).sum(), rtol=1e-12)
    np.testing.assert_allclose(m, np.maximum(a, 0).sum(axis=0), rtol=1e-12)


def test_scalar_functions_never_overwrite_what_they_returned():
    x, y = T.dscalars("x", "y")
    f = th.function([x, y], x * y)
    first = f(2.0, 3.0)
    second = f(np.float64(4.0), np.array(5.0))
    assert first is not second and float(first) == 6.0 and float(second) == 20.0
    del first, second
    third = f(1.5, 2.0)
    assert float(third) == 3.0 and isinstance(third, np.ndarray) and third.shape == ()
