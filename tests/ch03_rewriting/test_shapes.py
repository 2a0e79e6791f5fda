"""The ShapeFeature: x.shape without computing x, and rewrites that change a shape refused."""

import numpy as np
import pytest
from ch03_helpers import FAST_RUN, compile_ops

import minitheano as theano
from minitheano import tensor as T
from minitheano.rewrite import RewriteError
from minitheano.rewrite.engine import LOCAL_REWRITES, register
from minitheano.tensor.reduction import Sum

rng = np.random.default_rng(5)
x, y = T.dmatrices("x", "y")
A, B = rng.random((3, 4)), rng.random((4, 2))


def test_shape_of_a_product_does_not_compute_it():
    f, ops = compile_ops([x, y], T.exp(T.dot(x, y)).shape)
    assert "Dot" not in ops and not any("exp" in o for o in ops)
    np.testing.assert_array_equal(f(A, B), [3, 2])


def test_shape_of_an_input_stays_a_shape():
    f, ops = compile_ops([x], x.shape)
    assert ops == ["Shape"]
    np.testing.assert_array_equal(f(A), [3, 4])


def test_a_useless_fill_is_removed():
    f, ops = compile_ops([x], T.second(x, T.exp(x)), mode=FAST_RUN.excluding("fusion"))
    assert ops == ["Elemwise{exp,no_inplace}"]
    np.testing.assert_allclose(f(A), np.exp(A), rtol=1e-15)
    row = T.drow("r")
    f, ops = compile_ops([x, row], T.second(x, T.exp(row)), mode=FAST_RUN.excluding("fusion"))
    assert "Elemwise{second,no_inplace}" in ops  # the fill stretches the row: needed


@pytest.fixture
def wrong_sum_rewrite():
    @register("canonicalize", Sum)
    def sum_over_the_wrong_axis(fgraph, node):
        """A bug a reader might write: sum(x, axis=0) -> sum(x, axis=1)."""
        if node.op.axis == (0,):
            return [Sum((1,))(node.inputs[0])]
    yield
    del LOCAL_REWRITES["sum_over_the_wrong_axis"]


def test_a_rewrite_that_changes_a_shape_is_refused(wrong_sum_rewrite):
    with pytest.raises(RewriteError, match=r"sum_over_the_wrong_axis.*Sum\{axis=\[0\]\}.*"
                                           r"dimension 0"):
        theano.function([x], T.sum(x, axis=0), mode=FAST_RUN)


def test_lengths_made_equal_by_an_elementwise_node_are_equal():
    # x + y - x -> y: y's lengths are x's, because x + y required it.
    z = T.dmatrix("z")
    f, ops = compile_ops([x, z], x + z - x)
    assert ops == []
    np.testing.assert_array_equal(f(A, A * 2), A * 2)
