"""Canonical forms of sums and products (chapter 3).

`x + y - x`, `--x`, `2 * x * 3` and `x * y / x` are written in many ways that
mean the same thing.  The canonicalizer flattens a tree of additions,
subtractions and negations into one list of signed terms, and a tree of
multiplications, divisions and negations (-x is (-1) * x) into one list of
factors with exponents:

    x + y - x     ->  terms   {x: +1 - 1, y: +1}          ->  y
    (a*b) / (a*c) ->  factors {a: 1 - 1, b: 1, c: -1}     ->  b / c
    2 * x * 3     ->  factors {x: 1}, constant 6          ->  6 * x
    -x * -y       ->  factors {x: 1, y: 1}, constant 1    ->  x * y

then writes the list back in one fixed form: positive terms added, negative
ones subtracted; numerator over denominator, repeated factors as powers.  Any
two ways of writing the same sum end up as the same graph, which is what lets
merging (merge.py) and the stability patterns (stabilize.py) see through the
user's choice of parentheses.

Only nodes read by nobody else are flattened into their reader (otherwise a
shared subexpression would be computed twice), and only when they compute in
the same dtype (an int8 sum that wraps around must not become a float sum).
Sums of booleans are left alone: for numpy, True + True is True.

What it assumes, as Theano did: terms cancel as numbers do, so `x - x` is 0
and `x * y / x` is y even where x is inf or NaN (the original would give NaN),
and at x = 0 (0 * y / 0 is NaN, the rewrite gives y).  A mode that must keep
those NaNs can forbid the cancellation of factors: `mode.excluding('cancel_div')`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from minitheano.graph.basic import Apply, Constant, Variable
from minitheano.graph.fg import FunctionGraph
from minitheano.rewrite.engine import SWITCHES, is_elemwise, register, switch_on
from minitheano.rewrite.patterns import scalar_constant
from minitheano.scalar import math as smath
from minitheano.tensor.basic import cast, constant, second
from minitheano.tensor.elemwise import Elemwise

# A graph not built yet: a function of no arguments that builds it.
Lazy = Callable[[], Variable]

SWITCHES["cancel_div"] = "x * y / x -> y (wrong where x is 0, inf or NaN, as in Theano)"

ADD_GROUP = (smath.Add, smath.Sub, smath.Neg)
MUL_GROUP = (smath.Mul, smath.TrueDiv, smath.Inv, smath.Neg)  # -x is (-1) * x


def owned_only_by(fgraph: FunctionGraph, var: Variable) -> bool:
    """Is `var` read by exactly one node (and not an output of the graph)?"""
    clients = fgraph.clients.get(var, ())
    return len(clients) == 1 and clients[0][0] != "output"


def _inner(fgraph: FunctionGraph, var: Variable, group: tuple, dtype: str) -> Apply | None:
    """The node computing `var`, if it can be flattened into its reader."""
    node = var.owner
    if (is_elemwise(node, group) and var.type.dtype == dtype
            and owned_only_by(fgraph, var)):
        return node
    return None


def small_int(value: object) -> int | None:
    """`value` as an int if it is a whole number (2 or 2.0) of modest size."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if float(value).is_integer() and abs(value) <= 64:
        return int(value)
    return None


def _signed(dtype: str) -> bool:
    """Can values of `dtype` be negated without wrapping to another meaning?"""
    return not dtype.startswith("u") and dtype != "bool"


def _filled_constant(fgraph: FunctionGraph, var: Variable,
                     dtype: str) -> tuple[Variable | None, np.ndarray | None]:
    """(None, c) if `var` is a constant c; (a, c) if it is fill(a, c), the
    constant c repeated to the shape of a; else (None, None)."""
    donor, node = None, var.owner
    if is_elemwise(node, smath.Second) and owned_only_by(fgraph, var):
        donor, var = node.inputs
    if not isinstance(var, Constant):
        return None, None
    return donor, np.asarray(var.data).astype(dtype)


