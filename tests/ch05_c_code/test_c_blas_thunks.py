"""Dot and Gemm nodes as C thunks calling BLAS (link/c/blas_thunks.py, blas_calls.c):
generated shapes and layouts against numpy, the C path taken where BLAS can read
the arrays and refused where it cannot, errors as in Python, caller arrays kept."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

import minitheano as th
import minitheano.tensor as T
from minitheano.link.c.blas_thunks import blas_library, blas_thunks
from minitheano.tensor.blas import gemm_inplace, gemm_no_inplace
from minitheano.tensor.math import Dot
from minitheano.tensor.type import TensorType

MT_OK, MT_REFUSED = 0, 3
LAYOUTS = ("c", "fortran", "transposed", "strided", "reversed", "one-row-view")


def _lay(a: np.ndarray, layout: str) -> np.ndarray:
    """The values of `a` (2-d) in another memory layout."""
    if layout == "fortran":
        return np.asfortranarray(a)
    if layout == "transposed":
        return a.T.copy().T
    if layout == "strided":
        big = np.zeros((a.shape[0], 2 * a.shape[1] + 1), dtype=a.dtype)
        big[:, 1::2] = a
        return big[:, 1::2]
    if layout == "reversed":
        return a[::-1].copy()[::-1]
    if layout == "one-row-view" and a.shape[0] == 1:
        return np.broadcast_to(a, (1, a.shape[1]))  # a length-1 dimension with stride 0
    return a


def _blas_reads(a: np.ndarray) -> bool:
    """Can BLAS read `a` as is (what blas_calls.c should accept)?"""
    item, (r, c), (s0, s1) = a.itemsize, a.shape, a.strides
    rows = (s1 == item or c == 1) and (r == 1 or (s0 % item == 0 and s0 >= c * item))
    cols = (s0 == item or r == 1) and (c == 1 or (s1 % item == 0 and s1 >= r * item))
    return rows or cols


def _run(node, *values, reuse=True):
    storage = {v: [x] for v, x in zip(node.inputs, values)}
    storage.update({v: [None] for v in node.outputs})
    (thunk,) = blas_thunks([node], storage, lambda n: reuse)
    assert thunk is not None
    thunk()
    return storage[node.outputs[0]][0]


dims = st.integers(0, 7)


@settings(max_examples=60, deadline=None, derandomize=True, phases=[Phase.generate])
@given(m=dims, k=dims, n=dims, dtype=st.sampled_from(["float64", "float32"]),
       lx=st.sampled_from(LAYOUTS), ly=st.sampled_from(LAYOUTS), seed=st.integers(0, 99))
def test_dot_matches_numpy_on_every_layout(m, k, n, dtype, lx, ly, seed):
    rng = np.random.default_rng(seed)
    x = _lay(rng.normal(size=(m, k)).astype(dtype), lx)
    y = _lay(rng.normal(size=(k, n)).astype(dtype), ly)
    x_before, y_before = x.copy(), y.copy()
    node = Dot().make_node(TensorType(dtype, (False, False))(),
                           TensorType(dtype, (False, False))())
    out = _run(node, x, y)
    tol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(out, np.dot(x, y), rtol=tol, atol=tol)
    assert out.dtype == dtype and out.shape == (m, n)
    np.testing.assert_array_equal(x, x_before)
    np.testing.assert_array_equal(y, y_before)
    # The C path where BLAS reads both (and nothing is empty), Python otherwise.
    fresh = np.empty((m, n), dtype)
    code = blas_library().kernels["mt_dot"](x, y, fresh)
    takes = _blas_reads(x) and _blas_reads(y) and min(m, k, n) > 0
    assert code == (MT_OK if takes else MT_REFUSED), (x.strides, y.strides, code)


@settings(max_examples=60, deadline=None, derandomize=True, phases=[Phase.generate])
@given(m=dims, k=dims, n=dims, dtype=st.sampled_from(["float64", "float32"]),
       lz=st.sampled_from(LAYOUTS), lx=st.sampled_from(LAYOUTS), inplace=st.booleans(),
       a=st.sampled_from([-0.1, 2.5, 0.0]), b=st.sampled_from([1.0, -0.5, 0.0]),
       seed=st.integers(0, 99))
def test_gemm_matches_numpy(m, k, n, dtype, lz, lx, inplace, a, b, seed):
    rng = np.random.default_rng(seed)
    z, x = rng.normal(size=(m, n)).astype(dtype), rng.normal(size=(m, k)).astype(dtype)
    # A NaN where a factor is 0: BLAS would skip it, numpy (and the graph) keep it.
    if b == 0 and z.size:
        z[0, 0] = np.nan
    if a == 0 and x.size:
        x[0, 0] = np.nan
    z, x = _lay(z, lz), _lay(x, lx)
    y = rng.normal(size=(n, k)).astype(dtype).T
    if inplace and not z.flags.writeable:  # (a broadcast view cannot be written in place)
        z = z.copy()
    x_before, y_before, z_before = x.copy(), y.copy(), z.copy()
    op = gemm_inplace if inplace else gemm_no_inplace
    node = op.make_node(z, np.asarray(a, dtype), x, y, np.asarray(b, dtype))
    out = _run(node, z, np.asarray(a, dtype), x, y, np.asarray(b, dtype))
    with np.errstate(invalid="ignore"):
        expected = b * z_before + a * np.dot(x, y)
    tol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(out, expected, rtol=tol, atol=tol)  # NaN where numpy has NaN
    np.testing.assert_array_equal(x, x_before)
    np.testing.assert_array_equal(y, y_before)
    if inplace:
        assert out is z  # the promised buffer holds the result
    else:
        np.testing.assert_array_equal(z, z_before)


def test_gemm_takes_a_plain_case_in_c():
    """The cases above agree with numpy whichever path ran; here C must run."""
    z = np.ones((3, 2))
    code = blas_library().kernels["mt_gemm"](z, np.asarray(2.5), np.ones((3, 4)),
                                             np.ones((4, 2)), np.asarray(-0.5), z)
    assert code == MT_OK
    np.testing.assert_array_equal(z, np.full((3, 2), -0.5 + 2.5 * 4))


def test_gemm_in_place_with_x_inside_z_reads_x_before_writing():
    z = np.arange(9.0).reshape(3, 3)
    expected = 1.0 * z + 2.0 * (z @ z)
    node = gemm_inplace.make_node(z, np.asarray(2.0), z, z, np.asarray(1.0))
    code = blas_library().kernels["mt_gemm"](z, np.asarray(2.0), z, z, np.asarray(1.0), z)
    assert code == MT_REFUSED  # X and Y lie in Z: Python's way, which copies
    np.testing.assert_allclose(_run(node, z, np.asarray(2.0), z, z, np.asarray(1.0)), expected)


def test_shape_errors_are_pythons():
    x, y = T.dmatrix("x"), T.dmatrix("y")
    f = th.function([x, y], T.dot(x, y))
    with pytest.raises(ValueError, match="not aligned"):
        f(np.ones((2, 3)), np.ones((4, 2)))
    node = gemm_no_inplace.make_node(T.dmatrix("z"), np.asarray(1.5), x, y, np.asarray(1.0))
    with pytest.raises(ValueError, match="shapes do not fit"):
        _run(node, np.ones((2, 2)), np.asarray(1.5), np.ones((2, 3)), np.ones((3, 3)),
             np.asarray(1.0))


def test_a_kept_output_is_never_overwritten_by_the_next_call():
    x, y = T.dmatrix("x"), T.dmatrix("y")
    f = th.function([x, y], T.dot(x, y))
    first = f(np.eye(2), np.ones((2, 2)))
    second = f(2 * np.eye(2), np.ones((2, 2)))
    np.testing.assert_array_equal(first, np.ones((2, 2)))
    np.testing.assert_array_equal(second, 2 * np.ones((2, 2)))


def test_compiled_functions_use_the_blas_thunks():
    x, w = T.dmatrix("x"), T.dmatrix("w")
    f = th.function([x, w], T.dot(x, w) * 2)
    order = f.maker.fgraph.toposort()
    storage = {v: [None] for n in order for v in n.inputs + n.outputs}
    thunks = blas_thunks(order, storage, lambda n: True)
    assert [type(n.op).__name__ for n, t in zip(order, thunks) if t is not None] == ["Dot"]
