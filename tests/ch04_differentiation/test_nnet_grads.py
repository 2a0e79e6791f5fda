"""Gradients of T.nnet against finite differences, and the second seed's MLP
training step against a backward pass derived by hand in numpy."""

import numpy as np
import pytest
from gradcheck import check, op_grad, point, rng_for, softmax_ref

import minitheano as theano
from minitheano import tensor as T
from minitheano.gradient import NullTypeGradError
from minitheano.graph.null import is_undefined
from minitheano.tensor import random as raw_random

nnet = T.nnet

ACTIVATIONS = {
    "sigmoid": nnet.sigmoid, "softplus": nnet.softplus, "relu": nnet.relu,
    "leaky_relu": lambda x: nnet.relu(x, alpha=0.1), "softsign": nnet.softsign,
    "elu": nnet.elu, "selu": nnet.selu, "hard_sigmoid": nnet.hard_sigmoid,
}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation(name):
    rng = rng_for(name)
    x = point(rng, (3, 4), -3, 3)
    x[np.abs(x) < 0.1] += 0.3  # no point on the kink of relu & co at 0
    x[np.abs(np.abs(x) - 2.5) < 0.1] += 0.3  # nor on hard_sigmoid's at +-2.5
    check(ACTIVATIONS[name], x, rng=rng)


@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4)])
def test_softmax_and_log_softmax(shape):
    rng = rng_for(f"softmax{shape}")
    check(nnet.softmax, point(rng, shape), rng=rng)
    check(nnet.logsoftmax, point(rng, shape), rng=rng)
    check(lambda x, b: nnet.softmax_with_bias(x, b), point(rng, (3, 4)), point(rng, (4,)),
          rng=rng)


def test_softmax_gradient_is_jacobian_transposed_times_g():
    x = T.dvector("x")
    g = T.dvector("g")
    gx = T.Lop(nnet.softmax(x)[0], x, g)  # a vector's softmax is a 1 x n row
    xv, gv = np.array([0.5, -1.0, 2.0]), np.array([1.0, 2.0, -3.0])
    y = np.exp(xv) / np.exp(xv).sum()
    jacobian = np.diag(y) - np.outer(y, y)
    np.testing.assert_allclose(theano.function([x, g], gx)(xv, gv), jacobian.T @ gv)


# -- each op's own gradient graph against the Jacobian derived by hand ---------------

