"""FAST_RUN and FAST_COMPILE compute the same results on chapter 1-2 graphs (chapter 3)."""

import numpy as np
import pytest

import minitheano as theano
from minitheano import tensor as T

rng = np.random.default_rng(4)
x, y = T.dmatrices("x", "y")
v, w = T.dvectors("v", "w")
s = T.dscalar("s")
M, N = rng.random((3, 3)) - 0.5, rng.random((3, 3)) - 0.5
a, b = rng.random(3) - 0.5, rng.random(3) - 0.5

# Graphs from chapters 1-2: the seeds' examples, broadcasting, reductions, dot, state.
CORPUS = [
    ("add scalars", [s, T.dscalar("t")], lambda i: i[0] + i[1], [1.5, 2.5]),
    ("logistic", [x], lambda i: 1 / (1 + T.exp(-i[0])), [M]),
    ("several outputs", [x, y], lambda i: [i[0] - i[1], abs(i[0] - i[1]), (i[0] - i[1]) ** 2],
     [M, N]),
    ("broadcast row", [x, v], lambda i: i[0] * i[1] + i[1] - i[0], [M, a]),
    ("reductions", [x], lambda i: [T.sum(i[0]), T.sum(i[0] * 2, axis=0),
                                   T.sum(i[0].sum(axis=1) * 3 - 1)], [M]),
    ("dot and tanh", [x, y, v], lambda i: T.tanh(T.dot(i[0], i[1]) + i[2]), [M, N, a]),
    ("dimshuffles", [x], lambda i: (i[0].T * 2).T + i[0].dimshuffle(1, 0).sum(axis=0), [M]),
    ("vector algebra", [v, w], lambda i: T.log(1 + T.exp(i[0] * i[1])) - i[0] / (i[1] + 2),
     [a, b]),
    ("constants", [v], lambda i: i[0] * (2 + 3) - T.constant(np.ones(3)) * 0 + 1, [a]),
    ("outer", [v, w], lambda i: T.outer(i[0], i[1]) / (T.outer(i[0], i[1]) + 1), [a, b]),
    ("powers", [v], lambda i: i[0] ** 2 + abs(i[0]) ** 0.5 - i[0] * i[0], [a]),
]


@pytest.mark.parametrize("name, inputs, build, values", CORPUS, ids=[c[0] for c in CORPUS])
def test_fast_run_and_fast_compile_agree(name, inputs, build, values):
    outputs = build(inputs)
    results = []
    for mode in ("FAST_RUN", "FAST_COMPILE", theano.Mode("py", None)):
        f = theano.function(inputs, outputs, mode=mode)
        results.append(f(*values))
    fast_run, fast_compile, as_written = (r if isinstance(r, list) else [r] for r in results)
    for r1, r2, r3 in zip(fast_run, fast_compile, as_written):
        np.testing.assert_allclose(r1, r2, rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(r1, r3, rtol=1e-13, atol=1e-15)


def test_the_training_loop_of_the_first_seed():
    xs = T.fvector("x")
    target = T.fscalar("target")
    results = {}
    for mode in ("FAST_RUN", "FAST_COMPILE"):
        W = theano.shared(np.asarray([0.2, 0.7]), "W")
        yv = (xs * W).sum()
        cost = T.sqr(target - yv)
        gW = 2 * (yv - target) * xs  # the gradient, by hand (chapter 4 derives it)
        f = theano.function([xs, target], yv, updates=[(W, W - 0.1 * gW)], mode=mode)
        results[mode] = [float(f([1.0, 1.0], 20.0)) for _ in range(10)]
        assert cost is not None
    np.testing.assert_allclose(results["FAST_RUN"], results["FAST_COMPILE"], rtol=1e-12)
    assert results["FAST_RUN"][-1] > 19.0
