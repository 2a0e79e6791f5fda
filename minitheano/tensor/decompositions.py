"""Matrix decompositions and least squares with numpy: svd, qr, lstsq, plus norm,
tensorinv and tensorsolve (chapter 1).

Theano 1.0 gave `svd`, `qr` and `lstsq` no gradient, and neither does
minitheano (asking for one is an error that says so).  `norm`, `tensorinv` and
`tensorsolve` are graphs over other ops, and differentiable through them.
`theano.tensor.nlinalg` exports them all.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minitheano.graph.basic import Apply
from minitheano.graph.null import grad_not_implemented
from minitheano.graph.op import Op
from minitheano.tensor.basic import as_tensor_variable
from minitheano.tensor.type import TensorType, TensorVariable


def _float_matrix(who: Any, x: Any) -> TensorVariable:
    x = as_tensor_variable(x)
    if x.ndim != 2:
        raise TypeError(f"{who}: expected a matrix, got {x.type}")
    return x if x.dtype.startswith("float") else _T.cast(x, "float64")


class NoGradient(Op):
    """An op that Theano 1.0 left without a gradient: say so when one is asked for."""

    def grad(self, inputs, output_grads):
        return [grad_not_implemented(self, k, x, "Theano 1.0 gave it no gradient either")
                for k, x in enumerate(inputs)]


class SVD(NoGradient):
    """numpy.linalg.svd: [u, s, v] with a = u diag(s) v, or [s] alone if not compute_uv."""

    __props__ = ("full_matrices", "compute_uv")

    def __init__(self, full_matrices: bool = True, compute_uv: bool = True) -> None:
        self.full_matrices = bool(full_matrices)
        self.compute_uv = bool(compute_uv)

    def make_node(self, x: Any) -> Apply:
        x = _float_matrix(self, x)
        s = TensorType(x.dtype, (False,))()
        outputs = [x.type(), s, x.type()] if self.compute_uv else [s]
        return Apply(self, [x], outputs)

    def perform(self, node, inputs, output_storage):
        (x,) = inputs
        result = np.linalg.svd(x, self.full_matrices, self.compute_uv)
        values = result if self.compute_uv else [result]
        for cell, value in zip(output_storage, values):
            cell[0] = np.asarray(value, dtype=x.dtype)


def svd(a: Any, full_matrices: bool = True, compute_uv: bool = True) -> Any:
    """The singular value decomposition of the matrix `a`, as numpy's."""
    return SVD(full_matrices, compute_uv)(a)


class QR(NoGradient):
    """numpy.linalg.qr in mode 'reduced' or 'complete' ([q, r]) or 'r' (r alone)."""

    __props__ = ("mode",)

    def __init__(self, mode: str = "reduced") -> None:
        if mode not in ("reduced", "complete", "r"):
            raise ValueError(f"qr: mode must be 'reduced', 'complete' or 'r', got {mode!r}")
        self.mode = mode

    def make_node(self, x: Any) -> Apply:
        x = _float_matrix(self, x)
        outputs = [x.type()] if self.mode == "r" else [x.type(), x.type()]
        return Apply(self, [x], outputs)

    def perform(self, node, inputs, output_storage):
        (x,) = inputs
        result = np.linalg.qr(x, self.mode)
        values = [result] if self.mode == "r" else list(result)
        for cell, value in zip(output_storage, values):
            cell[0] = np.asarray(value, dtype=x.dtype)


def qr(a: Any, mode: str = "reduced") -> Any:
    """The QR decomposition of the matrix `a`: [q, r] (r alone with mode='r')."""
    return QR(mode)(a)


