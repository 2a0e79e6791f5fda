"""Comparisons and bitwise logic: bool results, no gradient (chapters 1, 5).

The instances (`eq`, `lt`, `and_`, ...) are in `scalar/math.py`.
"""

from __future__ import annotations

import numpy as np

from minitheano.scalar.arithmetic import loop_dtypes
from minitheano.scalar.basic import (
    BinaryScalarOp,
    ScalarOp,
    UnaryScalarOp,
)

# ---------------------------------------------------------------------------
# Comparisons and logic: bool results, no gradient
# ---------------------------------------------------------------------------

class _NoGrad(ScalarOp):
    def grad(self, inputs, output_grads):
        return [None] * len(inputs)


class _Comparison(_NoGrad, BinaryScalarOp):
    c_symbol = ""

    def c_arg_dtypes(self, in_dtypes, out_dtype):
        return loop_dtypes(self.nfunc, tuple(in_dtypes))

    def c_code(self, p, args, dtypes, out_dtype):
        (a, b), op = args, self.c_symbol
        # numpy compares int64 with uint64 exactly; C would turn -1 into 2**64 - 1.
        # A negative int64 is below every uint64: the answer is that of 0 op 1.
        if dtypes == ["int64", "uint64"]:
            return f"{a} < 0 ? {int(self.nfunc(0, 1))} : (uint64_t){a} {op} {b}"
        if dtypes == ["uint64", "int64"]:
            return f"{b} < 0 ? {int(self.nfunc(1, 0))} : {a} {op} (uint64_t){b}"
        return f"{a} {op} {b}"


class EQ(_Comparison):
    name = "eq"
    nfunc = np.equal
    c_symbol = "=="


class NEQ(_Comparison):
    name = "neq"
    nfunc = np.not_equal
    c_symbol = "!="


class LT(_Comparison):
    name = "lt"
    nfunc = np.less
    c_symbol = "<"


class LE(_Comparison):
    name = "le"
    nfunc = np.less_equal
    c_symbol = "<="


class GT(_Comparison):
    name = "gt"
    nfunc = np.greater
    c_symbol = ">"


class GE(_Comparison):
    name = "ge"
    nfunc = np.greater_equal
    c_symbol = ">="


class IsNan(_NoGrad, UnaryScalarOp):
    name = "isnan"
    nfunc = np.isnan

    def c_arg_dtypes(self, in_dtypes, out_dtype):
        return list(in_dtypes)

    def c_code(self, p, args, dtypes, out_dtype):
        return f"isnan({args[0]})" if dtypes[0].startswith("float") else "0"


class IsInf(_NoGrad, UnaryScalarOp):
    name = "isinf"
    nfunc = np.isinf

    def c_arg_dtypes(self, in_dtypes, out_dtype):
        return list(in_dtypes)

    def c_code(self, p, args, dtypes, out_dtype):
        return f"isinf({args[0]})" if dtypes[0].startswith("float") else "0"


class AND(_NoGrad, BinaryScalarOp):
    name = "and_"
    nfunc = np.bitwise_and
    c_template = "{0} & {1}"


class OR(_NoGrad, BinaryScalarOp):
    name = "or_"
    nfunc = np.bitwise_or
    c_template = "{0} | {1}"


class XOR(_NoGrad, BinaryScalarOp):
    name = "xor"
    nfunc = np.bitwise_xor
    c_template = "{0} ^ {1}"


class Invert(_NoGrad, UnaryScalarOp):
    """~x: bitwise not (logical not for bools)."""
    name = "invert"
    nfunc = np.invert

    def c_code(self, p, args, dtypes, out_dtype):
        return f"!{args[0]}" if out_dtype == "bool" else f"~{args[0]}"


# The gradients above build graphs with the op instances of scalar/math.py, which
# imports this module: importing it last breaks the cycle.
