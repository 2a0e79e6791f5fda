"""Gradient graphs after chapter 3's rewrites.

`T.grad` differentiates the graph as written; the compiler then simplifies
the result.  These tests check the compiled form of real gradient graphs:
the logistic's derivative reads s * (1 - s), the cross-entropy of a softmax
becomes one op from the logits whose gradient is one op too, and the second
seed's training step compiles to a compact graph with the same values as
when compiled without rewrites.
"""

from __future__ import annotations

import numpy as np
import pytest
from gradcheck import check, softmax_ref

import minitheano as theano
from minitheano import tensor as T
from minitheano.compile.ops import DeepCopyOp
from minitheano.tensor import nnet

FAST_RUN = theano.Mode("py", "fast_run")
AS_WRITTEN = theano.Mode("py", None)
EXTREME = np.array([[1000.0, 0.0, -5.0], [0.5, -0.25, 2.0], [-800.0, 800.0, 0.0]])
LABELS = np.array([1, 2, 0])


def ops_of(f):
    return [str(n.op) for n in f.maker.fgraph.toposort() if not isinstance(n.op, DeepCopyOp)]


def test_the_logistic_gradient_compiles_to_s_times_1_minus_s():
    x = T.dvector("x")
    g = T.grad(T.sum(1 / (1 + T.exp(-x))), x)
    readable = theano.function([x], g, mode=FAST_RUN.excluding("fusion", "inplace"))
    assert sorted(ops_of(readable)) == ["Elemwise{mul,no_inplace}",
                                        "Elemwise{sigmoid,no_inplace}",
                                        "Elemwise{sub,no_inplace}"]
    f = theano.function([x], g, mode=FAST_RUN)
    assert [op.replace("1.0", "1") for op in ops_of(f)] == [
        "Elemwise{sigmoid,no_inplace}", "Composite{i0 * (1 - i0)}[(0, 0)]"]
    v = np.array([-1000.0, -2.0, 0.0, 3.0, 1000.0])
    s = 0.5 * (1 + np.tanh(v / 2))  # the logistic, written another way
    np.testing.assert_allclose(f(v), s * (1 - s), rtol=1e-14, atol=1e-300)


@pytest.mark.parametrize("form", ["indices", "one_hot"])
def test_crossentropy_gradient_is_one_op_and_finite(form):
    x = T.dmatrix("x")
    y = T.lvector("y") if form == "indices" else T.dmatrix("y")
    labels = LABELS if form == "indices" else np.eye(3)[LABELS]
    loss = T.nnet.categorical_crossentropy(T.nnet.softmax(x), y).mean()
    f = theano.function([x, y], [loss, T.grad(loss, x)], mode=FAST_RUN)
    ops = ops_of(f)
    assert "CrossentropySoftmax" in ops and "CrossentropySoftmaxDx" in ops
    assert not any(op in ops for op in ("Softmax", "SoftmaxGrad", "LogSoftmax"))
    value, grad = f(EXTREME, labels)
    expected = (softmax_ref(EXTREME) - np.eye(3)[LABELS]) / 3
    np.testing.assert_allclose(grad, expected, rtol=1e-13, atol=1e-300)
    moderate = EXTREME[1:2]
    naive = theano.function([x, y], [loss, T.grad(loss, x)], mode=AS_WRITTEN)
    for got, want in zip(f(moderate, labels[1:2]), naive(moderate, labels[1:2])):
        np.testing.assert_allclose(got, want, rtol=1e-13)
    with np.errstate(all="ignore"):
        assert not np.isfinite(naive(EXTREME, labels)[1]).all()  # 0 / 0 as written


def test_gradient_through_log_softmax_divides_by_nothing():
    # Not a cross-entropy: d/dx sum(log(softmax(x))) = 1 - n softmax(x), row by row.
    x = T.dmatrix("x")
    f = theano.function([x], T.grad(T.sum(T.log(T.nnet.softmax(x))), x), mode=FAST_RUN)
    assert not any("SoftmaxGrad" in op or "true_div" in op for op in ops_of(f))
    np.testing.assert_allclose(f(EXTREME), 1 - 3 * softmax_ref(EXTREME), rtol=1e-13,
                               atol=1e-300)


