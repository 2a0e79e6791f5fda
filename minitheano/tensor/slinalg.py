"""Structured linear algebra: Cholesky factors and linear solves (chapter 1; their
gradients, chapter 4).

Theano's `theano.tensor.slinalg` called scipy; numpy's `linalg` is enough here
(minitheano depends on numpy only): `cholesky` reads the lower triangle, and a
triangular solve is an ordinary solve of the masked triangle.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minitheano.graph.basic import Apply
from minitheano.graph.op import Op
from minitheano.tensor.basic import as_tensor_variable
from minitheano.tensor.diagonal import tril, triu
from minitheano.tensor.nlinalg import alloc_diag, extract_diag
from minitheano.tensor.type import TensorType, TensorVariable

STRUCTURES = ("general", "symmetric", "lower_triangular", "upper_triangular")


def _float(who: Any, x: Any, ndims: tuple[int, ...]) -> TensorVariable:
    x = as_tensor_variable(x)
    if x.ndim not in ndims:
        raise TypeError(f"{who}: expected {' or '.join(f'{n}-d' for n in ndims)} input, "
                        f"got {x.type}")
    return x if x.dtype.startswith("float") else _T.cast(x, "float64")


class Cholesky(Op):
    """The lower (or upper) triangular L with L L^T = A, for a symmetric
    positive-definite A; only A's lower triangle is read."""

    __props__ = ("lower",)

    def __init__(self, lower: bool = True) -> None:
        self.lower = lower

    def make_node(self, x: Any) -> Apply:
        x = _float(self, x, (2,))
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        (x,) = inputs
        try:
            chol = np.linalg.cholesky(x)
        except np.linalg.LinAlgError as e:
            raise ValueError(f"{self}: the matrix is not positive definite ({e})") from None
        output_storage[0][0] = (chol if self.lower else chol.T).astype(x.dtype)

    def infer_shape(self, fgraph, node, input_shapes):
        return [input_shapes[0]]

    def L_op(self, inputs, outputs, output_grads):
        (chol,), (gz,) = outputs, output_grads
        if not self.lower:
            chol, gz = chol.T, gz.T
        # Murray (2016), "Differentiation of the Cholesky decomposition":
        # with Phi(X) = the lower triangle of X with its diagonal halved,
        # S = L^-T Phi(L^T dC/dL) L^-1, and the gradient, which lives on the
        # lower triangle that was read, is S + S^T there (S's diagonal once).
        def phi(m):
            return tril(m) - alloc_diag(extract_diag(m) / 2)
        inner = phi(_T.dot(chol.T, gz))
        s = solve_upper_triangular(chol.T, solve_upper_triangular(chol.T, inner.T).T)
        return [tril(s + s.T) - alloc_diag(extract_diag(s))]

    def __str__(self) -> str:
        return f"Cholesky{{lower={self.lower}}}"


cholesky = Cholesky()


class Solve(Op):
    """x with A x = b, for a square A of the given structure and a vector or
    matrix b.  A triangular structure reads only that triangle of A."""

    __props__ = ("A_structure",)

    def __init__(self, A_structure: str = "general") -> None:  # noqa: N803 (Theano's name)
        if A_structure not in STRUCTURES:
            raise ValueError(f"Solve: A_structure must be one of {STRUCTURES}, "
                             f"got {A_structure!r}")
        self.A_structure = A_structure

    def make_node(self, a: Any, b: Any) -> Apply:
        a, b = _float(self, a, (2,)), _float(self, b, (1, 2))
        dtype = np.result_type(a.dtype, b.dtype).name
        return Apply(self, [a, b], [TensorType(dtype, b.broadcastable)()])

    def perform(self, node, inputs, output_storage):
        a, b = inputs
        if a.shape[0] != a.shape[1] or a.shape[0] != b.shape[0]:
            raise ValueError(f"{self}: A must be square with as many rows as b, got shapes "
                             f"{a.shape} and {b.shape}")
        if self.A_structure == "lower_triangular":
            a = np.tril(a)
        elif self.A_structure == "upper_triangular":
            a = np.triu(a)
        try:
            x = np.linalg.solve(a, b)
        except np.linalg.LinAlgError as e:
            raise ValueError(f"{self}: {e}") from None
        output_storage[0][0] = x.astype(node.outputs[0].type.dtype)

    def infer_shape(self, fgraph, node, input_shapes):
        return [input_shapes[1]]

    def L_op(self, inputs, outputs, output_grads):
        (a, _), (x,), (gx,) = inputs, outputs, output_grads
        # x = A^-1 b: db gets A^-T gx, and dA gets -(A^-T gx) x^T.
        transposed = {"lower_triangular": "upper_triangular",
                      "upper_triangular": "lower_triangular"}.get(self.A_structure,
                                                                   self.A_structure)
        gb = Solve(transposed)(a.T, gx)
        ga = -(_T.outer(gb, x) if x.ndim == 1 else _T.dot(gb, x.T))
        if self.A_structure == "lower_triangular":
            ga = tril(ga)
        elif self.A_structure == "upper_triangular":
            ga = triu(ga)
        return [ga, gb]

    def __str__(self) -> str:
        return f"Solve{{{self.A_structure}}}"


solve = Solve()


def solve_lower_triangular(a: Any, b: Any) -> TensorVariable:
    return Solve("lower_triangular")(a, b)


def solve_upper_triangular(a: Any, b: Any) -> TensorVariable:
    return Solve("upper_triangular")(a, b)


def solve_symmetric(a: Any, b: Any) -> TensorVariable:
    return Solve("symmetric")(a, b)


def kron(a: Any, b: Any) -> TensorVariable:
    """The Kronecker product of two matrices: block (i, j) is a[i, j] * b."""
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    if a.ndim != 2 or b.ndim != 2:
        raise TypeError(f"kron: expected two matrices, got {a.type} and {b.type}")
    blocks = a.dimshuffle(0, "x", 1, "x") * b.dimshuffle("x", 0, "x", 1)
    return blocks.reshape((a.shape[0] * b.shape[0], a.shape[1] * b.shape[1]), ndim=2)


# The functions here build graph with the whole tensor package, which itself
# needs this module: importing it last breaks the cycle.
import minitheano.tensor as _T  # noqa: E402

# The matrix exponential has a module of its own (tensor/expm.py); Theano listed it here.
from minitheano.tensor.expm import Expm, expm  # noqa: E402, F401
