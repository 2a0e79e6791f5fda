"""DotBiasAct (tensor/dot_bias_act.py, rewrite/dot_bias_act.py): a layer's
`act(dot(x, W) + b)` as one node whose C writes the product by blocks and applies
the bias and activation to each; against numpy on generated shapes, dtypes,
activations and layouts, the cases that must not be fused, and its gradient."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minitheano as theano
import minitheano.tensor as T
from minitheano.gradient.verify import verify_grad
from minitheano.tensor.dot_bias_act import DotBiasAct


def sigmoid(v):
    return 1 / (1 + np.exp(-v))


# name: (symbolic layer, numpy layer)
LAYERS = {
    "tanh": (lambda p, b: T.tanh(p + b), lambda p, b: np.tanh(p + b)),
    "sigmoid": (lambda p, b: T.nnet.sigmoid(p + b), lambda p, b: sigmoid(p + b)),
    "relu": (lambda p, b: T.maximum(p + b, 0), lambda p, b: np.maximum(p + b, 0)),
    "add": (lambda p, b: p + b, lambda p, b: p + b),
    "bias_first": (lambda p, b: T.tanh(b - p), lambda p, b: np.tanh(b - p)),
}
TOL = {"float32": 2e-5, "float64": 1e-12}


def fused_nodes(f):
    return [n for n in f.maker.fgraph.toposort() if isinstance(n.op, DotBiasAct)]


@settings(max_examples=40, deadline=None)
@given(layer=st.sampled_from(sorted(LAYERS)), dtype=st.sampled_from(["float32", "float64"]),
       m=st.integers(1, 40), k=st.integers(1, 9), n=st.sampled_from([1, 3, 17, 300]),
       x_transposed=st.booleans(), linker=st.sampled_from(["c", "py"]))
def test_generated_layers_match_numpy(layer, dtype, m, k, n, x_transposed, linker):
    x, W = T.matrix("x", dtype=dtype), T.matrix("W", dtype=dtype)
    b = T.vector("b", dtype=dtype)
    symbolic, numeric = LAYERS[layer]
    f = theano.function([x, W, b], symbolic(T.dot(x, W), b),
                        mode=theano.Mode(linker, "fast_run"))
    assert len(fused_nodes(f)) == 1
    rng = np.random.default_rng(m * 100 + n)
    xv = rng.normal(size=(m, k)).astype(dtype)
    if x_transposed:  # columns contiguous: BLAS reads it transposed
        xv = np.asfortranarray(xv)
    Wv, bv = rng.normal(size=(k, n)).astype(dtype), rng.normal(size=n).astype(dtype)
    copies = [xv.copy(), Wv.copy(), bv.copy()]
    want = numeric(xv.astype("float64") @ Wv.astype("float64"), bv.astype("float64"))
    for _ in range(2):  # the second call writes into the buffer the first left
        got = f(xv, Wv, bv)
        assert got.dtype == dtype and got.shape == (m, n)
        np.testing.assert_allclose(got, want, rtol=TOL[dtype], atol=TOL[dtype])
    for v, c in zip([xv, Wv, bv], copies):
        np.testing.assert_array_equal(v, c)


@pytest.mark.parametrize("case", ["column", "matrix", "scalar", "length_1_row",
                                  "product_read_twice", "three_inputs"])
def test_what_must_not_be_fused(case):
    x, W, B = T.dmatrices("x", "W", "B")
    b, s = T.dvector("b"), T.dscalar("s")
    b1 = T.TensorType("float64", (True,))("b1")  # a vector of length 1, stretched
    p = T.dot(x, W)
    rng = np.random.default_rng(0)
    xv, Wv = rng.normal(size=(4, 3)), rng.normal(size=(3, 4))
    pv = xv @ Wv
    bv, Bv, sv = rng.normal(size=4), rng.normal(size=(4, 4)), 0.5
    expr, want = {
        "column": (T.tanh(p + b.dimshuffle(0, "x")), np.tanh(pv + bv[:, None])),
        "matrix": (T.tanh(p + B), np.tanh(pv + Bv)),
        "scalar": (T.tanh(p + s), np.tanh(pv + sv)),
        # a row of length 1 (broadcastable) stretched along the columns
        "length_1_row": (T.tanh(p + b1), np.tanh(pv + sv)),
        "product_read_twice": (T.tanh(p + b) + T.sum(p), np.tanh(pv + bv) + pv.sum()),
        "three_inputs": (T.tanh(p + b) * B, np.tanh(pv + bv) * Bv),
    }[case]
    f = theano.function([x, W, b, B, s, b1], expr, on_unused_input="ignore")
    assert not fused_nodes(f)
    assert any(type(n.op).__name__ in ("Dot", "Gemm") for n in f.maker.fgraph.toposort())
    np.testing.assert_allclose(f(xv, Wv, bv, Bv, sv, np.array([sv])), want, rtol=1e-12)


@pytest.mark.parametrize("layer", sorted(LAYERS))
def test_gradient_by_finite_differences(layer):
    x, W = T.dmatrices("x", "W")
    b = T.dvector("b")
    f = theano.function([x, W, b], LAYERS[layer][0](T.dot(x, W), b), mode="FAST_RUN")
    (node,) = fused_nodes(f)
    rng = np.random.default_rng(1)
    values = [rng.normal(size=(3, 4)), rng.normal(size=(4, 5)), rng.normal(size=5)]
    if layer == "relu":  # away from the kink
        values[2] += np.where(values[2] > 0, 0.5, -0.5)
    verify_grad(node.op, values, rng=np.random.RandomState(2))


def test_the_c_code_runs_and_refuses_to_python(monkeypatch):
    calls = []
    perform = DotBiasAct.perform

    def counted(self, node, inputs, output_storage):
        calls.append(1)
        perform(self, node, inputs, output_storage)

    monkeypatch.setattr(DotBiasAct, "perform", counted)
    x, W = T.dmatrices("x", "W")
    b = T.dvector("b")
    f = theano.function([x, W, b], T.tanh(T.dot(x, W) + b), mode="FAST_RUN")
    rng = np.random.default_rng(3)
    xv, Wv, bv = rng.normal(size=(70, 6)), rng.normal(size=(6, 200)), rng.normal(size=200)
    np.testing.assert_allclose(f(xv, Wv, bv), np.tanh(xv @ Wv + bv), rtol=1e-13)
    assert not calls, "the C code should have computed it"
    # Every second column: a layout BLAS cannot take; Python computes it.
    wide = rng.normal(size=(70, 12))
    np.testing.assert_allclose(f(wide[:, ::2], Wv, bv), np.tanh(wide[:, ::2] @ Wv + bv),
                               rtol=1e-13)
    assert calls


def test_bad_shapes_are_named():
    x, W = T.dmatrices("x", "W")
    b = T.dvector("b")
    for linker in ("c", "py"):
        f = theano.function([x, W, b], T.tanh(T.dot(x, W) + b),
                            mode=theano.Mode(linker, "fast_run"))
        with pytest.raises(ValueError, match="DotBiasAct"):
            f(np.ones((2, 3)), np.ones((3, 4)), np.ones(5))


def test_infer_shape_and_make_node_checks():
    x, W = T.dmatrices("x", "W")
    b = T.dvector("b")
    layer = T.tanh(T.dot(x, W) + b)
    f = theano.function([x, W, b], layer.shape, mode="FAST_RUN")
    g = theano.function([x, W, b], layer, mode="FAST_RUN")
    (node,) = fused_nodes(g)
    shape_f = theano.function([x, W, b], node.op(x, W, b).shape, mode="FAST_RUN")
    args = [np.ones((2, 3)), np.ones((3, 7)), np.ones(7)]
    assert tuple(f(*args)) == tuple(shape_f(*args)) == (2, 7)
    with pytest.raises(TypeError, match="float dtype"):
        node.op(x, W, T.fvector("c"))
    with pytest.raises(TypeError, match="vector"):
        node.op(x, W, T.dmatrix("B"))
