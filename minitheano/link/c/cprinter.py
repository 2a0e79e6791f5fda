"""Printing scalar code as C: types, casts, constants and the body of a fused loop (chapter 5).

A loop body is a `ScalarProgram` (tensor/kernel.py): numbered values, each
computed by one scalar op from earlier ones.  `ScalarPrinter.body` prints it
as one C declaration per value,

    const double v2 = v0 * v1;
    const double v3 = exp(-v0);

asking each scalar op for its C expression (the `c_code` of its class in
scalar/arithmetic.py, elementary.py or logic.py).
The op asks back the printer for the spellings that depend on the target:
`ctype`, `cast`, `math` (exp or expf) and `helper` (a small C function for
what is not one expression, like numpy's floor division).  Chapter 6's CUDA
printer is a subclass that changes a few of these class attributes; the
scalar ops and the bodies they print stay the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from string import Template
from typing import Any

import numpy as np

from minitheano.scalar import math as smath
from minitheano.tensor.kernel import ScalarProgram

CTYPES = {"bool": "bool", "int8": "int8_t", "int16": "int16_t", "int32": "int32_t",
          "int64": "int64_t", "uint8": "uint8_t", "uint16": "uint16_t", "uint32": "uint32_t",
          "uint64": "uint64_t", "float32": "float", "float64": "double"}

# Small C functions, instantiated per dtype on demand: $T is the C type, $S the
# dtype name, $Q the printer's function qualifier; $exp, $log1p... the math
# functions of that dtype.  Each follows numpy's own loops (numpy/_core/src/npymath).
HELPERS = {
    ("floordiv", "float"): """\
/* a // b as numpy: floor of the exact quotient, inf or nan when b == 0 */
$Q $T mt_floordiv_$S($T a, $T b)
{
    if (b == 0) return a / b;
    $T mod = $fmod(a, b);
    $T div = (a - mod) / b;
    if (mod != 0 && (b < 0) != (mod < 0)) div -= 1;
    if (div == 0) return $copysign(0, a / b);
    $T floordiv = $floor(div);
    if (div - floordiv > 0.5) floordiv += 1;
    return floordiv;
}""",
    ("mod", "float"): """\
/* a % b as numpy: the sign of b; nan when b == 0 */
$Q $T mt_mod_$S($T a, $T b)
{
    $T mod = $fmod(a, b);
    if (b == 0) return mod;
    if (mod != 0) {
        if ((b < 0) != (mod < 0)) mod += b;
    } else {
        mod = $copysign(0, b);
    }
    return mod;
}""",
    ("floordiv", "int"): """\
/* a // b as numpy: rounded toward minus infinity; 0 when b == 0 */
$Q $T mt_floordiv_$S($T a, $T b)
{
    if (b == 0) return 0;
    if (b == -1) return -a;  /* MIN / -1 would trap; numpy wraps to MIN */
    $T q = a / b;
    if (a % b != 0 && (a < 0) != (b < 0)) q -= 1;
    return q;
}""",
    ("mod", "int"): """\
/* a % b as numpy: the sign of b; 0 when b == 0 */
$Q $T mt_mod_$S($T a, $T b)
{
    if (b == 0 || b == -1) return 0;
    $T r = a % b;
    if (r != 0 && (r < 0) != (b < 0)) r += b;
    return r;
}""",
    ("floordiv", "uint"): """\
$Q $T mt_floordiv_$S($T a, $T b) { return b == 0 ? 0 : a / b; }""",
    ("mod", "uint"): """\
$Q $T mt_mod_$S($T a, $T b) { return b == 0 ? 0 : a % b; }""",
    ("pow", "int"): """\
/* a ** b for b >= 0 by repeated squaring, wrapping around on overflow as numpy */
$Q $T mt_pow_$S($T a, $T b)
{
    $T r = 1;
    while (b > 0) {
        if (b & 1) r *= a;
        a *= a;
        b >>= 1;
    }
    return r;
}""",
    ("sigmoid", "float"): """\
