"""Linear algebra with numpy: inverse, pseudo-inverse, determinant, symmetric
eigendecomposition, diagonals and traces (chapter 1; their gradients, chapter 4).

Theano's `theano.tensor.nlinalg` ("numpy linear algebra").  Each op hands its
work to `numpy.linalg`; what the book adds is the gradient, written as more
graph.  The formulas are the classic matrix-calculus ones: for Y = A^-1,
dY = -Y dA Y, so the gradient of a cost C is -Y^T (dC/dY) Y^T.
"""

from __future__ import annotations

from functools import reduce
from typing import Any

import numpy as np

from minitheano.graph.basic import Apply
from minitheano.graph.op import Op
from minitheano.tensor.basic import as_tensor_variable
from minitheano.tensor.type import TensorType, TensorVariable


def _float_matrix(who: Any, x: Any) -> TensorVariable:
    """`x` as a float matrix, or a TypeError naming `who`."""
    x = as_tensor_variable(x)
    if x.ndim != 2:
        raise TypeError(f"{who}: expected a matrix, got {x.type}")
    if not x.dtype.startswith("float"):
        x = _T.cast(x, "float64")
    return x


def _check_square(who: Any, a: np.ndarray) -> None:
    if a.shape[0] != a.shape[1]:
        raise ValueError(f"{who}: expected a square matrix, got shape {a.shape}")