class Lstsq(NoGradient):
    """numpy.linalg.lstsq(a, b, rcond): [solution, residuals, rank, singular values]."""

    __props__ = ("rcond",)

    def __init__(self, rcond: float | None = None) -> None:
        self.rcond = rcond

    def make_node(self, a: Any, b: Any) -> Apply:
        a, b = _float_matrix(self, a), as_tensor_variable(b)
        if b.ndim not in (1, 2):
            raise TypeError(f"lstsq: b must be a vector or a matrix, got {b.type}")
        dtype = np.result_type(a.dtype, b.dtype).name
        outputs = [TensorType(dtype, (False,) * b.ndim)(), TensorType(dtype, (False,))(),
                   TensorType("int64", ())(), TensorType(dtype, (False,))()]
        return Apply(self, [a, b], outputs)

    def perform(self, node, inputs, output_storage):
        a, b = inputs
        solution, residuals, rank, singular = np.linalg.lstsq(a, b, rcond=self.rcond)
        dtype = node.outputs[0].type.dtype
        output_storage[0][0] = solution.astype(dtype)
        output_storage[1][0] = np.asarray(residuals, dtype=dtype).reshape(-1)
        output_storage[2][0] = np.asarray(rank, dtype="int64")
        output_storage[3][0] = singular.astype(dtype)


def lstsq(a: Any, b: Any, rcond: float | None = None) -> list[TensorVariable]:
    """The least-squares solution of a x = b and numpy's other results; `rcond`
    (a number, or None for numpy's default) cuts off small singular values."""
    return Lstsq(None if rcond is None else float(rcond))(a, b)


def norm(x: Any, ord: Any) -> TensorVariable:  # noqa: A002 (numpy's name)
    """numpy.linalg.norm for vectors (ord None, p, 'inf', '-inf', 0) and matrices
    (ord None or 'fro', 'inf', '-inf', 1, -1), as a differentiable graph."""
    x = as_tensor_variable(x)
    if x.ndim == 1:
        if ord is None:
            return _T.sqrt(_T.sum(_T.sqr(x)))
        if ord == "inf":
            return _T.max(abs(x))
        if ord == "-inf":
            return _T.min(abs(x))
        if ord == 0:
            return _T.sum(_T.neq(x, 0))
        return _T.sum(abs(x) ** ord) ** (1.0 / ord)
    if x.ndim == 2:
        if ord in (None, "fro"):
            return _T.sqrt(_T.sum(_T.sqr(x)))
        by_rows = {"inf": (1, _T.max), "-inf": (1, _T.min), 1: (0, _T.max), -1: (0, _T.min)}
        if ord in by_rows:
            axis, pick = by_rows[ord]
            return pick(_T.sum(abs(x), axis=axis))
        raise NotImplementedError(f"norm: ord={ord!r} of a matrix is not supported (use "
                                  f"None, 'fro', 'inf', '-inf', 1 or -1)")
    raise TypeError(f"norm: expected a vector or a matrix, got {x.type}")


def _product(lengths: list) -> Any:
    total = 1
    for n in lengths:
        total = total * n
    return total


def tensorinv(a: Any, ind: int = 2) -> TensorVariable:
    """numpy.linalg.tensorinv: the inverse of `a` for tensordot over its first `ind`
    axes, by reshaping to a square matrix and inverting it."""
    a = as_tensor_variable(a)
    rows = [a.shape[d] for d in range(ind)]
    cols = [a.shape[d] for d in range(ind, a.ndim)]
    square = a.reshape((_product(rows), _product(cols)), ndim=2)
    inverse = _T.nlinalg.matrix_inverse(square)
    return inverse.reshape(cols + rows, ndim=a.ndim)


def tensorsolve(a: Any, b: Any, axes: Any = None) -> TensorVariable:
    """numpy.linalg.tensorsolve: x with tensordot(a, x, x.ndim) = b."""
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    if axes is not None:
        moved = [d for d in range(a.ndim) if d not in axes] + list(axes)
        a = a.dimshuffle(moved)
    unknown = [a.shape[d] for d in range(b.ndim, a.ndim)]
    square = a.reshape((_product([b.shape[d] for d in range(b.ndim)]), _product(unknown)),
                       ndim=2)
    solution = _T.slinalg.solve(square, b.flatten())
    return solution.reshape(unknown, ndim=a.ndim - b.ndim)


# The functions here build graph with the whole tensor package, which itself
# needs this module: importing it last breaks the cycle.
import minitheano.tensor as _T  # noqa: E402
