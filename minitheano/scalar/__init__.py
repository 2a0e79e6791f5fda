"""Scalar types and ops: the units that Elemwise lifts, fusion composes and the
C and CUDA printers print (chapters 1, 3, 5, 6)."""

from minitheano.scalar.basic import (
    ALL_DTYPES,
    DISCRETE_DTYPES,
    FLOAT_DTYPES,
    INT_DTYPES,
    UINT_DTYPES,
    ScalarConstant,
    ScalarOp,
    ScalarType,
    ScalarVariable,
    as_scalar,
    float_dtype,
    is_weak,
    upcast,
    weak_dtype,
)
from minitheano.scalar.composite import Composite
from minitheano.scalar.math import *  # noqa: F403  (the op instances: add, exp, ...)
