"""DimShuffle's own thunk (a transpose, or new axes by indexing) against its perform:
the same shape and values, a view of the input, for generated patterns."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minitheano.tensor.elemwise import DimShuffle
from minitheano.tensor.type import TensorType


@st.composite
def patterns(draw):
    """(input broadcastable, new_order, a value of that type)."""
    ndim = draw(st.integers(0, 3))
    bcast = tuple(draw(st.lists(st.booleans(), min_size=ndim, max_size=ndim)))
    kept = [d for d in range(ndim) if not bcast[d] or draw(st.booleans())]
    order: list = draw(st.permutations(kept))
    for _ in range(draw(st.integers(0, 2))):
        order.insert(draw(st.integers(0, len(order))), "x")
    shape = tuple(1 if b else draw(st.integers(0, 4)) for b in bcast)
    value = np.arange(float(np.prod(shape))).reshape(shape)
    if draw(st.booleans()) and ndim:  # a strided input
        value = np.repeat(value, 2, axis=-1)[..., ::2]
    return bcast, tuple(order), value


@settings(max_examples=150, deadline=None)
@given(patterns())
def test_the_thunk_gives_what_perform_gives(pattern):
    bcast, order, value = pattern
    op = DimShuffle(bcast, order)
    node = op.make_node(TensorType("float64", bcast)())
    expected = [None]
    op.perform(node, [value], [expected])
    cell = [None]
    op.make_py_thunk(node, [[value]], [cell])()
    got = cell[0]
    assert isinstance(got, np.ndarray) and got.shape == expected[0].shape
    np.testing.assert_array_equal(got, expected[0])
    assert got.base is not None or got is value  # a view, never a copy
    if value.size:
        assert np.shares_memory(got, value)


def test_a_dropped_dimension_of_length_two_still_fails():
    op = DimShuffle((True, False), (1,))
    node = op.make_node(TensorType("float64", (True, False))())
    with pytest.raises(ValueError, match=r"DimShuffle\{1\} drops dimension 0, which has "
                                         r"length 2, not 1 \(input shape \(2, 3\)\)"):
        op.make_py_thunk(node, [[np.zeros((2, 3))]], [[None]])()
