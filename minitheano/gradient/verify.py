"""`verify_grad`: a symbolic gradient checked against finite differences (chapter 4).

A gradient op can be wrong in ways no type check sees: a missing transpose,
a sign, a forgotten sum over a broadcast dimension.  Numbers catch them.  For
a function `fun` of some arrays, take a random projection of its output,
cost = sum(r * fun(x)), and compare, element by element,

    the symbolic gradient  grad(cost, x)
    the central difference (cost(x + eps e_k) - cost(x - eps e_k)) / (2 eps)

whose error is O(eps**2).  Every gradient in this library is tested this way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from minitheano import tensor as T
from minitheano.gradient.reverse import grad
from minitheano.graph.basic import Variable

# Step and tolerances by dtype: float32 has about 7 digits, float64 about 16.
DEFAULT_EPS = {"float32": 1e-3, "float64": 1e-6}
DEFAULT_TOL = {"float32": 1e-2, "float64": 1e-4}


class GradientError(Exception):
    """The symbolic gradient and the finite differences disagree."""

    def __init__(self, arg: int, err_pos: tuple, shape: tuple, analytic: float, numeric: float,
                 abs_err: float, rel_err: float, abs_tol: float, rel_tol: float) -> None:
        self.arg, self.err_pos, self.shape = arg, err_pos, shape
        self.analytic, self.numeric = analytic, numeric
        self.abs_err, self.rel_err = abs_err, rel_err
        self.abs_tol, self.rel_tol = abs_tol, rel_tol
        super().__init__(
            f"verify_grad: the gradient with respect to input {arg} (shape {shape}) is wrong "
            f"at position {err_pos}: symbolic {analytic!r}, finite differences {numeric!r}; "
            f"abs error {abs_err:.3g} > {abs_tol:.3g} and rel error {rel_err:.3g} > "
            f"{rel_tol:.3g}")


def numeric_grad(f: Callable[..., Any], pt: Sequence[np.ndarray], eps: float | None = None
                 ) -> list[np.ndarray]:
    """The gradient of the scalar function `f` at `pt` by central differences."""
    grads = []
    for k, p in enumerate(pt):
        step = eps if eps is not None else DEFAULT_EPS[p.dtype.name]
        g = np.zeros(p.shape, dtype="float64")
        moved = [q.copy() for q in pt]
        x = moved[k]
        # --8<-- [start:ex-ch04-numeric-grad]
        for index in np.ndindex(*p.shape):
            x[index] = p[index] + step
            up = float(f(*moved))
            x[index] = p[index] - step
            down = float(f(*moved))
            x[index] = p[index]
            g[index] = (up - down) / (2 * step)
        # --8<-- [end:ex-ch04-numeric-grad]
        grads.append(g)
    return grads


def _worst(analytic: np.ndarray, numeric: np.ndarray, abs_tol: float, rel_tol: float
           ) -> tuple[tuple, float, float] | None:
    """The position where both the absolute and the relative error are too large, if any."""
    a, b = np.asarray(analytic, dtype="float64"), np.asarray(numeric, dtype="float64")
    abs_err = np.abs(a - b)
    rel_err = abs_err / np.maximum(np.abs(a) + np.abs(b), 1e-8)
    bad = (abs_err > abs_tol) & (rel_err > rel_tol)
    bad |= np.isnan(a) != np.isnan(b)
    if not bad.any():
        return None
    pos = np.unravel_index(np.argmax(np.where(bad, abs_err, -1.0)), a.shape)
    return tuple(int(i) for i in pos), float(abs_err[pos]), float(rel_err[pos])


def verify_grad(fun: Callable[..., Variable], pt: Sequence[Any], n_tests: int = 2,
                rng: Any = None, eps: float | None = None, abs_tol: float | None = None,
                rel_tol: float | None = None, mode: Any = None) -> None:
    """Check `grad` of `fun` at the point `pt` against finite differences.

    fun     builds the output from one symbolic input per array of `pt`
    pt      the point: a list of float arrays (never modified)
    n_tests how many random projections of the output to check
    rng     a numpy Generator or RandomState (default: a fixed seed)
    Raises GradientError showing both values where they disagree.
    """
    from minitheano.compile.function import function  # running graphs is chapter 2's job

    pt = [np.array(p) for p in pt]
    for k, p in enumerate(pt):
        if p.dtype.name not in DEFAULT_EPS:
            raise TypeError(f"verify_grad: input {k} has dtype {p.dtype}; it can only check "
                            f"gradients with respect to float32 or float64 arrays")
    rng = np.random.default_rng(42) if rng is None else rng

    inputs = [T.tensor(p.dtype.name, [n == 1 for n in p.shape], name=f"input {k}")
              for k, p in enumerate(pt)]
    output = fun(*inputs)
    if not isinstance(output, Variable):
        raise TypeError(f"verify_grad: fun must return one Variable, got {output!r}")
    # The least precise of the inputs and the output sets the step and the tolerance.
    dtypes = {p.dtype.name for p in pt} | {output.dtype}
    precision = "float32" if "float32" in dtypes or output.dtype not in DEFAULT_EPS else "float64"
    eps = DEFAULT_EPS[precision] if eps is None else eps
    abs_tol = DEFAULT_TOL[precision] if abs_tol is None else abs_tol
    rel_tol = DEFAULT_TOL[precision] if rel_tol is None else rel_tol
    output_fn = function(inputs, output, mode=mode)
    out_value = np.asarray(output_fn(*[p.copy() for p in pt]))
    # A random projection turns the output into a scalar cost: sum(r * output).
    r = T.tensor(output.dtype, [False] * output.ndim, name="projection")
    cost = T.sum(r * output)
    cost_fn = function(inputs + [r], cost, mode=mode)
    grad_fn = function(inputs + [r], grad(cost, inputs, disconnected_inputs="ignore"),
                       mode=mode)

    for _ in range(n_tests):
        projection = np.asarray(rng.random(out_value.shape) + 0.5, dtype=output.dtype)
        analytic = grad_fn(*[p.copy() for p in pt], projection)
        numeric = numeric_grad(lambda *xs, proj=projection: cost_fn(*xs, proj), pt, eps)
        for k, (a, b) in enumerate(zip(analytic, numeric)):
            worst = _worst(a, b, abs_tol, rel_tol)
            if worst is not None:
                pos, abs_err, rel_err = worst
                raise GradientError(k, pos, pt[k].shape, float(np.asarray(a)[pos]),
                                    float(b[pos]), abs_err, rel_err, abs_tol, rel_tol)
