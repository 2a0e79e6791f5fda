"""The error function on tensors: T.erf and T.erfc (chapter 1).

Each is one scalar op of scalar/special.py lifted by Elemwise, like T.exp.
"""

from minitheano.scalar import special as _special
from minitheano.tensor.math import _Lifted

erf = _Lifted(_special.erf, "the error function: 2 / sqrt(pi) * integral of exp(-t^2), 0 to a")
erfc = _Lifted(_special.erfc, "1 - erf(a), accurate where erf(a) is close to 1")
