"""Special functions on tensors: T.erf, T.erfc, T.gamma, T.gammaln, T.psi,
T.tri_gamma (chapter 1).

Each is one scalar op of scalar/special.py lifted by Elemwise, like T.exp.
"""

from minitheano.scalar import special as _special
from minitheano.tensor.math import _Lifted

erf = _Lifted(_special.erf, "the error function: 2 / sqrt(pi) * integral of exp(-t^2), 0 to a")
erfc = _Lifted(_special.erfc, "1 - erf(a), accurate where erf(a) is close to 1")
gamma = _Lifted(_special.gamma, "the gamma function: gamma(n) = (n - 1)!; NaN at 0, -1, -2, ...")
gammaln = _Lifted(_special.gammaln, "log |gamma(a)|, without overflow")
psi = _Lifted(_special.psi, "the digamma function: the derivative of gammaln")
tri_gamma = _Lifted(_special.tri_gamma, "the derivative of psi")
