"""The matrix exponential expm(A) = I + A + A^2/2! + ... (Theano's slinalg.expm).
Chapter 1; its gradient, chapter 4.

Theano called scipy.linalg.expm; here it is computed in numpy by the method
scipy uses (Higham, "The scaling and squaring method for the matrix exponential
revisited", 2005): scale A by 2^-s until its norm is at most THETA_13, take the
[13/13] Pade approximant r(A) = q(A)^-1 p(A) of exp, and square the result s
times, since exp(A) = exp(A / 2^s)^(2^s).  (scipy also picks lower degrees for
small norms, to save products; degree 13 is always accurate, so we keep one.)

The gradient needs no new op: for a loss L with dL/dexp(A) = G,
dL/dA = L_exp(A^T, G), the Frechet derivative of exp at A^T in the direction
G, and that is the upper right block of expm([[A^T, G], [0, A^T]])
(Najfeld and Havel, 1995).  So the gradient of Expm is a graph of Expm.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minitheano.graph.basic import Apply
from minitheano.graph.op import Op
from minitheano.tensor.basic import as_tensor_variable
from minitheano.tensor.type import TensorType

# The coefficients b_0 .. b_13 of the [13/13] Pade approximant of exp: p(A) = sum b_k A^k,
# q(A) = p(-A) (Higham 2005, table 10.4 of his "Functions of Matrices").
PADE_13 = (64764752532480000.0, 32382376266240000.0, 7771770303897600.0,
           1187353796428800.0, 129060195264000.0, 10559470521600.0, 670442572800.0,
           33522128640.0, 1323241920.0, 40840800.0, 960960.0, 16380.0, 182.0, 1.0)
# The largest 1-norm for which the [13/13] approximant is accurate to float64 (Higham 2005).
THETA_13 = 5.371920351148152


def expm_numpy(a: np.ndarray) -> np.ndarray:
    """exp(a) for a square float matrix, by scaling, Pade [13/13] and squaring."""
    norm = np.linalg.norm(a, 1)
    # Scale only what is too large (a tiny norm / THETA_13 would underflow log2 to -inf).
    squarings = int(np.ceil(np.log2(norm / THETA_13))) if norm > THETA_13 else 0
    a = a / 2.0 ** squarings
    b = PADE_13
    ident = np.eye(a.shape[0], dtype=a.dtype)
    a2 = a @ a
    a4 = a2 @ a2
    a6 = a2 @ a4
    # p(A) = V + U and q(A) = V - U, with U the odd powers and V the even ones.
    u = a @ (a6 @ (b[13] * a6 + b[11] * a4 + b[9] * a2)
             + b[7] * a6 + b[5] * a4 + b[3] * a2 + b[1] * ident)
    v = a6 @ (b[12] * a6 + b[10] * a4 + b[8] * a2) + b[6] * a6 + b[4] * a4 + b[2] * a2 \
        + b[0] * ident
    r = np.linalg.solve(v - u, v + u)
    for _ in range(squarings):
        r = r @ r
    return r


class Expm(Op):
    """The matrix exponential of a square matrix."""

    def make_node(self, a: Any) -> Apply:
        a = as_tensor_variable(a)
        if a.ndim != 2:
            raise TypeError(f"Expm: expected a square matrix, got {a.type}")
        if not a.dtype.startswith("float"):
            a = _T.cast(a, "float64")
        return Apply(self, [a], [TensorType(a.dtype, (False, False))()])

    def perform(self, node, inputs, output_storage):
        (a,) = inputs
        if a.shape[0] != a.shape[1]:
            raise ValueError(f"Expm: the matrix must be square, got shape {a.shape}")
        if not np.all(np.isfinite(a)):
            raise ValueError("Expm: the matrix holds NaN or infinite values")
        output_storage[0][0] = expm_numpy(a).astype(node.outputs[0].dtype)

    def infer_shape(self, fgraph, node, input_shapes):
        return [input_shapes[0]]

    def grad(self, inputs, output_grads):
        (a,), (g,) = inputs, output_grads
        n = a.shape[0]
        at = a.T
        block = _T.concatenate([_T.concatenate([at, g], axis=1),
                                _T.concatenate([_T.zeros_like(at), at], axis=1)], axis=0)
        return [self(block)[:n, n:]]


expm = Expm()


import minitheano.tensor as _T  # noqa: E402
