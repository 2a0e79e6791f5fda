"""Special functions: the error function and its complement (chapters 1, 4, 5).

    erf(x)  = 2 / sqrt(pi) * integral from 0 to x of exp(-t^2) dt
    erfc(x) = 1 - erf(x), accurate where erf(x) is close to 1

numpy has no ufunc for them (Theano took them from scipy.special); Python's
`math` module and C's <math.h> both do, so each element is computed with
`math.erf` in Python and with `erf` (`erff` for float32) in C.
"""

from __future__ import annotations

import math as pymath
from typing import Any

import numpy as np

from minitheano.scalar.basic import FloatUnaryOp, float_dtype

TWO_OVER_SQRT_PI = 2.0 / pymath.sqrt(pymath.pi)  # erf'(x) = TWO_OVER_SQRT_PI * exp(-x^2)


class Erf(FloatUnaryOp):
    name = "erf"
    c_func = "erf"
    py_func = staticmethod(pymath.erf)

    def impl(self, x: Any) -> Any:
        x = np.asarray(x)
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


erf = Erf()
erfc = Erfc()

# The gradients build graphs with scalar/math.py's ops: imported last.
from minitheano.scalar import math as _sm  # noqa: E402
