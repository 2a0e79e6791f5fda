"""theano.as_op (a numpy function as an Op) and theano.clone (chapter 2)."""

import numpy as np
import pytest

import minitheano as theano
from minitheano import tensor as T


@theano.as_op(itypes=[T.dmatrix], otypes=[T.dvector],
              infer_shape=lambda node, shapes: [(shapes[0][0],)])
def row_norms(m):
    return np.sqrt((m ** 2).sum(axis=1))


@pytest.mark.parametrize("mode", ["FAST_COMPILE", "FAST_RUN"])
def test_as_op_runs_the_function(mode):
    x = T.dmatrix("x")
    out = row_norms(x) * 2
    value = np.arange(6.0).reshape(2, 3)
    f = theano.function([x], [out, out.shape], mode=mode)
    norms, shape = f(value)
    np.testing.assert_allclose(norms, 2 * np.linalg.norm(value, axis=1))
    assert tuple(shape) == (2,)
    assert str(out.owner.inputs[0].owner.op) == "FromFunctionOp{row_norms}"


@pytest.mark.ch04  # needs chapter 4 (T.grad)
def test_as_op_checks_types_and_has_no_gradient():
    with pytest.raises(TypeError, match="input 0 must be a TensorType"):
        row_norms(T.fmatrix())
    with pytest.raises(TypeError, match="must hold Types"):
        theano.as_op(itypes=["dmatrix"], otypes=[T.dvector])
    x = T.dmatrix("x")
    with pytest.raises(NotImplementedError, match="as_op and has no gradient"):
        theano.grad(row_norms(x).sum(), x)


def test_clone_replaces_and_leaves_the_original():
    x, z = T.dvector("x"), T.dvector("z")
    y = T.exp(x) * 2
    y2 = theano.clone(y, replace={x: z})
    f = theano.function([x, z], [y, y2])
    a, b = f(np.array([0.0]), np.array([1.0]))
    np.testing.assert_allclose([a[0], b[0]], [2.0, 2 * np.e])
    with pytest.raises(NotImplementedError, match="share_inputs=False"):
        theano.clone(y, share_inputs=False)