class MatrixInverse(Op):
    """numpy.linalg.inv: the inverse of a square, non-singular matrix."""

    def make_node(self, x: Any) -> Apply:
        x = _float_matrix(self, x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        (x,) = inputs
        _check_square(self, x)
        output_storage[0][0] = np.linalg.inv(x).astype(x.dtype)

    def infer_shape(self, fgraph, node, input_shapes):
        return [input_shapes[0]]

    def L_op(self, inputs, outputs, output_grads):
        (inv,), (gz,) = outputs, output_grads
        # dY = -Y dA Y  =>  dC/dA = -Y^T gz Y^T
        return [-_T.dot(_T.dot(inv.T, gz), inv.T)]

    def R_op(self, inputs, eval_points):
        if eval_points[0] is None:
            return [None]
        inv = self(inputs[0])
        return [-_T.dot(_T.dot(inv, eval_points[0]), inv)]

    def __str__(self) -> str:
        return "MatrixInverse"


matrix_inverse = MatrixInverse()


class MatrixPinv(Op):
    """numpy.linalg.pinv: the Moore-Penrose pseudo-inverse of any matrix."""

    def make_node(self, x: Any) -> Apply:
        x = _float_matrix(self, x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        (x,) = inputs
        output_storage[0][0] = np.linalg.pinv(x).astype(x.dtype)

    def infer_shape(self, fgraph, node, input_shapes):
        rows, cols = input_shapes[0]
        return [(cols, rows)]

    def L_op(self, inputs, outputs, output_grads):
        (a,), (p,), (gz,) = inputs, outputs, output_grads
        # Golub and Pereyra's derivative of the pseudo-inverse P of A (valid
        # where the rank of A does not change):
        #   dP = -P dA P + P P^T dA^T (I - A P) + (I - P A) dA^T P^T P
        # and each term, read as trace(gz^T dP), gives one term of dC/dA.
        eye_rows = _T.eye(a.shape[0], dtype=a.dtype)
        eye_cols = _T.eye(a.shape[1], dtype=a.dtype)
        dot = _T.dot
        return [-dot(dot(p.T, gz), p.T)
                + dot(dot(eye_rows - dot(a, p), gz.T), dot(p, p.T))
                + dot(dot(p.T, p), dot(gz.T, eye_cols - dot(p, a)))]

    def __str__(self) -> str:
        return "MatrixPinv"


pinv = MatrixPinv()


class Det(Op):
    """numpy.linalg.det: the determinant of a square matrix (a scalar)."""

    def make_node(self, x: Any) -> Apply:
        x = _float_matrix(self, x)
        return Apply(self, [x], [TensorType(x.dtype, ())()])

    def perform(self, node, inputs, output_storage):
        (x,) = inputs
        _check_square(self, x)
        output_storage[0][0] = np.asarray(np.linalg.det(x), dtype=x.dtype)

    def infer_shape(self, fgraph, node, input_shapes):
        return [()]

    def L_op(self, inputs, outputs, output_grads):
        (x,), (det_x,), (gz,) = inputs, outputs, output_grads
        # Jacobi's formula: d det(A) = det(A) trace(A^-1 dA).
        return [gz * det_x * matrix_inverse(x).T]

    def __str__(self) -> str:
        return "Det"


det = Det()


class Eigh(Op):
    """numpy.linalg.eigh: eigenvalues (ascending) and eigenvectors (columns)
    of a symmetric matrix, read from its lower (UPLO='L') or upper triangle."""

    __props__ = ("UPLO",)

    def __init__(self, UPLO: str = "L") -> None:  # noqa: N803 (numpy's name)
        if UPLO not in ("L", "U"):
            raise ValueError(f"eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
        self.UPLO = UPLO

    def make_node(self, x: Any) -> Apply:
        x = _float_matrix(self, x)
        return Apply(self, [x], [TensorType(x.dtype, (False,))(), x.type()])

    def perform(self, node, inputs, output_storage):
        (x,) = inputs
        _check_square(self, x)
        w, v = np.linalg.eigh(x, self.UPLO)
        output_storage[0][0] = w.astype(x.dtype)
        output_storage[1][0] = v.astype(x.dtype)

    def infer_shape(self, fgraph, node, input_shapes):
        n = input_shapes[0][0]
        return [(n,), (n, n)]

    def L_op(self, inputs, outputs, output_grads):
        (x,), (w, v) = inputs, outputs
        gw, gv = output_grads  # zeros where the cost uses only one of them
        return [EighGrad(self.UPLO)(x, w, v, gw, gv)]

    def __str__(self) -> str:
        return f"Eigh{{{self.UPLO}}}"


def eigh(a: Any, UPLO: str = "L") -> list[TensorVariable]:  # noqa: N803
    """[w, v]: the eigenvalues and eigenvectors of the symmetric matrix `a`."""
    return Eigh(UPLO)(a)


class EighGrad(Op):
    """The gradient of `Eigh` with respect to its matrix, given those of w and v.

    For a symmetric change dA, first-order perturbation theory gives
    dw[n] = v_n^T dA v_n and dv_n = sum over m != n of v_m (v_m^T dA v_n) / (w[n] - w[m]),
    which makes dC/dA = sum_n v_n (gw[n] v_n + sum_m v_m (gv_n . v_m) / (w[n] - w[m]))^T.
    Eigh reads one triangle only, so the entry (i, j) of that triangle gathers
    the parts of both (i, j) and (j, i).  Not defined for repeated eigenvalues.
    """

    __props__ = ("UPLO",)

    def __init__(self, UPLO: str = "L") -> None:  # noqa: N803
        self.UPLO = UPLO

    def make_node(self, x: Any, w: Any, v: Any, gw: Any, gv: Any) -> Apply:
        inputs = [as_tensor_variable(t) for t in (x, w, v, gw, gv)]
        return Apply(self, inputs, [inputs[0].type()])

    def perform(self, node, inputs, output_storage):
        x, w, v, gw, gv = inputs
        n = len(w)
        gap = w[:, None] - w[None, :]                      # gap[n, m] = w[n] - w[m]
        off_diagonal = ~np.eye(n, dtype=bool)
        coupling = np.where(off_diagonal, (v.T @ gv).T / np.where(off_diagonal, gap, 1), 0)
        # full[i, j] = sum_n v[i, n] (gw[n] v[j, n] + sum_m v[j, m] coupling[n, m])
        full = (v * gw) @ v.T + v @ coupling @ v.T
        if self.UPLO == "L":
            out = np.tril(full) + np.triu(full, 1).T
        else:
            out = np.triu(full) + np.tril(full, -1).T
        output_storage[0][0] = out.astype(x.dtype)

    def infer_shape(self, fgraph, node, input_shapes):
        return [input_shapes[0]]


class AllocDiag(Op):
    """A square matrix with the vector `x` on its `offset`-th diagonal and zeros
    elsewhere (numpy.diag of a vector)."""

    __props__ = ("offset",)

    def __init__(self, offset: int = 0) -> None:
        self.offset = offset

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        if x.ndim != 1:
            raise TypeError(f"{self}: expected a vector, got {x.type}")
        return Apply(self, [x], [TensorType(x.dtype, (False, False))()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = np.diag(inputs[0], self.offset)

    def infer_shape(self, fgraph, node, input_shapes):
        n = input_shapes[0][0] + abs(self.offset)
        return [(n, n)]

    def grad(self, inputs, output_grads):
        return [ExtractDiag(self.offset)(output_grads[0])]

    def __str__(self) -> str:
        return f"AllocDiag{{offset={self.offset}}}"


class ExtractDiag(Op):
    """The `offset`-th diagonal of a matrix, as a vector (numpy.diagonal)."""

    __props__ = ("offset",)

    def __init__(self, offset: int = 0) -> None:
        self.offset = offset

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        if x.ndim != 2:
            raise TypeError(f"{self}: expected a matrix, got {x.type} (minitheano takes "
                            f"diagonals of matrices only)")
        return Apply(self, [x], [TensorType(x.dtype, (False,))()])

    def perform(self, node, inputs, output_storage):
        # A copy: numpy's diagonal is a read-only view.
        output_storage[0][0] = np.diagonal(inputs[0], self.offset).copy()

    def infer_shape(self, fgraph, node, input_shapes):
        rows, cols = input_shapes[0]
        if self.offset >= 0:
            length = _T.minimum(rows, cols - self.offset)
        else:
            length = _T.minimum(rows + self.offset, cols)
        return [(_T.maximum(length, 0),)]

    def grad(self, inputs, output_grads):
        (x,), (gz,) = inputs, output_grads
        k = _T.arange(gz.shape[0])
        rows, cols = (k, k + self.offset) if self.offset >= 0 else (k - self.offset, k)
        return [_T.set_subtensor(_T.zeros_like(x)[rows, cols], gz)]

    def __str__(self) -> str:
        return f"ExtractDiag{{offset={self.offset}}}"


def alloc_diag(x: Any, offset: int = 0) -> TensorVariable:
    return AllocDiag(offset)(x)


def extract_diag(x: Any, offset: int = 0) -> TensorVariable:
    return ExtractDiag(offset)(x)


def diag(x: Any, k: int = 0) -> TensorVariable:
    """numpy.diag: a vector becomes a diagonal matrix, a matrix gives its diagonal."""
    x = as_tensor_variable(x)
    if x.ndim == 1:
        return AllocDiag(k)(x)
    if x.ndim == 2:
        return ExtractDiag(k)(x)
    raise TypeError(f"diag: expected a vector or a matrix, got {x.type}")


def diagonal(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> TensorVariable:
    """numpy.diagonal, for matrices (`axis1=0, axis2=1` only)."""
    if (axis1, axis2) != (0, 1):
        raise NotImplementedError("diagonal: minitheano takes diagonals of matrices only "
                                  "(axis1=0, axis2=1)")
    return ExtractDiag(offset)(a)


def trace(x: Any) -> TensorVariable:
    """The sum of the diagonal of a matrix."""
    return ExtractDiag(0)(x).sum()


def matrix_dot(*args: Any) -> TensorVariable:
    """dot(dot(args[0], args[1]), ...): the product of several matrices."""
    return reduce(_T.dot, args)


def matrix_power(m: Any, n: int) -> TensorVariable:
    """m to the integer power n >= 0, by repeated squaring (a graph of dots)."""
    if n < 0:
        raise ValueError(f"matrix_power: n must be >= 0, got {n} (use matrix_inverse first)")
    m = as_tensor_variable(m)
    result, square = None, m
    while n:
        if n & 1:
            result = square if result is None else _T.dot(result, square)
        n >>= 1
        if n:
            square = _T.dot(square, square)
    return _T.eye(m.shape[0], dtype=m.dtype) if result is None else result


# The functions here build graph with the whole tensor package, which itself
# needs this module: importing it last breaks the cycle.
import minitheano.tensor as _T  # noqa: E402
from minitheano.tensor.decompositions import (  # noqa: E402, F401 (Theano's names here)
    QR,
    SVD,
    Lstsq,
    lstsq,
    norm,
    qr,
    svd,
    tensorinv,
    tensorsolve,
)