def _describe(value: np.ndarray, donor: Variable | None = None) -> tuple:
    if value.size == 1:  # one number, whatever its padding
        value = value.reshape(())
    return ("const", value.shape, value.tobytes(), donor)


# ---------------------------------------------------------------------------
# Sums
# ---------------------------------------------------------------------------

class Terms:
    """A sum as {term: coefficient} plus one constant, in the order terms were met."""

    def __init__(self, dtype: str, ndim: int) -> None:
        self.dtype = dtype
        self.ndim = ndim
        self.coef: dict[Variable, int] = {}
        self.constant = np.zeros((), dtype=dtype)
        self.constant_at = 0  # where the user wrote a constant: keep it there
        self.leaves: list[Variable] = []  # what decided the shape of the sum

    def add(self, var: Variable, sign: int, fgraph: FunctionGraph) -> tuple:
        """Add `sign * var`, flattening sums inside it; return a description of
        how `var` was written, to tell whether the canonical form is new."""
        node = _inner(fgraph, var, ADD_GROUP, self.dtype)
        if node is not None:
            op = node.op.scalar_op
            signs = {smath.Add: [1] * len(node.inputs), smath.Sub: [1, -1],
                     smath.Neg: [-1]}[type(op)]
            return (op.name,) + tuple(self.add(v, sign * s, fgraph)
                                      for v, s in zip(node.inputs, signs))
        self.leaves.append(var)
        donor, value = _filled_constant(fgraph, var, self.dtype)
        if value is not None:
            if donor is not None:  # fill(a, c): the value c, the shape of a
                self.leaves.append(donor)
            if not self.constant.any():
                self.constant_at = len(self.coef)
            with np.errstate(over="ignore"):
                self.constant = (self.constant + value if sign > 0
                                 else self.constant - value).astype(self.dtype)
            return _describe(value, donor)
        k, term = 1, var
        mul = var.owner
        if (is_elemwise(mul, smath.Mul) and len(mul.inputs) == 2 and var.type.dtype == self.dtype
                and owned_only_by(fgraph, var)):
            c = small_int(scalar_constant(mul.inputs[0]))
            if c is not None and mul.inputs[1].type == var.type:
                k, term = c, mul.inputs[1]
        self.coef[term] = self.coef.get(term, 0) + sign * k
        return ("mulc", k, term) if k != 1 else term

    def build(self) -> tuple[Lazy | None, tuple]:
        """The canonical sum (a function building it; None if it is empty) and its
        description: nodes are only made if the description is new."""
        pos, neg = [], []
        for term, k in self.coef.items():
            if k == 0:
                continue
            n = abs(k)
            part = (lambda t=term: t) if n == 1 else (lambda n=n, t=term: _mul_const(n, t))
            desc = term if n == 1 else ("mulc", n, term)
            (pos if k > 0 else neg).append((part, desc))
        if self.constant.any():
            negative = not self.dtype.startswith("u") and bool(np.all(self.constant < 0))
            value = -self.constant if negative else self.constant
            side = neg if negative else pos
            side.insert(min(self.constant_at, len(side)),
                        (lambda: constant(value, dtype=self.dtype, ndim=self.ndim),
                         _describe(value)))
        plus = _nary(smath.add, pos)
        minus = _nary(smath.add, neg)
        if plus is None and minus is None:
            return None, ()
        if minus is None:
            return plus
        if plus is None:
            return (lambda: _negate(minus[0](), self.dtype)), ("neg", minus[1])
        return (lambda: Elemwise(smath.sub)(plus[0](), minus[0]())), ("sub", plus[1], minus[1])


def _negate(v: Variable, dtype: str) -> Variable:
    """-v in `dtype`: the terms of a float sum or product may be bools (the mask in
    the gradient of max), which have no negation; they are cast first."""
    if v.type.dtype != dtype:
        v = cast(v, dtype)
    return Elemwise(smath.neg)(v)


def _mul_const(k: int, term: Variable) -> Variable:
    return Elemwise(smath.mul)(constant(k, dtype=term.type.dtype), term)


