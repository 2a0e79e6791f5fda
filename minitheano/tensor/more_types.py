"""Theano's remaining constructors: 5 to 7 dimensions and the plurals of
3 to 7 (chapter 1).

They follow tensor/basic.py's pattern exactly: `T.dtensor5('x')` calls a
TensorType, and `T.ftensor3s('a', 'b')` makes several at once.
"""

from __future__ import annotations

from minitheano.config import config
from minitheano.tensor.basic import (
    _several,
    dtensor3,
    dtensor4,
    ftensor3,
    ftensor4,
    icol,
    irow,
    itensor3,
    itensor4,
    lcol,
    lrow,
    ltensor3,
    ltensor4,
    tensor3,
    tensor4,
)
from minitheano.tensor.type import TensorType, TensorVariable


def tensor5(name: str | None = None, dtype: str | None = None) -> TensorVariable:
    return TensorType(dtype or config.floatX, (False,) * 5)(name)


def tensor6(name: str | None = None, dtype: str | None = None) -> TensorVariable:
    return TensorType(dtype or config.floatX, (False,) * 6)(name)


def tensor7(name: str | None = None, dtype: str | None = None) -> TensorVariable:
    return TensorType(dtype or config.floatX, (False,) * 7)(name)


# Prefixes: b int8, w int16, i int32, l int64, f float32, d float64.
btensor5, wtensor5 = TensorType("int8", (False,) * 5), TensorType("int16", (False,) * 5)
itensor5, ltensor5 = TensorType("int32", (False,) * 5), TensorType("int64", (False,) * 5)
ftensor5, dtensor5 = TensorType("float32", (False,) * 5), TensorType("float64", (False,) * 5)
btensor6, wtensor6 = TensorType("int8", (False,) * 6), TensorType("int16", (False,) * 6)
itensor6, ltensor6 = TensorType("int32", (False,) * 6), TensorType("int64", (False,) * 6)
ftensor6, dtensor6 = TensorType("float32", (False,) * 6), TensorType("float64", (False,) * 6)
btensor7, wtensor7 = TensorType("int8", (False,) * 7), TensorType("int16", (False,) * 7)
itensor7, ltensor7 = TensorType("int32", (False,) * 7), TensorType("int64", (False,) * 7)
ftensor7, dtensor7 = TensorType("float32", (False,) * 7), TensorType("float64", (False,) * 7)


def tensor3s(*names, dtype=None): return _several(lambda n=None: tensor3(n, dtype), names)
def ftensor3s(*names): return _several(ftensor3, names)
def dtensor3s(*names): return _several(dtensor3, names)
def itensor3s(*names): return _several(itensor3, names)
def ltensor3s(*names): return _several(ltensor3, names)
def tensor4s(*names, dtype=None): return _several(lambda n=None: tensor4(n, dtype), names)
def ftensor4s(*names): return _several(ftensor4, names)
def dtensor4s(*names): return _several(dtensor4, names)
def itensor4s(*names): return _several(itensor4, names)
def ltensor4s(*names): return _several(ltensor4, names)
def tensor5s(*names, dtype=None): return _several(lambda n=None: tensor5(n, dtype), names)
def ftensor5s(*names): return _several(ftensor5, names)
def dtensor5s(*names): return _several(dtensor5, names)
def itensor5s(*names): return _several(itensor5, names)
def ltensor5s(*names): return _several(ltensor5, names)
def tensor6s(*names, dtype=None): return _several(lambda n=None: tensor6(n, dtype), names)
def ftensor6s(*names): return _several(ftensor6, names)
def dtensor6s(*names): return _several(dtensor6, names)
def itensor6s(*names): return _several(itensor6, names)
def ltensor6s(*names): return _several(ltensor6, names)
def tensor7s(*names, dtype=None): return _several(lambda n=None: tensor7(n, dtype), names)
def ftensor7s(*names): return _several(ftensor7, names)
def dtensor7s(*names): return _several(dtensor7, names)
def itensor7s(*names): return _several(itensor7, names)
def ltensor7s(*names): return _several(ltensor7, names)
def irows(*names): return _several(irow, names)
def lrows(*names): return _several(lrow, names)
def icols(*names): return _several(icol, names)
def lcols(*names): return _several(lcol, names)
