"""exp, expm1, log and tanh as C functions a compiler can vectorize (chapter 5).

glibc's `exp` is one call per element: a loop that calls it cannot be
vectorized (glibc's vector library, libmvec, exists only on x86-64 glibc, and
only for some functions).  The functions printed here are short enough to be
inlined into the loop and contain no branch and no call: every special case is
a select (`c ? a : b`), every bit trick an integer operation on the lanes.
gcc -O3 then computes 4 or 8 elements per instruction (`#pragma omp simd`).
Where libmvec exists, config.vector_math = "auto" (the default) keeps its exp
and log, which are faster (they look r up in a table), and takes tanh from here.

Each is the textbook reduction to a small interval plus a polynomial there:

* exp(x) = 2^n * exp(r), n = round(x / ln 2), r = x - n ln 2 (|r| <= ln2/2),
  ln 2 split in two parts (Cody and Waite) so that n * LN2_HI is exact;
  exp(r) - 1 = r + r^2 (1/2! + r/3! + ...), Taylor's terms up to r^DEGREE.
  2^n is built from its bits, in two halves so that results near the
  overflow and in the subnormal range come out right.
* expm1(x) = 2^n (exp(r) - 1) + (2^n - 1), for tanh.
* tanh(x) = sign(x) e / (e + 2), e = expm1(2|x|); 1 past saturation.
* log(x) = k ln 2 + log(m), x = m 2^k with m in [sqrt(2)/2, sqrt(2)); with
  f = m - 1 and s = f / (2 + f), log(1 + f) = 2 atanh(s) = 2s + s R(s^2),
  R(z) = z (2/3 + z (2/5 + ...)), Taylor's terms up to z^LOG_TERMS; the sum
  is arranged as fdlibm does, f - (f^2/2 - s (f^2/2 + R)), to round once.

NaN, the infinities and -0.0 keep numpy's meaning (exp(-inf) = 0,
log(0) = -inf, log(-1) = nan, tanh(-0.0) = -0.0), subnormal inputs and
results are handled.  Accuracy, measured by tests/ch05_c_code/test_vecmath.py
against a reference in higher precision over generated inputs: at most
MAX_ULP units in the last place (exp within 1.5, log within 1, tanh within 3; glibc's
are within 1 to 2, numpy's own float32 loops within 4).
The polynomials use Taylor's coefficients, not minimax ones: one or two terms
more, but every coefficient is a fraction the reader can check.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

# ln 2 to 40 digits: the low part of ln 2 must be computed from more digits than a double has.
LN2 = Fraction("0.6931471805599453094172321214581765680755")

# Functions printed here instead of calling the C library (what CPrinter.math answers).
# expm1 is tanh's part only: it is valid for tanh's arguments, not everywhere.
FUNCTIONS = ("exp", "log", "tanh")

# Where glibc's libmvec exists (x86-64), its table-driven exp and log are faster than
# these (10^6 float64 on AMD EPYC: exp 586 against 761 µs, log 720 against 1387 µs);
# tanh is not (1144 against 730 µs).  config.vector_math = "auto" picks by this.
FASTER_THAN_LIBMVEC = ("tanh",)

# The largest error of each function, in units in the last place, that the
# tests allow (and measure): see the module docstring.
# Measured by bench/vecmath_accuracy.py (float64: 10^7 inputs; float32: an eighth of all
# 2^32): exp 0.97 / 1.00, log 0.76 / 0.78, tanh 2.42 / 2.31 (e / (e + 2) rounds twice more).
MAX_ULP = {"exp": 1.5, "log": 1, "tanh": 3}


@dataclass(frozen=True)
class FloatFormat:
    """What the functions need to know about a floating-point type."""

    ctype: str
    uint: str  # the unsigned integer type of the same width: the bits
    mantissa_bits: int
    bias: int
    exp_degree: int  # the highest power of r in exp(r) - 1
    log_terms: int  # the powers of z in R(z)
    exp_max: float  # exp(x) overflows past this, and is clamped to it
    exp_min: float  # exp(x) rounds to 0 below this
    tanh_saturation: float  # tanh(x) rounds to 1 past this
    ln2_hi: float  # ln 2 with trailing zero bits: n * ln2_hi is exact
    suffix: str  # of the type's C literals

    @property
    def exponent_one(self) -> str:
        """The bits of 1.0 (also the mask of the exponent field's bias)."""
        return hex(self.bias << self.mantissa_bits)

    @property
    def mantissa_mask(self) -> str:
        return hex((1 << self.mantissa_bits) - 1)

    def literal(self, value: float) -> str:
        """A C literal that is exactly `value` rounded to this type."""
        if self.ctype == "float":
            return f"{np.float32(value)}f"  # the shortest decimal that gives it back
        return repr(float(value))

    @property
    def ln2_lo(self) -> float:
        """ln 2 - ln2_hi, exactly, then rounded (not from the double nearest ln 2,
        itself 1e-17 off: n times that error would cost exp hundreds of ulp)."""
        return float(LN2 - Fraction(self.ln2_hi))


FORMATS = {
    "float64": FloatFormat("double", "uint64_t", 52, 1023, exp_degree=13, log_terms=10,
                           exp_max=710.0, exp_min=-746.0, tanh_saturation=22.0,
                           ln2_hi=6.93147180369123816490e-01, suffix=""),
    "float32": FloatFormat("float", "uint32_t", 23, 127, exp_degree=7, log_terms=5,
                           exp_max=89.0, exp_min=-104.0, tanh_saturation=10.0,
                           ln2_hi=0.693359375, suffix="f"),
}


def _horner(coefficients: list[str], var: str, dtype: str) -> str:
    """c0 + var (c1 + var (c2 + ...)) as C text, each step a multiply-add."""
    text = coefficients[-1]
    for c in reversed(coefficients[:-1]):
        text = f"MT_MULADD_{dtype}({var}, {text}, {c})"
    return text


def _bits(fmt: FloatFormat, name: str, value: str) -> list[str]:
    """Declare `name` holding the bits of the float expression `value` (memcpy:
    the one way C allows; the compiler makes it a plain register move)."""
    return [f"{fmt.uint} {name};", f"{{ const {fmt.ctype} v_ = {value}; "
            f"memcpy(&{name}, &v_, sizeof v_); }}"]


def _from_bits(fmt: FloatFormat, name: str, bits: str) -> list[str]:
    return [f"{fmt.ctype} {name};", f"{{ const {fmt.uint} b_ = {bits}; "
            f"memcpy(&{name}, &b_, sizeof b_); }}"]


def _function(qualifier: str, head: str, comment: str, body: list[str]) -> str:
    lines = [f"/* {comment} */", f"{qualifier} {head}", "{"]
    return "\n".join(lines + ["    " + line for line in body] + ["}"])


def _definitions(dtype: str, qualifier: str) -> dict[str, str]:
    """Every function for `dtype`, each after those it calls."""
    fmt = FORMATS[dtype]
    T, S, L = fmt.ctype, dtype, fmt.literal
    shift = L(1.5 * 2.0 ** fmt.mantissa_bits)  # adding it rounds to a whole number
    magic = L(2.0 ** fmt.mantissa_bits + fmt.bias)  # a whole number's low bits, biased
    two_m = hex((fmt.bias + fmt.mantissa_bits) << fmt.mantissa_bits)  # the bits of 2^mantissa_bits
    # a * b + c in one rounding where the processor has the instruction (the build's
    # -ffp-contract=off, which keeps numpy's roundings elsewhere, forbids finding it alone)
    defs = {"muladd": "\n".join([
        "#ifdef __FMA__",
        f"#define MT_MULADD_{S}(a, b, c) __builtin_fma{fmt.suffix}(a, b, c)",
        "#else",
        f"#define MT_MULADD_{S}(a, b, c) ((a) * (b) + (c))",
        "#endif"])}
    taylor = [L(1 / math.factorial(k)) for k in range(2, fmt.exp_degree + 1)]
    defs["reduce"] = _function(
        qualifier, f"{T} mt_expm1_reduced_{S}({T} x, {T} *n)",
        "x = n ln2 + r with |r| <= ln2/2: sets n (a whole number) and returns exp(r) - 1",
        [f"*n = (x * {L(1 / math.log(2))} + {shift}) - {shift};",
         f"const {T} r = (x - *n * {L(fmt.ln2_hi)}) - *n * {L(fmt.ln2_lo)};",
         f"return r + r * r * ({_horner(taylor, 'r', S)});"])
    defs["pow2"] = _function(
        qualifier, f"{T} mt_pow2_{S}({T} n)",
        "2^n for a whole n whose 2^n is normal: n + bias is the exponent field",
        _bits(fmt, "bits", f"n + {magic}")
        + _from_bits(fmt, "y", f"(bits - {two_m}) << {fmt.mantissa_bits}") + ["return y;"])
    defs["exp"] = _function(
        qualifier, f"{T} mt_exp_{S}({T} x)",
        "exp(x); NaN stays NaN (no comparison is true for it)",
        [f"x = x > {L(fmt.exp_max)} ? {L(fmt.exp_max)} : x < {L(fmt.exp_min)} ? "
         f"{L(fmt.exp_min)} : x;",
         f"{T} n;",
         f"const {T} p = mt_expm1_reduced_{S}(x, &n);",
         f"const {T} half = floor{fmt.suffix}(n * {L(0.5)});  /* 2^n in two steps */",
         f"return (1 + p) * mt_pow2_{S}(half) * mt_pow2_{S}(n - half);"])
    defs["expm1"] = _function(
        qualifier, f"{T} mt_expm1_{S}({T} x)",
        "exp(x) - 1, accurate near 0, for x in [0, 2 tanh_saturation] (tanh's part only)",
        [f"{T} n;", f"const {T} p = mt_expm1_reduced_{S}(x, &n);",
         f"const {T} s = mt_pow2_{S}(n);", "return s * p + (s - 1);"])
    defs["tanh"] = _function(
        qualifier, f"{T} mt_tanh_{S}({T} x)",
        "tanh(x) = e / (e + 2) with e = expm1(2|x|), the sign of x (-0.0 stays -0.0)",
        [f"const {T} a = fabs{fmt.suffix}(x);",
         f"const bool flat = a > {L(fmt.tanh_saturation)};  /* tanh(a) rounds to 1 */",
         f"const {T} e = mt_expm1_{S}(2 * (flat ? {L(fmt.tanh_saturation)} : a));",
         f"return copysign{fmt.suffix}(flat ? 1 : e / (e + 2), x);"])
    atanh = [L(2 / (2 * k + 1)) for k in range(1, fmt.log_terms + 1)]
    smallest_normal = L(2.0 ** (1 - fmt.bias))
    scale = fmt.mantissa_bits + 2  # a subnormal times 2^scale is normal
    defs["log"] = _function(
        qualifier, f"{T} mt_log_{S}({T} x)",
        "log(x): x = m 2^k with m in [sqrt(2)/2, sqrt(2)), log(m) = 2 atanh(f / (2 + f))",
        [f"const bool tiny = x < {smallest_normal};",
         f"const {T} y = tiny ? x * {L(2.0 ** scale)} : x;"]
        + _bits(fmt, "bits", "y")
        + _from_bits(fmt, "m1", f"(bits & {fmt.mantissa_mask}) | {fmt.exponent_one}")
        + _from_bits(fmt, "e1", f"(bits >> {fmt.mantissa_bits}) | {two_m}")
        + [f"const bool big = m1 > {L(math.sqrt(2))};",
           f"const {T} k = (e1 - {magic}) + (big ? 1 : 0) - (tiny ? {scale} : 0);",
           f"const {T} f = (big ? m1 * {L(0.5)} : m1) - 1;",
           f"const {T} s = f / (2 + f), z = s * s, hfsq = {L(0.5)} * f * f;",
           f"const {T} R = z * ({_horner(atanh, 'z', S)});",
           f"const {T} r = k * {L(fmt.ln2_hi)} + (f - (hfsq - (s * (hfsq + R) "
           f"+ k * {L(fmt.ln2_lo)})));",
           "/* log(nan) = nan, log(inf) = inf, log(0) = -inf, log(x < 0) = nan */",
           "return x != x || x == INFINITY ? x : x == 0 ? -INFINITY : x < 0 ? NAN : r;"])
    return defs


# What each function calls (its definitions come first in a module).
NEEDS = {"exp": ("muladd", "reduce", "pow2", "exp"),
         "tanh": ("muladd", "reduce", "pow2", "expm1", "tanh"), "log": ("muladd", "log")}


def definitions(name: str, dtype: str, qualifier: str = "static inline") -> list[tuple[str, str]]:
    """(part, C text) for function `name` of `dtype` and what it calls, in order;
    a printer keeps each part once per module."""
    defs = _definitions(dtype, qualifier)
    return [(part, defs[part]) for part in NEEDS[name]]


def c_name(name: str, dtype: str) -> str:
    """The C name of function `name` for `dtype`: mt_exp_float64..."""
    return f"mt_{name}_{dtype}"