def _nary(op, parts: list[tuple[Lazy, tuple]]) -> tuple[Lazy, tuple] | None:
    """One node of `op` over the parts (built later, if wanted), with its description."""
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    return ((lambda: Elemwise(op)(*(p() for p, _ in parts))),
            (op.name,) + tuple(d for _, d in parts))


def _fit(new: Variable | None, out: Variable, leaves: list[Variable], fill_value: int) -> Variable:
    """`new` with the dtype and broadcastable pattern of `out`.

    Cancelled terms still decided the shape of the result: `x + y - x` with x
    a matrix and y a row is a matrix.  Where `new` would be broadcastable but
    `out` is not, the length is taken from a leaf that had it, with `second`
    (fill): values of `new`, shape of the leaf.  An empty result is the
    constant `fill_value` (0 for sums, 1 for products) filled the same way.
    """
    if new is None:
        new = constant(fill_value, dtype=out.type.dtype, ndim=out.type.ndim)
    if new.type.ndim < out.type.ndim:
        new = new.dimshuffle(["x"] * (out.type.ndim - new.type.ndim) + list(range(new.type.ndim)))
    if new.type.dtype != out.type.dtype:
        new = cast(new, out.type.dtype)
    missing = {d for d, (b_new, b_out) in enumerate(zip(new.type.broadcastable,
                                                         out.type.broadcastable))
               if b_new and not b_out}
    while missing:
        donor = max(leaves, key=lambda v: sum(not v.type.broadcastable[d] for d in missing))
        new = second(donor, new)
        missing = {d for d in missing if donor.type.broadcastable[d]}
    return new


@register("canonicalize", *ADD_GROUP)
def add_canonical(fgraph: FunctionGraph, node: Apply):
    """Collect the terms of a sum: --x -> x, x + y - x -> y, x + x -> 2 * x.
    Safe: integer sums wrap identically in any order; float sums differ by rounding."""
    out = node.outputs[0]
    dtype = out.type.dtype
    if dtype == "bool":
        return None
    terms = Terms(dtype, out.type.ndim)
    # --8<-- [start:ex-ch03-canonical-add]
    op = node.op.scalar_op
    signs = {smath.Add: [1] * len(node.inputs), smath.Sub: [1, -1], smath.Neg: [-1]}[type(op)]
    before = (op.name,) + tuple(terms.add(v, s, fgraph) for v, s in zip(node.inputs, signs))
    new, after = terms.build()
    if after == before:
        return None
    new = new() if new is not None else None
    # --8<-- [end:ex-ch03-canonical-add]
    return [_fit(new, out, terms.leaves, 0)]


# ---------------------------------------------------------------------------
# Products
# ---------------------------------------------------------------------------

