"""Numerical stability: rewrite formulas that overflow into ones that do not (chapter 3).

`1 / (1 + exp(-x))` is the logistic function, but computed as written it
overflows for x = -1000 (exp(1000) is inf; the result 0 is right by luck)
and `log(1 + exp(x))` returns inf for x = 1000 where the answer is 1000.
Each rewrite below recognizes such a formula and replaces it with an op
computed in a safe way (scalar/elementary.py: sigmoid, softplus, log1p, expm1).
The first, `logistic_to_sigmoid`, is written by hand, to show what a
pattern-table row (patterns.py) does for the others.

Some make the graph larger (`log(sigmoid(x)) -> -softplus(-x)`: two nodes
become three); each says why in its `grows` note, which the sympy tests
(tests/ch03_rewriting) accept as the one excuse for growing a graph.

`sigmoid_factors` works on a whole product, not one pattern: it is what turns
the gradient of the logistic, `exp(-x) / (1 + exp(-x)) ** 2`, into
`s * (1 - s)` with s = sigmoid(x), the same s the forward pass computes.
"""

from __future__ import annotations

from minitheano.graph.basic import Variable
from minitheano.graph.fg import FunctionGraph
from minitheano.rewrite.canonicalize import Factors, _fit
from minitheano.rewrite.engine import is_elemwise, register, switch_on
from minitheano.rewrite.patterns import is_constant_value, pattern_table
from minitheano.scalar import math as smath
from minitheano.tensor.basic import cast
from minitheano.tensor.elemwise import Elemwise

GROWS_LOG_SIGMOID = "log(sigmoid(x)) is -inf for x < -745 as written; -softplus(-x) is exact"


def _signed(u: Variable) -> tuple[int, Variable]:
    """u as (sign, base): -t is (-1, t), anything else (1, u)."""
    node = u.owner
    if is_elemwise(node, smath.Neg):
        return -1, node.inputs[0]
    return 1, u


def _one_plus_exp(f: Variable) -> Variable | None:
    """u if f is 1 + exp(u) (in either order), else None."""
    node = f.owner
    if not is_elemwise(node, smath.Add) or len(node.inputs) != 2:
        return None
    for one, e in (node.inputs, node.inputs[::-1]):
        if is_constant_value(one, 1) and is_elemwise(e.owner, smath.Exp):
            return e.owner.inputs[0]
    return None


@register("stabilize", smath.TrueDiv)
def logistic_to_sigmoid(fgraph: FunctionGraph, node):
    """1 / (1 + exp(-x)) -> sigmoid(x): exp(-x) overflows for x < -709, sigmoid never does.
    (The same rewrite as a pattern-table row would be written
    `(smath.true_div, 1, (smath.add, 1, (smath.exp, (smath.neg, "x"))))`.)"""
    # --8<-- [start:ex-ch03-sigmoid-pattern]
    one, denominator = node.inputs
    if not is_constant_value(one, 1):
        return None
    u = _one_plus_exp(denominator)  # 1 + exp(u), or None
    if u is None or not is_elemwise(u.owner, smath.Neg):
        return None
    s = Elemwise(smath.sigmoid)(u.owner.inputs[0])
    out = node.outputs[0]
    return [s if s.type.dtype == out.type.dtype else cast(s, out.type.dtype)]
    # --8<-- [end:ex-ch03-sigmoid-pattern]


# --8<-- [start:ch03-sigmoid-table]
SIGMOID_PATTERNS = [
    ("logistic_neg_to_sigmoid",
     (smath.true_div, 1, (smath.add, 1, (smath.exp, "x"))), (smath.sigmoid, (smath.neg, "x")),
     "1 / (1 + exp(x)) -> sigmoid(-x): the same function, without overflow"),
    ("exp_over_1_plus_exp_to_sigmoid",
     (smath.true_div, (smath.exp, "x"), (smath.add, 1, (smath.exp, "x"))), (smath.sigmoid, "x"),
     "exp(x) / (1 + exp(x)) -> sigmoid(x): inf / inf is NaN for x > 709"),
]
# --8<-- [end:ch03-sigmoid-table]