def test_new_ops_gradients_match_finite_differences():
    rng = np.random.default_rng(3)
    x0, g0 = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    dist = rng.dirichlet(np.ones(4), size=3)
    check(lambda x: nnet.crossentropy_softmax(x, LABELS)[0], x0)
    check(lambda x, t: nnet.crossentropy_softmax(x, t)[0], x0, dist)
    check(lambda x, t: nnet.crossentropy_softmax(x, t)[1], x0, dist)
    check(lambda g, y: nnet.softmax_grad(g, y), g0, softmax_ref(x0))
    check(lambda x: nnet.softmax(x), x0)


def test_softmax_grad_op_is_the_jacobian_product():
    g, y = T.dmatrices("g", "y")
    f = theano.function([g, y], nnet.softmax_grad(g, y), mode=AS_WRITTEN)
    rng = np.random.default_rng(1)
    gv = rng.normal(size=(3, 4))
    yv = softmax_ref(rng.normal(size=(3, 4)))
    expected = np.stack([(np.diag(r) - np.outer(r, r)).T @ gr for r, gr in zip(yv, gv)])
    np.testing.assert_allclose(f(gv, yv), expected, rtol=1e-13, atol=1e-15)


def test_crossentropy_softmax_dx_is_g_times_softmax_minus_one_hot():
    g, sm, y = T.dvector("g"), T.dmatrix("sm"), T.lvector("y")
    dx = theano.function([g, sm, y], nnet.crossentropy_softmax_dx(g, sm, y), mode=AS_WRITTEN)
    rng = np.random.default_rng(0)
    probs = softmax_ref(rng.normal(size=(4, 5)))
    gv, labels = rng.normal(size=4), np.array([0, 4, 2, 2])
    np.testing.assert_allclose(dx(gv, probs, labels),
                               gv[:, None] * (probs - np.eye(5)[labels]), rtol=1e-13)


def mlp_training_step(labels: str):
    """The second seed's training step: tanh hidden layer, softmax, categorical
    cross-entropy, SGD updates of W1, b1, W2, b2."""
    rng = np.random.default_rng(0)
    X = T.matrix("X", dtype="float64")
    y = T.matrix("y", dtype="float64") if labels == "one_hot" else T.lvector("y")
    W1 = theano.shared(rng.normal(size=(10, 20)), "W1")
    b1 = theano.shared(np.zeros(20), "b1")
    W2 = theano.shared(rng.normal(size=(20, 5)), "W2")
    b2 = theano.shared(np.zeros(5), "b2")
    hidden = T.tanh(T.dot(X, W1) + b1)
    output = T.nnet.softmax(T.dot(hidden, W2) + b2)
    loss = T.nnet.categorical_crossentropy(output, y).mean()
    params = [W1, b1, W2, b2]
    updates = [(p, p - 0.01 * g) for p, g in zip(params, T.grad(loss, params))]
    return [X, y], loss, updates, params


@pytest.mark.parametrize("labels", ["one_hot", "indices"])
def test_the_mlp_training_step_is_compact_and_computes_the_same(labels):
    rng = np.random.default_rng(1)
    Xv = rng.normal(size=(8, 10))
    idx = rng.integers(0, 5, size=8)
    yv = np.eye(5)[idx] if labels == "one_hot" else idx
    results = {}
    for name, mode in (("fast_run", FAST_RUN), ("as_written", AS_WRITTEN)):
        inputs, loss, updates, params = mlp_training_step(labels)
        f = theano.function(inputs, loss, updates=updates, mode=mode)
        results[name] = [f(Xv, yv)] + [p.get_value() for p in params]
        if name == "fast_run":
            ops = ops_of(f)
    for got, want in zip(results["fast_run"], results["as_written"]):
        np.testing.assert_allclose(got, want, rtol=1e-12)
    # PyTensor 3.0.7's FAST_RUN graph of the same step has 32 nodes (bench/workloads/rewrite.py).
    assert len(ops) <= 32, ops
    assert ops.count("CrossentropySoftmax") == 1 and ops.count("CrossentropySoftmaxDx") == 1
    # Two forward, with their bias and activation (DotBiasAct: chapter 5's
    # rewrite/dot_bias_act.py); three backward, two of which also update a weight
    # matrix in one BLAS call (Gemm: chapter 5's rewrite/blas.py).
    assert sum(op.startswith("DotBiasAct") for op in ops) == 2
    assert ops.count("Dot") == 1 and sum(op.startswith("Gemm") for op in ops) == 2
    assert not any(op in ops for op in ("Softmax", "SoftmaxGrad", "LogSoftmax"))
