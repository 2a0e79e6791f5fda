"""Special functions: the error function, the gamma function and its kin (chapters 1, 4, 5).

    erf(x)     = 2 / sqrt(pi) * integral from 0 to x of exp(-t^2) dt
    erfc(x)    = 1 - erf(x), accurate where erf(x) is close to 1
    gamma(x)   = integral from 0 to inf of t^(x-1) exp(-t) dt   (gamma(n) = (n-1)!)
    gammaln(x) = log |gamma(x)|, which does not overflow where gamma does
    psi(x)     = d/dx gammaln(x), the digamma function, and tri_gamma(x) = d/dx psi(x)

numpy has no ufunc for them (Theano took them from scipy.special); Python's
`math` module and C's <math.h> have all but psi and tri_gamma, so each element is computed
with `math.erf` in Python and with `erf` (`erff` for float32) in C.  psi and
tri_gamma are computed here, in numpy, from their series (and have no C code).
"""

from __future__ import annotations

import math as pymath
from typing import Any

import numpy as np

from minitheano.graph.null import grad_not_implemented
from minitheano.scalar.basic import FloatUnaryOp, float_dtype

TWO_OVER_SQRT_PI = 2.0 / pymath.sqrt(pymath.pi)  # erf'(x) = TWO_OVER_SQRT_PI * exp(-x^2)


class Erf(FloatUnaryOp):
    name = "erf"
    c_func = "erf"
    py_func = staticmethod(pymath.erf)

    def impl(self, x: Any) -> Any:
        x = np.asarray(x)
        # math.gamma's OverflowError (answered with inf) leaves the overflow flag set.
        with np.errstate(over="ignore"):
            return np.vectorize(self.py_func, otypes=[float_dtype(x.dtype.name)])(x)

    def grad(self, inputs, output_grads):
        (x,), (gz,) = inputs, output_grads
        return [gz * TWO_OVER_SQRT_PI * _sm.exp(-x * x)]


class Erfc(Erf):
    name = "erfc"
    c_func = "erfc"
    py_func = staticmethod(pymath.erfc)

    def grad(self, inputs, output_grads):
        (x,), (gz,) = inputs, output_grads
        return [-gz * TWO_OVER_SQRT_PI * _sm.exp(-x * x)]


def _pole_safe(f: Any, at_negative: float, signed_zero: bool) -> Any:
    """`f` as C's <math.h> has it where Python's math raises: inf at +-0 (with the
    zero's sign if `signed_zero`), `at_negative` at -1, -2, ..., inf on overflow."""
    def safe(x: float) -> float:
        if x == 0:
            return pymath.copysign(pymath.inf, x) if signed_zero else pymath.inf
        if x < 0 and x == pymath.floor(x):
            return at_negative
        try:
            return f(x)
        except OverflowError:
            return pymath.inf
    return safe


class Gamma(Erf):
    name = "gamma"
    c_func = "tgamma"
    py_func = staticmethod(_pole_safe(pymath.gamma, pymath.nan, signed_zero=True))

    def grad(self, inputs, output_grads):
        (x,), (gz,) = inputs, output_grads
        return [gz * gamma(x) * psi(x)]


class GammaLn(Erf):
    name = "gammaln"
    c_func = "lgamma"
    py_func = staticmethod(_pole_safe(pymath.lgamma, pymath.inf, signed_zero=False))

    def grad(self, inputs, output_grads):
        (x,), (gz,) = inputs, output_grads
        return [gz * psi(x)]


# psi and its derivative tri_gamma by their asymptotic series, used once x >=
# ASYMPTOTIC_FROM: there the terms below reach float64 precision.  Smaller x are
# carried up by a recurrence (psi(x) = psi(x + 1) - 1/x), and x < 1/2 reflected
# (psi(x) = psi(1 - x) - pi / tan(pi x)).
ASYMPTOTIC_FROM = 10.0
# The Bernoulli numbers B_2k, k = 1..6, of both series.
BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730)


def _poles_and_reflection(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = np.array(x, dtype=np.float64)
    pole = (x <= 0) & (x == np.floor(x))
    reflect = (x < 0.5) & ~pole
    return x, pole, reflect


def _psi(x: np.ndarray) -> np.ndarray:
    x, pole, reflect = _poles_and_reflection(x)
    result = np.zeros_like(x)
    with np.errstate(all="ignore"):
        result[reflect] = -np.pi / np.tan(np.pi * x[reflect])
    x = np.where(reflect, 1 - x, x)
    while np.any(small := (x < ASYMPTOTIC_FROM) & ~pole):
        result[small] -= 1 / x[small]
        x = np.where(small, x + 1, x)
    with np.errstate(all="ignore"):
        # psi(x) ~ log x - 1/(2x) - sum B_2k / (2k x^2k)
        series = sum(b / (2 * k) / x ** (2 * k) for k, b in enumerate(BERNOULLI, start=1))
        result += np.log(x) - 0.5 / x - series
    result[pole] = np.nan
    return result


def _tri_gamma(x: np.ndarray) -> np.ndarray:
    x, pole, reflect = _poles_and_reflection(x)
    # tri_gamma(x) = -tri_gamma(1 - x) + pi^2 / sin^2(pi x): a sign and a term.
    sign = np.where(reflect, -1.0, 1.0)
    result = np.zeros_like(x)
    with np.errstate(all="ignore"):
        result[reflect] = (np.pi / np.sin(np.pi * x[reflect])) ** 2
    x = np.where(reflect, 1 - x, x)
    while np.any(small := (x < ASYMPTOTIC_FROM) & ~pole):
        result[small] += sign[small] / x[small] ** 2  # tri_gamma(x) = tri_gamma(x+1) + 1/x^2
        x = np.where(small, x + 1, x)
    with np.errstate(all="ignore"):
        # tri_gamma(x) ~ 1/x + 1/(2x^2) + sum B_2k / x^(2k+1)
        series = sum(b / x ** (2 * k + 1) for k, b in enumerate(BERNOULLI, start=1))
        result += sign * (1 / x + 0.5 / x ** 2 + series)
    result[pole] = np.inf
    return result


class Psi(FloatUnaryOp):
    """The digamma function; NaN at its poles 0, -1, -2, ...  No C code: it runs in numpy."""
    name = "psi"
    series = staticmethod(_psi)

    def impl(self, x: Any) -> Any:
        x = np.asarray(x)
        return self.series(x).astype(float_dtype(x.dtype.name))

    def grad(self, inputs, output_grads):
        (x,), (gz,) = inputs, output_grads
        return [gz * tri_gamma(x)]


class TriGamma(Psi):
    """The derivative of psi; inf at its poles 0, -1, -2, ...  No C code either."""
    name = "tri_gamma"
    series = staticmethod(_tri_gamma)

    def grad(self, inputs, output_grads):
        (x,) = inputs
        # Theano 1.0 had no tetragamma either.
        return [grad_not_implemented(self, 0, x, "tri_gamma's derivative is not written")]


erf = Erf()
erfc = Erfc()
gamma = Gamma()
gammaln = GammaLn()
psi = Psi()
tri_gamma = TriGamma()

# The gradients build graphs with scalar/math.py's ops: imported last.
from minitheano.scalar import math as _sm  # noqa: E402