pattern_table("stabilize", SIGMOID_PATTERNS + [
    ("log_1_plus_exp_to_softplus",
     (smath.log, (smath.add, 1, (smath.exp, "x"))), (smath.softplus, "x"),
     "log(1 + exp(x)) -> softplus(x): exp(1000) is inf, softplus(1000) is 1000"),
    ("log1p_exp_to_softplus",
     (smath.log1p, (smath.exp, "x")), (smath.softplus, "x"),
     "log1p(exp(x)) -> softplus(x): the same, without exp overflowing"),
    ("log_1_plus_to_log1p",
     (smath.log, (smath.add, 1, "x")), (smath.log1p, "x"),
     "log(1 + x) -> log1p(x): 1 + 1e-20 rounds to 1, log1p(1e-20) is 1e-20"),
    ("exp_minus_1_to_expm1",
     (smath.sub, (smath.exp, "x"), 1), (smath.expm1, "x"),
     "exp(x) - 1 -> expm1(x): exp(1e-20) - 1 rounds to 0, expm1(1e-20) is 1e-20"),
    ("log_sigmoid_to_softplus",
     (smath.log, (smath.sigmoid, "x")), (smath.neg, (smath.softplus, (smath.neg, "x"))),
     "log(sigmoid(x)) -> -softplus(-x): finite where sigmoid(x) underflows to 0",
     GROWS_LOG_SIGMOID),
    ("log_1_minus_sigmoid_to_softplus",
     (smath.log, (smath.sub, 1, (smath.sigmoid, "x"))), (smath.neg, (smath.softplus, "x")),
     "log(1 - sigmoid(x)) -> -softplus(x): 1 - sigmoid(40) is 0 as written"),
])


@register("stabilize", smath.Mul, smath.TrueDiv)
def sigmoid_factors(fgraph: FunctionGraph, node):
    """In a product, 1/(1+exp(u)) -> sigmoid(-u) and exp(u) * sigmoid(-u) -> sigmoid(u),
    writing sigmoid(-t) as 1 - sigmoid(t) when sigmoid(t) is there too (the logistic's
    gradient becomes s * (1 - s)).  Exact identities; the result never overflows."""
    out = node.outputs[0]
    dtype = out.type.dtype
    if not dtype.startswith("float") or not switch_on(fgraph, "cancel_div"):
        return None
    factors = Factors(dtype, out.type.ndim, cancel=True)
    factors.add_node(node, 1, fgraph)
    sig: dict[tuple[int, Variable], int] = {}
    exps: dict[tuple[int, Variable], int] = {}
    others: dict[Variable, int] = {}
    changed = False
    for f, e in factors.num.items():
        u = _one_plus_exp(f)
        if e < 0 and u is not None:
            s, b = _signed(u)
            sig[(-s, b)] = sig.get((-s, b), 0) - e
            changed = True
        elif is_elemwise(f.owner, smath.Sigmoid):
            key = _signed(f.owner.inputs[0])
            sig[key] = sig.get(key, 0) + e
        elif is_elemwise(f.owner, smath.Exp) and e > 0:
            key = _signed(f.owner.inputs[0])
            exps[key] = exps.get(key, 0) + e
        else:
            others[f] = others.get(f, 0) + e
    for (s, b), e in list(exps.items()):
        n = min(e, sig.get((-s, b), 0))
        if n > 0:
            exps[(s, b)] -= n
            sig[(-s, b)] -= n
            sig[(s, b)] = sig.get((s, b), 0) + n
            changed = True
    if not changed:
        return None
    rebuilt = Factors(dtype, out.type.ndim, cancel=True)
    rebuilt.constant = factors.constant
    rebuilt.num = dict(others)
    for (s, b), e in exps.items():
        if e:
            rebuilt.num[Elemwise(smath.exp)(b if s > 0 else Elemwise(smath.neg)(b))] = e
    positive = {b: Elemwise(smath.sigmoid)(b) for (s, b), e in sig.items() if e and s > 0}
    for (s, b), e in sig.items():
        if not e:
            continue
        if s > 0:
            factor = positive[b]
        elif b in positive:  # sigmoid(-b) = 1 - sigmoid(b): reuse s
            factor = Elemwise(smath.sub)(1, positive[b])
        else:
            factor = Elemwise(smath.sigmoid)(Elemwise(smath.neg)(b))
        rebuilt.num[factor] = rebuilt.num.get(factor, 0) + e
    new, _ = rebuilt.build()
    new = new() if new is not None else None
    return [_fit(new, out, factors.leaves, 1)]
