"""theano.subgraph_grad: gradients a piece of the graph at a time add up to the whole
graph's (chapter 4), as in Theano's two-layer example."""

import numpy as np
import pytest

import minitheano as theano
from minitheano import tensor as T


def test_two_pieces_give_the_whole_gradient():
    rng = np.random.default_rng(5)
    x, t = T.dvector("x"), T.dvector("t")
    w1 = theano.shared(rng.normal(size=(3, 4)), name="w1")
    b1 = theano.shared(np.zeros(4), name="b1")
    w2 = theano.shared(rng.normal(size=(4, 2)), name="w2")
    b2 = theano.shared(np.zeros(2), name="b2")
    hidden = T.tanh(T.dot(x, w1) + b1)
    out = T.nnet.sigmoid(T.dot(hidden, w2) + b2)
    cost = T.sum((out - t) ** 2) + 0.1 * T.sum(w1 ** 2)  # a cost on each piece

    # The top piece: from the cost down to `hidden`, then the bottom piece from
    # `hidden` (its gradient known) down to x, adding the bottom's own cost term.
    top_wrt, (g_hidden,) = theano.subgraph_grad([w2, b2], [hidden],
                                                cost=T.sum((out - t) ** 2))
    bottom_wrt, _, from_start, from_cost = theano.subgraph_grad(
        [w1, b1], [x], start={hidden: g_hidden}, cost=0.1 * T.sum(w1 ** 2), details=True)
    whole = theano.grad(cost, [w2, b2, w1, b1])
    f = theano.function([x, t], [*top_wrt, *bottom_wrt, *whole, from_start[0], from_cost[0]],
                        mode="FAST_COMPILE")
    values = f(rng.normal(size=3), np.array([0.0, 1.0]))
    for piece, full in zip(values[:4], values[4:8]):
        np.testing.assert_allclose(piece, full, rtol=1e-12)
    np.testing.assert_allclose(values[8] + values[9], values[6], rtol=1e-12)


def test_subgraph_grad_needs_a_start_or_a_cost():
    x = T.dvector("x")
    with pytest.raises(ValueError, match="give start"):
        theano.subgraph_grad([x], [x])
