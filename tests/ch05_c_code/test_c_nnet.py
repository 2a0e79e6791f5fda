"""The nnet forward kernels (softmax, log-softmax, cross-entropy against class
indices) in C, against their Python ops."""

from __future__ import annotations

import numpy as np
import pytest
from ch05_kernels import Compiled, assert_same, run_python

import minitheano as th
from minitheano import tensor as T
from minitheano.tensor.nnet import CrossentropyCategorical1Hot, LogSoftmax, Softmax
from minitheano.tensor.type import TensorType

BCAST = {1: (False,), 2: (False, False), 3: (False, False, False)}


@pytest.fixture(scope="module")
def compiled():
    nodes, cases = [], []
    for op in (Softmax(), LogSoftmax()):
        for dtype in ("float64", "float32"):
            for ndim in (1, 2, 3):
                nodes.append(op.make_node(TensorType(dtype, BCAST[ndim])()))
                cases.append(("softmax", dtype, ndim))
    for dtype in ("float64", "float32"):
        for index in ("int64", "int32", "uint8"):
            nodes.append(CrossentropyCategorical1Hot().make_node(
                TensorType(dtype, BCAST[2])(), TensorType(index, (False,))()))
            cases.append(("xent", dtype, index))
    return Compiled(nodes), cases


def test_softmaxes_on_every_layout(compiled):
    comp, cases = compiled
    rng = np.random.default_rng(3)
    for i, (kind, dtype, ndim) in enumerate(cases):
        if kind != "softmax":
            continue
        for shape in [(5,), (4, 7), (2, 3, 6), (3, 0), (0, 4), (1, 1), (2, 1, 3)]:
            if len(shape) != ndim:
                continue
            x = (rng.normal(size=shape) * 10).astype(dtype)
            if x.size > 4:
                x.flat[2] = 800.0 if dtype == "float64" else 80.0  # exp would overflow unshifted
            big = np.zeros(tuple(2 * n for n in shape), dtype=dtype)
            strided = big[(slice(None, None, 2),) * ndim]
            strided[...] = x
            for value in (x, x.copy(order="F"), strided, x[(slice(None, None, -1),) * ndim]):
                try:
                    expected = run_python(comp.nodes[i], value)[0]
                except ValueError as e:  # rows of length 0 have no max: C must refuse too
                    with pytest.raises(ValueError, match=str(e)[:30]):
                        comp.run(i, value)
                    continue
                assert_same(comp.run(i, value)[0], expected, dtype, exact=False,
                            what=f"{comp.nodes[i].op} {shape}")


def test_crossentropy_against_class_indices(compiled):
    comp, cases = compiled
    rng = np.random.default_rng(4)
    for i, (kind, dtype, index) in enumerate(cases):
        if kind != "xent":
            continue
        p = rng.random((6, 4)).astype(dtype)
        y = rng.integers(0, 4, size=6).astype(index)
        assert_same(comp.run(i, p, y)[0], run_python(comp.nodes[i], p, y)[0], dtype, exact=False)
        assert_same(comp.run(i, p.T.copy().T, y[::-1].copy()[::-1])[0],
                    run_python(comp.nodes[i], p, y)[0], dtype, exact=False)
        bad = y.copy()
        bad[3] = 4
        with pytest.raises(IndexError, match="class index 4 .row 3. is out of range"):
            comp.run(i, p, bad)


def test_softmax_regression_in_fast_run():
    x, w, y = T.dmatrix("x"), T.dmatrix("w"), T.lvector("y")
    p = T.nnet.softmax(T.dot(x, w))
    cost = T.mean(T.nnet.categorical_crossentropy(p, y))
    f = th.function([x, w, y], [p, cost, T.argmax(p, axis=1)])
    rng = np.random.default_rng(0)
    a, b, labels = rng.normal(size=(8, 3)), rng.normal(size=(3, 5)), rng.integers(0, 5, 8)
    probs, c, pred = f(a, b, labels)
    z = a @ b
    e = np.exp(z - z.max(axis=1, keepdims=True))
    expected = e / e.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(probs, expected, rtol=1e-12)
    np.testing.assert_allclose(c, -np.log(expected[np.arange(8), labels]).mean(), rtol=1e-12)
    np.testing.assert_array_equal(pred, expected.argmax(axis=1))
