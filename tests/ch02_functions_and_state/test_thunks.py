"""A thunk is a node bound to its storage cells: it reads them when called, not when made."""

import numpy as np

from minitheano import tensor as T


def test_a_thunk_reads_its_input_cells_when_it_runs():
    x, y = T.dmatrix("x"), T.dmatrix("y")
    node = T.dot(x, y).owner  # Dot: the default thunk, which calls perform
    a_cell, b_cell, out_cell = [None], [None], [None]
    thunk = node.op.make_py_thunk(node, [a_cell, b_cell], [out_cell])
    assert out_cell == [None]  # making a thunk computes nothing
    a, b = np.arange(6.0).reshape(2, 3), np.arange(12.0).reshape(3, 4)
    a_cell[0], b_cell[0] = a, b
    thunk()
    np.testing.assert_array_equal(out_cell[0], a @ b)
    a_cell[0] = 2 * a  # new contents, same thunk
    thunk()
    np.testing.assert_array_equal(out_cell[0], 2 * a @ b)


def test_a_reduction_thunk_writes_its_output_cell():
    v = T.dvector("v")
    node = v.sum().owner
    cells = [[np.array([1.0, 2.0, 4.0])]], [[None]]
    node.op.make_py_thunk(node, *cells)()
    assert cells[1][0][0] == 7.0