/* 1 / (1 + exp(-x)), never overflowing */
$Q $T mt_sigmoid_$S($T x)
{
    $T e = $exp(-$fabs(x));
    return x >= 0 ? 1 / (1 + e) : e / (1 + e);
}""",
    ("softplus", "float"): """\
/* log(1 + exp(x)) as numpy's logaddexp(0, x): never overflowing */
$Q $T mt_softplus_$S($T x)
{
    if (x == 0) return $log2const;
    if (x > 0) return x + $log1p($exp(-x));
    if (x < 0) return $log1p($exp(x));
    return x;  /* nan */
}""",
    ("touint64", "float"): """\
/* x as uint64 the way numpy's loops compute it (they wrap negative values) */
$Q uint64_t mt_touint64_$S($T x)
{
    if (x >= $two63) return (uint64_t)(int64_t)(x - $two63) ^ 0x8000000000000000u;
    return (uint64_t)(int64_t)x;
}""",
}

HELPERS["pow", "uint"] = HELPERS["pow", "int"]

_KINDS = {"b": "bool", "i": "int", "u": "uint", "f": "float"}


class ScalarPrinter:
    """Spellings of scalar C, the body of a loop, and how a reduction folds: what
    chapter 5's C printer and chapter 6's CUDA printer share."""

    # What chapter 6 changes: how helpers are declared, infinity and nan.
    qualifier = "static inline"
    infinity = "INFINITY"
    nan = "NAN"

    def __init__(self) -> None:
        self.helpers: dict[tuple[str, str], str] = {}  # in order of first use

    # -- questions a scalar op's c_code asks --------------------------------------
    def ctype(self, dtype: str) -> str:
        return CTYPES[dtype]

    def math(self, name: str, dtype: str) -> str:
        """The C math function `name` for `dtype`: exp for double, expf for float."""
        return name + "f" if dtype == "float32" else name

    def helper(self, name: str, dtype: str) -> str:
        """The name of helper `name` for `dtype`, whose definition the module will include."""
        kind = _KINDS[np.dtype(dtype).kind]
        template = HELPERS.get((name, kind))
        if template is None:
            raise NotImplementedError(f"no C helper {name} for {dtype}")
        if (name, dtype) not in self.helpers:
            self.helpers[(name, dtype)] = self._instantiate(template, dtype)
        return f"mt_{name}_{dtype}"

    def _instantiate(self, template: str, dtype: str) -> str:
        f = self.math
        words = {"T": self.ctype(dtype), "S": dtype, "Q": self.qualifier,
                 "two63": "9223372036854775808.0" + ("f" if dtype == "float32" else ""),
                 "log2const": self.literal(np.log(2.0), dtype)}
        for fn in ("exp", "fabs", "fmod", "floor", "copysign", "log1p"):
            words[fn] = f(fn, dtype)
        return Template(template).substitute(words)

    def cast(self, expr: str, from_dtype: str, to_dtype: str) -> str:
        """`expr` (of `from_dtype`) converted to `to_dtype` as numpy's astype does."""
        if from_dtype == to_dtype:
            return expr
        expr = expr if expr.isidentifier() else f"({expr})"
        to = self.ctype(to_dtype)
        if from_dtype.startswith("float") and to_dtype not in ("bool",) and \
                not to_dtype.startswith("float"):
            # Out-of-range values: C leaves them undefined; numpy's loops go
            # through a 32- or 64-bit conversion first (1e20 -> int8 is 0).
            if to_dtype == "uint64":
                return f"{self.helper('touint64', from_dtype)}({expr})"
            wide = "int64_t" if to_dtype in ("int64", "uint32") else "int32_t"
            return f"({to})({wide}){expr}" if wide != to else f"({to}){expr}"
        return f"({to}){expr}"

    def literal(self, value: Any, dtype: str) -> str:
        """A C literal of `dtype` for the Python number `value`."""
        if dtype == "bool":
            return "true" if value else "false"
        if dtype.startswith("float"):
            value = float(value)
            if np.isnan(value):
                return self.nan
            if np.isinf(value):
                return self.infinity if value > 0 else f"-{self.infinity}"
            if dtype == "float32":
                return f"{np.float32(value)}f"  # the shortest decimal that gives it back
            return repr(value)
        value = int(value)
        if dtype == "int64" and value == -2**63:
            return "INT64_MIN"
        if dtype == "int32" and value == -2**31:
            return "INT32_MIN"
        return f"{value}u" if dtype.startswith("uint") else str(value)

    # -- reductions ------------------------------------------------------------------
    def fold(self, op: str, acc: str, value: str, dtype: str) -> str:
        """The C expression folding `value` into `acc` for reduction `op` ("add",
        "maximum"...): the scalar op's own code, whichever the target."""
        return getattr(smath, op).c_code(self, [acc, value], [dtype] * 2, dtype)

    def start_value(self, op: str, dtype: str) -> str:
        """The value a fold starts from: its identity; for max and min the
        extreme value of the dtype (an empty max is an error anyway)."""
        if op in ("maximum", "minimum"):
            low = op == "maximum"
            if dtype.startswith("float"):
                return f"-{self.infinity}" if low else self.infinity
            if dtype == "bool":
                return self.literal(not low, dtype)
            info = np.iinfo(dtype)
            return self.literal(info.min if low else info.max, dtype)
        if op == "and_":  # every bit set
            return "true" if dtype == "bool" else f"({self.ctype(dtype)})~0"
        return self.literal(1 if op == "mul" else 0, dtype)

    # -- loop bodies ---------------------------------------------------------------
    def name(self, program: ScalarProgram, value: int) -> str:
        """The C name of a value: v0, v1... for inputs and steps, c4 for constants."""
        is_const = any(v == value for v, _, _ in program.constants)
        return f"c{value}" if is_const else f"v{value}"

    def constants(self, program: ScalarProgram) -> list[str]:
        """Declarations of the program's constants (before any loop)."""
        return [f"const {self.ctype(d)} c{v} = {self.literal(x, d)};"
                for v, x, d in program.constants]

    def checks(self, program: ScalarProgram) -> list[tuple[str, str]]:
        """(C condition, message) for inputs that are errors, such as 2 ** -1 on integers."""
        found = []
        for step in program.steps:
            args, dtypes = self._args(program, step)
            check = step.op.c_check(args, dtypes)
            if check is not None and check not in found:
                found.append(check)
        return found

    def body(self, program: ScalarProgram, loads: Sequence[str | None],
             stores: Sequence[str]) -> list[str]:
        """The statements computing one element: load the inputs (`loads[k]` is
        a C expression, or None for an input already in v<k>), one declaration
        per step, error flags, then store each output into `stores[k]`."""
        lines = [f"const {self.ctype(d)} v{k} = {load};"
                 for k, (load, d) in enumerate(zip(loads, program.in_dtypes)) if load is not None]
        checks = self.checks(program)
        for step in program.steps:
            args, dtypes = self._args(program, step)
            expr = step.op.c_code(self, args, dtypes, step.dtype)
            lines.append(f"const {self.ctype(step.dtype)} v{step.out} = {expr};")
            check = step.op.c_check(args, dtypes)
            if check is not None:
                lines.append(f"err{checks.index(check)} |= {check[0]};")
        for store, value in zip(stores, program.outputs):
            lines.append(f"{store} = {self.name(program, value)};")
        return lines

    def _args(self, program: ScalarProgram, step: Any) -> tuple[list[str], list[str]]:
        """The step's arguments converted to the dtypes its op computes in."""
        have = [program.dtype(a) for a in step.args]
        want = list(step.op.c_arg_dtypes(have, step.dtype))
        args = [self.cast(self.name(program, a), h, w) for a, h, w in zip(step.args, have, want)]
        return args, want
