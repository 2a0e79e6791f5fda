"""CrossentropySoftmax and CrossentropySoftmaxDx in C (link/c/crossentropy_loops.py),
against their numpy performs: generated shapes and values (-inf logits, one row,
every layout), the errors the performs raise, and gradients by finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from ch05_kernels import Compiled, assert_same, run_python
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

import minitheano as th
from minitheano import tensor as T
from minitheano.gradient import verify_grad
from minitheano.link.c.library import module_of
from minitheano.tensor.nnet.nnet import crossentropy_softmax, crossentropy_softmax_dx
from minitheano.tensor.type import TensorType

DTYPES = ("float64", "float32")
INDEX_DTYPES = ("int64", "int32", "uint8")
MATRIX, VECTOR = (False, False), (False,)


@pytest.fixture(scope="module")
def compiled():
    """Both ops for every float and index dtype, in one module: (Compiled, cases)."""
    nodes, cases = [], []
    for dtype in DTYPES:
        for index in INDEX_DTYPES:
            x, y = TensorType(dtype, MATRIX)(), TensorType(index, VECTOR)()
            nodes.append(crossentropy_softmax.make_node(x, y))
            cases.append(("fwd", dtype, index))
            g = TensorType(dtype, VECTOR)()
            nodes.append(crossentropy_softmax_dx.make_node(g, x, y))
            cases.append(("dx", dtype, index))
    return Compiled(nodes), cases


def _layouts(a: np.ndarray) -> list[np.ndarray]:
    """a itself, Fortran order, every other element of a bigger array, reversed rows."""
    big = np.zeros((2 * a.shape[0], 2 * a.shape[1]), dtype=a.dtype)
    strided = big[::2, ::2]
    strided[...] = a
    return [a, np.asfortranarray(a), strided, a[::-1, ::-1].copy()[::-1, ::-1]]


@st.composite
def _problem(draw):
    rows = draw(st.integers(1, 7))
    classes = draw(st.integers(1, 9))
    values = st.one_of(st.floats(-30, 30, allow_nan=False),
                       st.sampled_from([-np.inf, 0.0, 700.0]))
    x = np.array(draw(st.lists(values, min_size=rows * classes, max_size=rows * classes)))
    y = np.array(draw(st.lists(st.integers(0, classes - 1), min_size=rows, max_size=rows)))
    g = np.array(draw(st.lists(st.floats(-3, 3), min_size=rows, max_size=rows)))
    return x.reshape(rows, classes), y, g


@settings(max_examples=40, deadline=None, derandomize=True, phases=[Phase.generate])
@given(problem=_problem(), which=st.integers(0, len(DTYPES) * len(INDEX_DTYPES) - 1),
       layout=st.integers(0, 3))
def test_c_matches_the_perform(compiled, problem, which, layout):
    comp, cases = compiled
    x, y, g = problem
    _, dtype, index = cases[2 * which]
    x, y, g = x.astype(dtype), y.astype(index), g.astype(dtype)
    with np.errstate(all="ignore"):  # -inf rows give NaN, in both
        x_in = _layouts(x)[layout]
        before = x_in.copy()
        loss, sm = comp.run(2 * which, x_in, y)
        py_loss, py_sm = run_python(comp.nodes[2 * which], x, y)
        what = f"{dtype} {index} {x.shape} layout {layout}"
        assert_same(loss, py_loss, dtype, exact=False, what=what)
        assert_same(sm, py_sm, dtype, exact=False, what=what)
        dx = comp.run(2 * which + 1, g, _layouts(py_sm)[layout], y)[0]
        assert_same(dx, run_python(comp.nodes[2 * which + 1], g, py_sm, y)[0], dtype,
                    exact=False, what=what)
    np.testing.assert_array_equal(x_in, before)  # the caller's logits untouched


def test_bad_labels_and_shapes_raise_the_performs_errors(compiled):
    comp, cases = compiled
    x, g = np.random.default_rng(0).normal(size=(4, 3)), np.ones(4)
    for i, (kind, dtype, index) in enumerate(cases):
        if dtype != "float64":
            continue
        for bad, where in ((3, 2), (200, 0)):
            y = np.array([0, 1, 2, 1], dtype=index)
            y[where] = bad
            args = (x, y) if kind == "fwd" else (g, x, y)
            with pytest.raises(IndexError, match=f"class index {bad} .row {where}. is out"):
                comp.run(i, *args)
        short = np.array([0, 1], dtype=index)
        with pytest.raises(ValueError, match="4 rows of probabilities"):
            comp.run(i, *((x, short) if kind == "fwd" else (g, x, short)))
    with pytest.raises(ValueError, match="zero-size array"):  # no classes: no max
        comp.run(0, np.zeros((2, 0)), np.zeros(2, dtype="int64"))


def test_one_row_and_no_rows(compiled):
    comp, _ = compiled
    x = np.array([[1.0, -np.inf, 3.0]])
    loss, sm = comp.run(0, x, np.array([2]))
    np.testing.assert_allclose(sm, [[np.exp(-2) / (1 + np.exp(-2)), 0, 1 / (1 + np.exp(-2))]])
    np.testing.assert_allclose(loss, [np.log1p(np.exp(-2))])
    loss, sm = comp.run(0, np.zeros((0, 3)), np.zeros(0, dtype="int64"))
    assert loss.shape == (0,) and sm.shape == (0, 3)


def test_fast_run_uses_the_c_kernels_and_gradients_hold():
    x, y = T.dmatrix("x"), T.lvector("y")
    cost = T.mean(T.nnet.categorical_crossentropy(T.nnet.softmax(x), y))
    f = th.function([x, y], [cost, T.grad(cost, x)])
    source, _ = module_of(f.maker.fgraph)
    assert "CrossentropySoftmax (" in source and "CrossentropySoftmaxDx (" in source
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 5, 6)
    verify_grad(lambda v: T.mean(T.nnet.categorical_crossentropy(T.nnet.softmax(v), labels)),
                [rng.normal(size=(6, 5))], mode="FAST_RUN")