class Factors:
    """A product as {factor: exponent} above and below the line, plus one constant."""

    def __init__(self, dtype: str, ndim: int, cancel: bool) -> None:
        self.dtype = dtype
        self.ndim = ndim
        self.cancel = cancel
        self.num: dict[Variable, int] = {}
        self.den: dict[Variable, int] = {}
        self.constant = np.ones((), dtype=dtype)
        self.constant_at = 0  # where the user wrote a constant: keep it there
        self.leaves: list[Variable] = []  # what decided the shape of the product

    def add_node(self, node: Apply, power: int, fgraph: FunctionGraph) -> tuple:
        """Multiply by (what `node` computes) ** power; return how it was written."""
        op = node.op.scalar_op
        if isinstance(op, smath.Neg):  # (-1) ** power is -1 for any power
            self.constant = (-self.constant).astype(self.dtype)
        powers = {smath.Mul: [1] * len(node.inputs), smath.TrueDiv: [1, -1],
                  smath.Inv: [-1], smath.Neg: [1]}[type(op)]
        return (op.name,) + tuple(self.add(v, power * p, fgraph)
                                  for v, p in zip(node.inputs, powers))

    def add(self, var: Variable, power: int, fgraph: FunctionGraph) -> tuple:
        """Multiply by `var ** power`, flattening products inside it; return a
        description of how `var` was written."""
        group = MUL_GROUP if _signed(self.dtype) else MUL_GROUP[:-1]
        node = _inner(fgraph, var, group, self.dtype)
        if node is not None:
            return self.add_node(node, power, fgraph)
        self.leaves.append(var)
        donor, value = _filled_constant(fgraph, var, self.dtype)
        if value is not None:
            if donor is not None:
                self.leaves.append(donor)
            if np.all(self.constant == 1):
                self.constant_at = len(self.num)
            with np.errstate(all="ignore"):
                self.constant = (self.constant * value if power > 0
                                 else self.constant / value).astype(self.dtype)
            return _describe(value, donor)
        k, factor = 1, var
        pw = var.owner
        if (is_elemwise(pw, smath.Pow) and var.type.dtype == self.dtype
                and owned_only_by(fgraph, var) and pw.inputs[0].type == var.type):
            e = small_int(scalar_constant(pw.inputs[1]))
            if e is not None and e > 0:
                k, factor = e, pw.inputs[0]
        if self.cancel:  # one net exponent per factor; its sign decides the side
            self.num[factor] = self.num.get(factor, 0) + power * k
        elif power > 0:
            self.num[factor] = self.num.get(factor, 0) + k
        else:
            self.den[factor] = self.den.get(factor, 0) + k
        return ("pow", factor, k) if k != 1 else factor

    def build(self) -> tuple[Lazy | None, tuple]:
        """The canonical product (a function building it; None if it is 1) and its
        description."""
        num, den = [], []
        for side, sign in ((self.num, 1), (self.den, -1)):
            for factor, e in side.items():
                e *= sign
                if e == 0:
                    continue
                target = num if e > 0 else den
                e = abs(e)
                if e == 1:
                    target.append(((lambda f=factor: f), factor))
                else:
                    target.append(((lambda f=factor, e=e: Elemwise(smath.pow)(
                        f, constant(e, dtype=f.type.dtype))), ("pow", factor, e)))
        c = self.constant
        # A factor -1 is written as a negation of the rest: -(x * y), not -1 * x * y.
        negate = _signed(self.dtype) and bool(np.all(c == -1)) and bool(num or den)
        if np.any(c != 1) and not negate:
            num.insert(min(self.constant_at, len(num)),
                       ((lambda: constant(c, dtype=self.dtype, ndim=self.ndim)), _describe(c)))
        top, bottom = _nary(smath.mul, num), _nary(smath.mul, den)
        if bottom is None:
            product = top if top is not None else (None, ())
        else:
            if top is None:
                one = np.ones((), dtype=self.dtype)
                top = ((lambda: constant(one, dtype=self.dtype, ndim=self.ndim)),
                       _describe(one))
            product = ((lambda: Elemwise(smath.true_div)(top[0](), bottom[0]())),
                       ("true_div", top[1], bottom[1]))
        if negate:
            return (lambda: _negate(product[0](), self.dtype)), ("neg", product[1])
        return product


@register("canonicalize", *MUL_GROUP)
def mul_canonical(fgraph: FunctionGraph, node: Apply):
    """Collect the factors of a product: x*1 -> x, x*0 -> zeros, 2*x*3 -> 6*x,
    x*x -> x**2, -x * -y -> x*y, x*y/x -> y (unless 'cancel_div' is excluded: see
    the module doc)."""
    out = node.outputs[0]
    dtype = out.type.dtype
    if dtype == "bool" or (isinstance(node.op.scalar_op, smath.Neg) and not _signed(dtype)):
        return None
    factors = Factors(dtype, out.type.ndim, cancel=switch_on(fgraph, "cancel_div"))
    before = factors.add_node(node, 1, fgraph)
    if not factors.constant.any():
        # x * 0 is 0, as in Theano, even where x is inf or NaN.
        return [_fit(constant(0, dtype=dtype, ndim=out.type.ndim), out, factors.leaves, 0)]
    new, after = factors.build()
    if after == before:
        return None
    new = new() if new is not None else None
    return [_fit(new, out, factors.leaves, 1)]
