"""`theano.scan_checkpoints`: scan without checkpointing (a documented difference, issue 11).

It is a loop, so its tests live with chapter 7: blanking the loop's exercises must not
break earlier chapters' tests."""

import numpy as np
import pytest

import minitheano as theano
from minitheano import tensor as T
from minitheano.gradient import verify_grad

RNG = np.random.default_rng(11)


def step(x_t, h):
    return T.tanh(x_t + 0.5 * h)


def test_scan_checkpoints_computes_what_scan_does():
    x, h0 = T.dmatrix("x"), T.dvector("h0")
    xs, start = RNG.normal(size=(7, 3)), RNG.normal(size=3)
    hs, updates = theano.scan_checkpoints(step, sequences=[x], outputs_info=[h0],
                                          save_every_N=3)
    assert not updates
    expected, h = [], start
    for row in xs:
        h = np.tanh(row + 0.5 * h)
        expected.append(h)
    np.testing.assert_allclose(theano.function([x, h0], hs)(xs, start), expected, rtol=1e-12)
    with pytest.raises(ValueError, match="save_every_N must be a positive int"):
        theano.scan_checkpoints(T.tanh, sequences=[x], save_every_N=0)


def test_scan_checkpoints_gradient():
    def last_state(x, h0):
        hs, _ = theano.scan_checkpoints(step, sequences=[x], outputs_info=[h0],
                                        save_every_N=2)
        return hs[-1]

    verify_grad(last_state, [RNG.normal(size=(5, 3)), RNG.normal(size=3)], rng=RNG)
