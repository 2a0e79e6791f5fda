"""theano.OpFromGraph: a graph packaged as one op (chapter 2); its gradient is checked
against finite differences."""

import numpy as np
import pytest

import minitheano as theano
from minitheano import tensor as T
from minitheano.gradient import verify_grad


def make_op():
    x, y = T.dmatrices("x", "y")
    return theano.OpFromGraph([x, y], [T.dot(x, y) + 1, T.exp(x).sum()], name="affine")


@pytest.mark.parametrize("mode", ["FAST_COMPILE", "FAST_RUN"])
def test_op_from_graph_runs_the_inner_graph(mode):
    op = make_op()
    a, b = T.dmatrices("a", "b")
    prod, total = op(a, b)
    twice = op(b, a)[0]
    f = theano.function([a, b], [prod, total, twice, prod.shape], mode=mode)
    av, bv = np.arange(4.0).reshape(2, 2), np.ones((2, 2))
    got = f(av, bv)
    np.testing.assert_allclose(got[0], av @ bv + 1)
    np.testing.assert_allclose(got[1], np.exp(av).sum())
    np.testing.assert_allclose(got[2], bv @ av + 1)
    assert tuple(got[3]) == (2, 2)
    assert str(prod.owner.op) == "OpFromGraph{affine}"


@pytest.mark.ch04  # needs chapter 4 (T.grad)
def test_op_from_graph_gradient():
    op = make_op()
    verify_grad(lambda a, b: op(a, b)[0] * op(a, b)[1], [np.eye(2) * 0.3, np.ones((2, 2))],
                rng=np.random.default_rng(0))


def test_op_from_graph_errors():
    x, y = T.dmatrices("x", "y")
    with pytest.raises(ValueError, match="not one of the inputs"):
        theano.OpFromGraph([x], [x + y])
    op = make_op()
    with pytest.raises(TypeError, match="input 1 must be a TensorType"):
        op(x, T.dvector())