def test_softmax_and_logsoftmax_grads_match_their_jacobians():
    rng = rng_for("softmax and logsoftmax L_op")
    x = T.dmatrix("x")
    xv, gv = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    got_sm = op_grad(nnet.softmax(x), x, xv, gv)
    got_lsm = op_grad(nnet.logsoftmax(x), x, xv, gv)
    for i in range(3):
        y = softmax_ref(xv[i])
        jac_sm = np.diag(y) - np.outer(y, y)               # d y_k / d x_j
        jac_lsm = np.eye(4) - np.outer(np.ones(4), y)      # d log y_k / d x_j
        np.testing.assert_allclose(got_sm[i], gv[i] @ jac_sm, rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(got_lsm[i], gv[i] @ jac_lsm, rtol=1e-10, atol=1e-14)


def test_softmax_and_logsoftmax_r_op_match_their_jacobians():
    rng = rng_for("softmax and logsoftmax R_op")
    x, v = T.dvector("x"), T.dvector("v")
    xv, vv = rng.normal(size=4), rng.normal(size=4)
    y = softmax_ref(xv)
    for op, jac in ((nnet.softmax_op, np.diag(y) - np.outer(y, y)),
                    (nnet.logsoftmax_op, np.eye(4) - np.outer(np.ones(4), y))):
        (jv,) = op.R_op([x], [v])
        got = theano.function([x, v], jv)(xv, vv)
        np.testing.assert_allclose(got, jac @ vv, rtol=1e-10, atol=1e-14)


def test_crossentropy_1hot_grad():
    rng = rng_for("crossentropy_1hot_grad")
    coding, idx = T.dmatrix("coding"), T.lvector("idx")
    out = nnet.categorical_crossentropy(coding, idx)
    p = softmax_ref(rng.normal(size=(3, 4)))
    labels, g = np.array([1, 3, 1]), np.array([0.5, -2.0, 1.0])
    gs = T.dvector("g")
    gx, gy = out.owner.op.grad(out.owner.inputs, [gs])
    got = theano.function([coding, idx, gs], gx)(p, labels, g)
    expected = np.zeros_like(p)
    expected[np.arange(3), labels] = -g / p[np.arange(3), labels]
    np.testing.assert_allclose(got, expected)
    assert is_undefined(gy)
    # The gradient op's infer_shape agrees with the shape its perform gives.
    node = gx.owner
    assert type(node.op).__name__ == "CrossentropyCategorical1HotGrad"
    shapes = [tuple(T.shape_i(v, d) for d in range(v.ndim)) for v in node.inputs]
    lengths = [T.as_tensor_variable(n) for n in node.op.infer_shape(None, node, shapes)[0]]
    inferred = theano.function([coding, idx, gs], lengths, on_unused_input="ignore")
    assert tuple(int(n) for n in inferred(p, labels, g)) == got.shape


def test_crossentropies():
    rng = rng_for("xent")
    p = rng.uniform(0.1, 0.9, size=(4, 3))
    onehot = np.eye(3)[[2, 0, 1, 1]]
    check(lambda q: nnet.categorical_crossentropy(q, onehot), p, rng=rng)
    check(lambda q: nnet.categorical_crossentropy(q, np.array([2, 0, 1, 1])), p, rng=rng)
    check(lambda q: nnet.categorical_crossentropy(nnet.softmax(q), np.array([2, 0, 1, 1])),
          point(rng, (4, 3)), rng=rng)
    t = rng.uniform(0, 1, size=(4, 3))
    check(lambda q, u: nnet.binary_crossentropy(q, u), p, t, rng=rng)
    check(lambda z, u: nnet.sigmoid_binary_crossentropy(z, u), point(rng, (4, 3)), t, rng=rng)


def test_the_class_indices_have_no_gradient():
    p = T.dmatrix("p")
    y = T.lvector("y")
    cost = T.sum(nnet.categorical_crossentropy(p, y))
    T.grad(cost, p)
    with pytest.raises(NullTypeGradError, match="class indices"):
        T.grad(cost, y)


def test_no_gradient_through_a_draw():
    r = theano.shared(np.random.RandomState(0))
    low = T.dscalar("low")
    new_r, u = raw_random.uniform(r, (2,), low=low)
    grads = u.owner.op.grad(u.owner.inputs, [None, T.dvector()])
    assert all(is_undefined(g) for g in grads)


def test_random_draws_have_undefined_gradients_but_dropout_works():
    srng = T.shared_randomstreams.RandomStreams(seed=3)
    x = T.dvector("x")
    mask = srng.binomial(size=x.shape, p=0.5, dtype="float64")
    g = T.grad(T.sum(x * mask), x)
    f = theano.function([x], [g, mask])
    gv, mv = f(np.ones(6))
    np.testing.assert_array_equal(gv, mv)
    p = T.dscalar("p")
    with pytest.raises(NullTypeGradError, match="random"):
        T.grad(T.sum(srng.normal(size=(3,), avg=p)), p)


# ---------------------------------------------------------------------------
# The second seed's network: tanh hidden layer, softmax output, crossentropy.
# ---------------------------------------------------------------------------

def numpy_mlp_step(X, Y, W1, b1, W2, b2):
    """The loss and its gradients, by the chain rule written out by hand."""
    n = X.shape[0]
    a1 = X @ W1 + b1
    h = np.tanh(a1)
    a2 = h @ W2 + b2
    e = np.exp(a2 - a2.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    loss = np.mean(-np.sum(Y * np.log(p), axis=1))
    # d loss / d a2 = (p - y) / n  (softmax followed by crossentropy, rows of Y sum to 1)
    da2 = (p - Y) / n
    dW2, db2 = h.T @ da2, da2.sum(axis=0)
    dh = da2 @ W2.T
    da1 = dh * (1 - h ** 2)
    dW1, db1 = X.T @ da1, da1.sum(axis=0)
    return loss, [dW1, db1, dW2, db2]


def test_the_seed_mlp_gradients_match_a_hand_derived_backward_pass():
    rng = rng_for("mlp")
    input_size, hidden_size, output_size, batch = 10, 20, 5, 8
    values = [rng.normal(size=(input_size, hidden_size)), np.zeros(hidden_size) + 0.1,
              rng.normal(size=(hidden_size, output_size)), np.zeros(output_size) - 0.2]
    # The seed's code (np.random.randn replaced by a seeded generator).
    X = T.matrix('X')
    y = T.matrix('y')
    W1 = theano.shared(values[0])
    b1 = theano.shared(values[1])
    W2 = theano.shared(values[2])
    b2 = theano.shared(values[3])
    hidden = T.tanh(T.dot(X, W1) + b1)
    output = T.nnet.softmax(T.dot(hidden, W2) + b2)
    loss = T.nnet.categorical_crossentropy(output, y).mean()
    learning_rate = 0.01
    updates = [(param, param - learning_rate * T.grad(loss, param))
               for param in [W1, b1, W2, b2]]
    train = theano.function(inputs=[X, y], outputs=loss, updates=updates)

    Xv = rng.normal(size=(batch, input_size))
    Yv = np.eye(output_size)[rng.integers(0, output_size, size=batch)]
    params = [v.copy() for v in values]
    for _ in range(3):
        expected_loss, grads = numpy_mlp_step(Xv, Yv, *params)
        np.testing.assert_allclose(train(Xv, Yv), expected_loss, rtol=1e-12)
        params = [p - learning_rate * g for p, g in zip(params, grads)]
        for shared, p in zip([W1, b1, W2, b2], params):
            np.testing.assert_allclose(shared.get_value(), p, rtol=1e-10, atol=1e-14)
