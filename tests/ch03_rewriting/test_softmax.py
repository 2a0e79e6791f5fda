"""Stable softmax losses (chapter 3): log_softmax and the cross-entropy from logits.

Reference values come from numpy written independently of the library:
log_softmax(x) = x - logaddexp.reduce(x) per row, which never forms exp(1000).
"""

from __future__ import annotations

import numpy as np
import pytest
from ch03_helpers import AS_WRITTEN, FAST_RUN, compile_ops, fired

import minitheano as theano
from minitheano import tensor as T
from minitheano.tensor import nnet

EXTREME = np.array([[1000.0, 0.0, -5.0], [0.5, -0.25, 2.0], [-800.0, 800.0, 0.0]])
LABELS = np.array([1, 2, 0])


def log_softmax_ref(x):
    return x - np.logaddexp.reduce(x, axis=-1, keepdims=True)


def one_hot(labels, n):
    return np.eye(n)[labels]


def test_log_of_softmax_is_log_softmax_and_finite():
    x = T.dmatrix("x")
    out = T.log(T.nnet.softmax(x))
    f, ops = compile_ops([x], out)
    assert ops == ["LogSoftmax"] and fired(f)["log_softmax"] == 1
    np.testing.assert_allclose(f(EXTREME), log_softmax_ref(EXTREME), rtol=1e-14)
    with np.errstate(divide="ignore"):
        naive = theano.function([x], out, mode=AS_WRITTEN)(EXTREME)
    assert np.isneginf(naive).any()  # what it was before the rewrite


def test_log_of_a_softmax_read_elsewhere_keeps_the_softmax():
    x = T.dmatrix("x")
    sm = T.nnet.softmax(x)
    f, ops = compile_ops([x], [sm, T.log(sm)])
    assert sorted(ops) == ["LogSoftmax", "Softmax"]
    s, ls = f(EXTREME)
    np.testing.assert_allclose(ls, log_softmax_ref(EXTREME), rtol=1e-14)
    np.testing.assert_allclose(s, np.exp(log_softmax_ref(EXTREME)), rtol=1e-14)


@pytest.mark.parametrize("form", ["indices", "one_hot"])
def test_crossentropy_of_softmax_is_one_op_from_the_logits(form):
    x = T.dmatrix("x")
    y = T.lvector("y") if form == "indices" else T.dmatrix("y")
    labels = LABELS if form == "indices" else one_hot(LABELS, 3)
    loss = T.nnet.categorical_crossentropy(T.nnet.softmax(x), y)
    f, ops = compile_ops([x, y], loss)
    assert ops == ["CrossentropySoftmax"]
    expected = -log_softmax_ref(EXTREME)[np.arange(3), LABELS]
    np.testing.assert_allclose(f(EXTREME, labels), expected, rtol=1e-14)
    assert np.isfinite(f(EXTREME, labels)).all()
    with np.errstate(divide="ignore", invalid="ignore"):
        naive = theano.function([x, y], loss, mode=AS_WRITTEN)(EXTREME, labels)
    assert not np.isfinite(naive).all()  # log(0) as written


def test_the_crossentropy_op_also_gives_the_softmax_to_its_other_readers():
    x, y = T.dmatrix("x"), T.lvector("y")
    sm = T.nnet.softmax(x)
    f, ops = compile_ops([x, y], [T.nnet.categorical_crossentropy(sm, y).mean(), sm],
                         mode=FAST_RUN.excluding("fusion", "inplace"))
    assert "Softmax" not in ops and ops.count("CrossentropySoftmax") == 1
    loss, s = f(EXTREME, LABELS)
    np.testing.assert_allclose(s, np.exp(log_softmax_ref(EXTREME)), rtol=1e-14)
    np.testing.assert_allclose(loss, -log_softmax_ref(EXTREME)[np.arange(3), LABELS].mean(),
                               rtol=1e-14)


def test_no_crossentropy_rewrite_without_a_softmax():
    p, y = T.dmatrix("p"), T.lvector("y")
    f, ops = compile_ops([p, y], T.nnet.categorical_crossentropy(p, y))
    assert ops == ["CrossentropyCategorical1Hot"]
    probs = np.exp(log_softmax_ref(EXTREME[1:2]))
    np.testing.assert_allclose(f(probs, [2]), -np.log(probs[0, 2:3]), rtol=1e-14)


def test_targets_computed_from_the_softmax_are_left_alone():
    # -sum(sm * log(sm)): the entropy.  Replacing sm by the new op's output would
    # make the op read its own output.
    x = T.dmatrix("x")
    sm = T.nnet.softmax(x)
    f, ops = compile_ops([x], T.nnet.categorical_crossentropy(sm, sm))
    assert "CrossentropySoftmax" not in ops
    v = EXTREME[1:2]
    ls = log_softmax_ref(v)
    np.testing.assert_allclose(f(v), -np.sum(np.exp(ls) * ls, axis=-1), rtol=1e-13)


def test_crossentropy_op_values_shapes_and_errors():
    x, y, t = T.dmatrix("x"), T.lvector("y"), T.dmatrix("t")
    rng = np.random.default_rng(0)
    v = rng.normal(size=(4, 5))
    dist = rng.dirichlet(np.ones(5), size=4)
    loss, sm = nnet.crossentropy_softmax(x, t)
    f = theano.function([x, t], [loss, sm, loss.shape, sm.shape], mode=AS_WRITTEN)
    got_loss, got_sm, loss_shape, sm_shape = f(v, dist)
    np.testing.assert_allclose(got_loss, -np.sum(dist * log_softmax_ref(v), axis=-1),
                               rtol=1e-13)
    np.testing.assert_allclose(got_sm, np.exp(log_softmax_ref(v)), rtol=1e-13)
    assert tuple(loss_shape) == (4,) and tuple(sm_shape) == (4, 5)
    f1 = theano.function([x, y], nnet.crossentropy_softmax(x, y)[0], mode=AS_WRITTEN)
    with pytest.raises(IndexError, match=r"class index 5 \(row 1\) is out of range for 5"):
        f1(v, np.array([0, 5, 1, 1]))
    with pytest.raises(TypeError, match="class indices .* or distributions"):
        nnet.crossentropy_softmax(x, T.dvector("t"))
    with pytest.raises(TypeError, match="needs floats"):
        nnet.crossentropy_softmax(T.lmatrix("i"), y)

