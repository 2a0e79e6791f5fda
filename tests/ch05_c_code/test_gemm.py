"""Gemm (tensor/blas.py) and its rewrites (rewrite/blas.py): values against numpy,
the MLP step loses nodes and updates its weights in place, nothing the caller owns
changes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import minitheano
import minitheano.tensor as T
from minitheano.compile.mode import Mode
from minitheano.gradient.verify import verify_grad
from minitheano.tensor.blas import Gemm, gemm_into, gemm_no_inplace

dims = st.integers(0, 6)
scalars = st.floats(-3, 3, allow_nan=False)
# Factors the simplifier leaves alone (0 and +-1 it rewrites away first).
factors = st.floats(-3, 3, allow_nan=False).filter(lambda v: abs(v) > 0.01 and abs(v) != 1)


@settings(max_examples=40, deadline=None)
@given(m=dims, n=dims, k=dims, a=scalars, b=scalars, dtype=st.sampled_from(["float64",
                                                                             "float32"]),
       transpose_x=st.booleans(), transpose_y=st.booleans(), seed=st.integers(0, 2**16))
def test_gemm_into_matches_numpy(m, n, k, a, b, dtype, transpose_x, transpose_y, seed):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(m, n)).astype(dtype)
    # A transposed view is column-major: BLAS takes it with its "transpose" flag.
    x = rng.normal(size=(k, m)).astype(dtype).T if transpose_x else \
        rng.normal(size=(m, k)).astype(dtype)
    y = rng.normal(size=(n, k)).astype(dtype).T if transpose_y else \
        rng.normal(size=(k, n)).astype(dtype)
    x_before, y_before = x.copy(), y.copy()
    expected = b * z.astype("float64") + a * (x.astype("float64") @ y.astype("float64"))
    gemm_into(z, a, x, y, b)
    tol = 1e-4 if dtype == "float32" else 1e-10
    np.testing.assert_allclose(z, expected, rtol=tol, atol=tol * 10)
    np.testing.assert_array_equal(x, x_before)
    np.testing.assert_array_equal(y, y_before)


def test_gemm_into_strided_falls_back():
    """Every other column is no BLAS layout: numpy computes it, same values."""
    rng = np.random.default_rng(0)
    z, x, y = rng.normal(size=(3, 4)), rng.normal(size=(3, 10))[:, ::2], rng.normal(size=(5, 4))
    expected = 0.5 * z + 2.0 * (x @ y)
    gemm_into(z, 2.0, x, y, 0.5)
    np.testing.assert_allclose(z, expected, rtol=1e-12)


@pytest.mark.parametrize("a, b", [(0.0, 1.0), (1.0, 0.0)])
def test_a_zero_factor_keeps_nans_as_numpy_does(a, b):
    z, x, y = np.ones((2, 2)), np.ones((2, 3)), np.ones((3, 2))
    (z if b == 0 else x)[0, 0] = np.nan
    expected = b * z + a * (x @ y)
    gemm_into(z, a, x, y, b)
    np.testing.assert_array_equal(z, expected)  # nan where numpy has nan


def test_gemm_op_never_modifies_its_inputs_unless_inplace():
    z, x, y = T.dmatrices("z", "x", "y")
    a, b = T.dscalars("a", "b")
    f = minitheano.function([z, a, x, y, b], gemm_no_inplace(z, a, x, y, b),
                            mode=Mode("py", "none"))
    rng = np.random.default_rng(1)
    Z, X, Y = rng.normal(size=(2, 3)), rng.normal(size=(2, 4)), rng.normal(size=(4, 3))
    Z_before = Z.copy()
    np.testing.assert_allclose(f(Z, 2.0, X, Y, -1.0), -Z + 2.0 * X @ Y, rtol=1e-12)
    np.testing.assert_array_equal(Z, Z_before)


def test_gemm_op_bad_shapes_name_them():
    z, x, y = T.dmatrices("z", "x", "y")
    f = minitheano.function([z, x, y], gemm_no_inplace(z, 1.0, x, y, 1.0),
                            mode=Mode("py", "none"))
    with pytest.raises(ValueError, match="Gemm: shapes do not fit"):
        f(np.zeros((2, 2)), np.zeros((2, 3)), np.zeros((2, 2)))


def test_gemm_op_rejects_non_matrices():
    with pytest.raises(TypeError, match="matrices"):
        gemm_no_inplace(T.dvector(), 1.0, T.dmatrix(), T.dmatrix(), 1.0)


def test_gemm_grad_matches_finite_differences():
    rng = np.random.default_rng(2)
    pt = [rng.normal(size=(2, 3)), rng.normal(size=()), rng.normal(size=(2, 4)),
          rng.normal(size=(4, 3)), rng.normal(size=())]
    verify_grad(lambda z, a, x, y, b: gemm_no_inplace(z, a, x, y, b), pt)


def _gemms(f) -> list:
    return [n for n in f.maker.fgraph.toposort() if isinstance(n.op, Gemm)]


@settings(max_examples=25, deadline=None)
@given(a=factors, b=factors, form=st.sampled_from(["sub", "add", "scaled"]),
       seed=st.integers(0, 2**16))
def test_rewrite_fires_and_keeps_values(a, b, form, seed):
    # With |a| == |b| the simplifier factors b*(Z +- dot(X, Y)) out: not a gemm form.
    assume(form != "scaled" or abs(a) != abs(b))
    z, x, y = T.dmatrices("z", "x", "y")
    expr = {"sub": z - a * T.dot(x, y), "add": a * T.dot(x, y) + z,
            "scaled": b * z + a * T.dot(x, y)}[form]
    f = minitheano.function([z, x, y], expr)
    assert len(_gemms(f)) == 1
    rng = np.random.default_rng(seed)
    Z, X, Y = rng.normal(size=(3, 2)), rng.normal(size=(3, 5)), rng.normal(size=(5, 2))
    before = [v.copy() for v in (Z, X, Y)]
    expected = {"sub": Z - a * X @ Y, "add": a * X @ Y + Z, "scaled": b * Z + a * X @ Y}[form]
    np.testing.assert_allclose(f(Z, X, Y), expected, rtol=1e-10, atol=1e-10)
    for v, old in zip((Z, X, Y), before):  # the caller's arrays are inputs: never overwritten
        np.testing.assert_array_equal(v, old)


def test_rewrite_leaves_a_shared_product_alone():
    """A product read twice would be computed twice inside two Gemms: no rewrite."""
    z, x, y = T.dmatrices("z", "x", "y")
    p = T.dot(x, y)
    f = minitheano.function([z, x, y], [z - 0.5 * p, p])
    assert not _gemms(f)


def _mlp(mode: Mode | None = None):
    rng = np.random.default_rng(0)
    init = {"W1": rng.normal(size=(64, 256)) / 8, "b1": np.zeros(256),
            "W2": rng.normal(size=(256, 10)) / 16, "b2": np.zeros(10)}
    params = [minitheano.shared(v, name=k) for k, v in init.items()]
    W1, b1, W2, b2 = params
    x, y = T.dmatrix("x"), T.lvector("y")
    p = T.nnet.softmax(T.dot(T.tanh(T.dot(x, W1) + b1), W2) + b2)
    loss = T.mean(T.nnet.categorical_crossentropy(p, y))
    updates = [(q, q - 0.1 * g) for q, g in zip(params, T.grad(loss, params))]
    f = minitheano.function([x, y], loss, updates=updates, mode=mode)
    return f, params, init


def test_mlp_step_updates_weights_in_place_with_the_same_values():
    f, params, init = _mlp()
    ref, ref_params, _ = _mlp(Mode().excluding("gemm"))
    assert len(f.maker.fgraph.toposort()) < len(ref.maker.fgraph.toposort())
    # W1's and W2's updates overwrite W1 and W2 (W2's after dot(g, W2.T) has read it).
    assert len(_gemms(f)) == 2 and all(n.op.inplace for n in _gemms(f))
    rng = np.random.default_rng(3)
    X, labels = rng.normal(size=(32, 64)), rng.integers(0, 10, size=32)
    X_before = X.copy()
    held = params[0].get_value()  # a copy the caller holds: must not change
    held_before = held.copy()
    for _ in range(3):
        np.testing.assert_allclose(f(X, labels), ref(X, labels), rtol=1e-12)
    for q, r in zip(params, ref_params):
        np.testing.assert_allclose(q.get_value(), r.get_value(), rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(held, held_before)
    for (k, v), q in zip(init.items(), params):  # shared() copied what it was given
        assert not np.shares_memory(v, q.get_value(borrow=True)), k


def test_no_inplace_when_the_old_value_is_also_returned():
    W = minitheano.shared(np.ones((2, 2)))
    x = T.dmatrix("x")
    f = minitheano.function([x], W, updates=[(W, W - 0.5 * T.dot(x, x))])
    assert not any(n.op.inplace for n in _gemms(f))
    old = f(np.eye(2))
    np.testing.assert_array_equal(old, np.ones((2, 2)))
    np.testing.assert_allclose(W.get_value(), np.ones((2, 2)) - 0.5 * np.eye(2))


def test_no_inplace_on_a_variable_updated_elsewhere():
    """V's update reads W: W itself is not updated, so W must keep its value."""
    W, V = minitheano.shared(np.ones((2, 2))), minitheano.shared(np.zeros((2, 2)))
    x = T.dmatrix("x")
    f = minitheano.function([x], [], updates=[(V, W - T.dot(x, x))])
    assert not any(n.op.inplace for n in _gemms(f))
    f(np.eye(2))
    np.testing.assert_array_equal(W.get_value(), np.ones((2, 2)))
    np.testing.assert_allclose(V.get_value(), np.ones((2, 2)) - np.eye(2))
