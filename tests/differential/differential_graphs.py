"""Random typed graphs, their values, and a numpy reference with error bounds (issue 16).

`batches()` is a hypothesis strategy.  A Batch is a few graphs (the outputs) over
shared inputs, so that one compiled function checks several graphs at once: a
graph is built step by step from a pool of terms, each step an operation whose
operands the pool can give (elementwise arithmetic and math, comparisons and
`switch`, broadcasting, reductions over axes, `dot`, dimshuffle, slicing with
negative steps, integer and integer-array indexing), on float32/float64/int
inputs of 0-3 dimensions.

`reference(term, values)` evaluates a term with numpy, node by node, cast to the
node's dtype as minitheano types it, together with a first-order bound on the
rounding error of each element: an element whose bound is small must agree
between backends; one whose bound is infinite (a comparison on the edge, an
overflow on the way, a NaN that rounding could create or remove) is
ill-conditioned, and rewrites may legitimately change it.

`reference(..., assume_finite=True)` gives the bounds a rewritten graph is held
to.  The simplifier assumes, as Theano's did, that terms cancel as numbers do
(rewrite/canonicalize.py): `x - x` is 0 and `x * y / x` is y even where x is
inf, NaN or 0.  So an element is also unbounded there when an add, sub, neg,
mul or true_div on its way met a non-finite operand or made a non-finite result.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from hypothesis import strategies as st

from minitheano import tensor as T

FLOATS = ("float32", "float64")
INTS = ("int8", "int32", "int64")
LAYOUTS = ("C", "F", "strided", "negative-stride", "unaligned")
LENGTHS = (0, 1, 2, 3, 5)
MAX_NDIM = 3


@dataclass(eq=False)
class Term:
    """A graph under construction: the minitheano variable, and how numpy computes it."""
    sym: object
    shape: tuple[int, ...]
    text: str
    args: list[Term] = field(default_factory=list)
    numpy: Callable | None = None  # numpy function of the args' values; None: an input
    error: Callable | None = None  # (values, errors, result) -> error bound of the result
    smooth: bool = True  # differentiable wherever it is finite: finite differences apply
    cancels: bool = False  # an op whose terms the simplifier cancels (add, sub, mul...)

    @property
    def dtype(self) -> str:
        return self.sym.dtype

    @property
    def broadcastable(self) -> tuple[bool, ...]:
        return self.sym.broadcastable


@dataclass
class Batch:
    inputs: list[Term]
    outputs: list[Term]
    seed: int  # of the values


# -- error bounds -----------------------------------------------------------------------------
def eps(dtype: str) -> float:
    return float(np.finfo(dtype).eps) if dtype in FLOATS else 0.0


def tiny(dtype: str) -> float:
    return float(np.finfo(dtype).smallest_subnormal) if dtype in FLOATS else 0.0


def rounding(result: np.ndarray) -> np.ndarray:
    """The error of rounding `result` once to its dtype."""
    d = result.dtype.name
    with np.errstate(all="ignore"):
        r = np.abs(result.astype(np.float64)) * eps(d) + tiny(d)
    return np.where(np.isfinite(r), r, 0.0)  # an exact inf or NaN: no rounding


def as_f64(a: np.ndarray) -> np.ndarray:
    return np.asarray(a).astype(np.float64)


def elemwise_error(fn: Callable) -> Callable:
    """The bound of an elementwise op: the largest change of its result when each
    operand moves by its own bound (in float64), plus one rounding."""
    def bound(values, errors, result):
        exact = np.logical_and.reduce([np.broadcast_to(e == 0, result.shape) for e in errors])
        # An operand known to nothing (NaN moved by inf is still NaN): neither is the result.
        unknown = np.logical_or.reduce([np.broadcast_to(np.isinf(e), result.shape)
                                        for e in errors])
        out = as_f64(result)
        worst = np.zeros(result.shape)
        if not exact.all():
            with np.errstate(all="ignore"):
                for signs in itertools.product((-1.0, 1.0), repeat=len(values)):
                    moved = as_f64(fn(*[as_f64(v) + s * e
                                        for v, e, s in zip(values, errors, signs)]))
                    change = np.abs(moved - out)
                    same = (moved == out) | (np.isnan(moved) & np.isnan(out))
                    worst = np.fmax(worst, np.where(same, 0.0, np.where(np.isnan(change),
                                                                       np.inf, change)))
        worst = np.where(exact, 0.0, np.where(unknown, np.inf, worst))
        if result.dtype.kind in "biu":  # an integer or a boolean that may flip: unknown
            return np.where(worst >= 0.5, np.inf, 0.0)
        return worst + rounding(result)
    return bound


def same_error(op: Callable) -> Callable:
    """For ops that move elements (indexing, dimshuffle): the same move of the bounds."""
    return lambda values, errors, result: np.asarray(op(errors[0]), dtype=np.float64)


# -- inputs -----------------------------------------------------------------------------------
def input_term(name: str, dtype: str, shape: tuple[int, ...], bcast: tuple[bool, ...]) -> Term:
    sym = T.TensorType(dtype, bcast)(name)
    return Term(sym, shape, name)


def input_values(term: Term, rng: np.random.Generator, special: bool) -> np.ndarray:
    """Values for an input, in a random memory layout: NaN, infinities, -0.0 and
    subnormals among them when `special`, moderate finite values otherwise."""
    shape, dtype = term.shape, np.dtype(term.dtype)
    if dtype.kind == "f":
        values = rng.normal(0, 2, shape).astype(dtype)
        if special:
            info = np.finfo(dtype)
            pool = np.array([np.nan, np.inf, -np.inf, -0.0, 0.0, info.smallest_subnormal,
                             -info.smallest_subnormal * 3, info.tiny, info.max, 1e30, -7.0,
                             0.5, 1.0], dtype=dtype)
            pick = rng.random(shape) < 0.3
            values = np.where(pick, rng.choice(pool, shape), values)
    else:
        info = np.iinfo(dtype)
        values = rng.integers(-5, 6, shape).astype(dtype)
        if special:
            pool = np.array([info.min, info.max, 0, -1, 1], dtype=dtype)
            values = np.where(rng.random(shape) < 0.3, rng.choice(pool, shape), values)
    return layout(np.asarray(values, dtype=dtype), LAYOUTS[rng.integers(len(LAYOUTS))])


def layout(values: np.ndarray, how: str) -> np.ndarray:
    """`values` (equal elements) in memory laid out as `how` says."""
    values = np.asarray(values)
    if values.ndim == 0 and how != "unaligned":
        how = "C"  # a 0-d array has no strides (and asfortranarray makes it 1-d)
    if how == "F":
        return np.asfortranarray(values)
    if how == "strided":
        big = np.zeros(tuple(2 * n for n in values.shape), values.dtype)
        view = big[tuple(slice(None, None, 2) for _ in values.shape)]
        view[...] = values
        return view
    if how == "negative-stride":
        flipped = np.array(values[tuple(slice(None, None, -1) for _ in values.shape)], order="C")
        return flipped[tuple(slice(None, None, -1) for _ in values.shape)]
    if how == "unaligned":
        raw = np.zeros(values.nbytes + 1, np.uint8)
        view = raw[1:].view(values.dtype).reshape(values.shape)
        view[...] = values
        return view
    return np.array(values, order="C")  # (np.ascontiguousarray makes a 0-d array 1-d)


# -- operations ---------------------------------------------------------------------------------
def _sigmoid(x):
    with np.errstate(all="ignore"):
        return 1 / (1 + np.exp(-x))


UNARY_FLOAT = {"exp": (T.exp, np.exp), "log": (T.log, np.log), "log1p": (T.log1p, np.log1p),
               "expm1": (T.expm1, np.expm1), "sqrt": (T.sqrt, np.sqrt),
               "tanh": (T.tanh, np.tanh), "sin": (T.sin, np.sin), "cos": (T.cos, np.cos),
               "sigmoid": (T.nnet.sigmoid, _sigmoid), "floor": (T.floor, np.floor),
               "ceil": (T.ceil, np.ceil)}
UNARY_ANY = {"neg": (lambda x: -x, np.negative), "abs": (abs, np.abs),
             "sqr": (T.sqr, np.square), "sgn": (T.sgn, np.sign)}
BINARY_ANY = {"add": (lambda a, b: a + b, np.add), "sub": (lambda a, b: a - b, np.subtract),
              "mul": (lambda a, b: a * b, np.multiply), "maximum": (T.maximum, np.maximum),
              "minimum": (T.minimum, np.minimum), "true_div": (lambda a, b: a / b, np.divide)}
BINARY_INT = {"int_div": (lambda a, b: a // b, np.floor_divide),
              "mod": (lambda a, b: a % b, np.remainder)}
BINARY_FLOAT = {"pow": (lambda a, b: a ** b, np.power)}
COMPARE = {"lt": T.lt, "gt": T.gt, "le": T.le, "ge": T.ge, "eq": T.eq, "neq": T.neq}
COMPARE_NP = {"lt": np.less, "gt": np.greater, "le": np.less_equal, "ge": np.greater_equal,
              "eq": np.equal, "neq": np.not_equal}
SMOOTH = {"exp", "log", "log1p", "expm1", "sqrt", "tanh", "sin", "cos", "sigmoid", "neg",
          "sqr", "add", "sub", "mul", "true_div", "pow", "sum", "mean", "prod"}
# The ops canonicalize.py regroups, cancelling equal terms and factors.
CANCELLING = {"add", "sub", "neg", "mul", "true_div"}
REDUCE = {"sum": np.sum, "prod": np.prod, "max": np.max, "min": np.min, "mean": np.mean}


def cast_to(dtype: str, fn: Callable) -> Callable:
    def computed(*args):
        with np.errstate(all="ignore"):
            return np.asarray(fn(*args)).astype(dtype)
    return computed


def elemwise(name: str, sym_fn: Callable, np_fn: Callable, args: list[Term]) -> Term:
    sym = sym_fn(*[a.sym for a in args])
    shape = broadcast_shape(args)
    numpy = cast_to(sym.dtype, np_fn)
    text = f"{name}({', '.join(a.text for a in args)})"
    smooth = name in SMOOTH and all(a.smooth for a in args)
    return Term(sym, shape, text, args, numpy, elemwise_error(np_fn), smooth,
                cancels=name in CANCELLING)


def switch_term(cond: Term, a: Term, b: Term) -> Term:
    sym = T.switch(cond.sym, a.sym, b.sym)

    def error(values, errors, result):
        c, ec = values[0], errors[0]
        picked = np.where(c, errors[1], errors[2])  # an uncertain condition: anything
        return np.where(ec > 0, np.inf, picked) + rounding(result)
    return Term(sym, broadcast_shape([cond, a, b]), f"switch({cond.text}, {a.text}, {b.text})",
                [cond, a, b], cast_to(sym.dtype, np.where), error, smooth=False)


def padded(term: Term, ndim: int) -> tuple[tuple[int, ...], tuple[bool, ...]]:
    extra = ndim - len(term.shape)
    return (1,) * extra + term.shape, (True,) * extra + term.broadcastable


def compatible(args: list[Term]) -> bool:
    """Do minitheano's broadcasting rules accept these operands' types and shapes?"""
    ndim = max(len(a.shape) for a in args)
    for d in range(ndim):
        lengths = {padded(a, ndim)[0][d] for a in args if not padded(a, ndim)[1][d]}
        if len(lengths) > 1:
            return False
    return True


def broadcast_shape(args: list[Term]) -> tuple[int, ...]:
    ndim = max(len(a.shape) for a in args)
    shape = []
    for d in range(ndim):
        lengths = [padded(a, ndim)[0][d] for a in args if not padded(a, ndim)[1][d]]
        shape.append(lengths[0] if lengths else 1)
    return tuple(shape)


def reduce_term(name: str, term: Term, axis: int | None, keepdims: bool) -> Term:
    method = getattr(T, name)
    sym = method(term.sym, axis=axis, keepdims=keepdims)
    np_fn = REDUCE[name]
    shape = np.empty(term.shape).sum(axis=axis, keepdims=keepdims).shape
    numpy = cast_to(sym.dtype, lambda x: np_fn(x, axis=axis, keepdims=keepdims))

    def error(values, errors, result):
        x, e = as_f64(values[0]), errors[0]
        with np.errstate(all="ignore"):
            if name in ("max", "min"):  # 1-Lipschitz
                bound = np.max(e, axis=axis, keepdims=keepdims) if e.size else np.zeros(shape)
            elif name == "prod":
                big = np.prod(np.abs(x) + e, axis=axis, keepdims=keepdims)
                bound = big - np.abs(np.prod(x, axis=axis, keepdims=keepdims))
                n = x.size // max(np.asarray(result).size, 1)
                bound = bound + n * eps(sym.dtype) * big
            else:
                n = x.size // max(np.asarray(result).size, 1)
                bound = (np.sum(e, axis=axis, keepdims=keepdims)
                         + n * eps(sym.dtype) * np.sum(np.abs(x), axis=axis, keepdims=keepdims))
                if name == "mean":
                    bound = bound / max(n, 1)
        bound = np.where(np.isnan(bound), np.inf, bound)
        if sym.dtype not in FLOATS:
            bound = np.where(bound > 0, np.inf, 0.0)
        return np.asarray(bound + rounding(np.asarray(result)), dtype=np.float64)
    text = f"{name}({term.text}, axis={axis}, keepdims={keepdims})"
    return Term(sym, shape, text, [term], numpy, error, name in SMOOTH and term.smooth)


def dot_term(a: Term, b: Term) -> Term:
    sym = T.dot(a.sym, b.sym)
    shape = np.dot(np.empty(a.shape), np.empty(b.shape)).shape
    numpy = cast_to(sym.dtype, np.dot)

    def error(values, errors, result):
        x, y = as_f64(values[0]), as_f64(values[1])
        ex, ey = errors
        k = a.shape[-1]
        with np.errstate(all="ignore"):
            bound = (np.dot(np.abs(x), ey) + np.dot(ex, np.abs(y)) + np.dot(ex, ey)
                     + k * eps(sym.dtype) * np.dot(np.abs(x), np.abs(y)))
        bound = np.where(np.isnan(bound), np.inf, bound)
        if sym.dtype not in FLOATS:
            bound = np.where(bound > 0, np.inf, 0.0)
        return np.asarray(bound + rounding(np.asarray(result)), dtype=np.float64)
    return Term(sym, shape, f"dot({a.text}, {b.text})", [a, b], numpy, error,
                a.smooth and b.smooth)


def moved(term: Term, sym, np_op: Callable, text: str) -> Term:
    """A term whose elements are some of `term`'s, moved (indexing, dimshuffle)."""
    shape = np_op(np.empty(term.shape)).shape
    return Term(sym, shape, text, [term], lambda x: np.asarray(np_op(x)), same_error(np_op),
                smooth=term.smooth)


# -- the strategy -------------------------------------------------------------------------------
@st.composite
def batches(draw, graphs: int = 4, dtypes: tuple[str, ...] = FLOATS * 3 + INTS,
            smooth: bool = False) -> Batch:
    """`graphs` graphs over shared inputs of `dtypes`; only differentiable ops
    if `smooth` (for finite differences)."""
    ndim = draw(st.sampled_from([3, 2, 3, 2, 1, 0]))  # mostly matrices and up
    world = [draw(st.sampled_from(LENGTHS)) for _ in range(ndim)]
    inputs = []
    for i in range(draw(st.integers(1, 3))):
        dtype = draw(st.sampled_from(dtypes))
        ndim = draw(st.sampled_from(range(len(world), -1, -1)))  # the full rank first
        shape, bcast = [], []
        for n in world[len(world) - ndim:]:
            ones = n != 1 and draw(st.booleans()) and draw(st.booleans())  # a broadcast dim
            shape.append(1 if ones or n == 1 else n)
            bcast.append(ones or (n == 1 and draw(st.booleans())))
        inputs.append(input_term(f"x{i}", dtype, tuple(shape), tuple(bcast)))
    pool = list(inputs)
    made: list[Term] = []
    steps = draw(st.integers(graphs, 3 * graphs))
    for _ in range(10 * graphs):  # some drawn ops cannot apply: draw again
        if len(made) >= steps:
            break
        term = draw(step(pool))
        if term is not None and (term.smooth or not smooth):
            pool.append(term)
            made.append(term)
    if not made:
        made = [elemwise("add", *BINARY_ANY["add"], [inputs[0], inputs[0]])]
    outputs = made[-graphs:]
    return Batch(inputs, outputs, draw(st.integers(0, 2**32 - 1)))


@st.composite
def step(draw, pool: list[Term]) -> Term | None:
    """One new term from the pool's terms, or None when the drawn op cannot apply."""
    kind = draw(st.sampled_from(["unary", "unary", "binary", "binary", "binary", "compare",
                                 "reduce", "dot", "dimshuffle", "slice", "index"]))
    values = [t for t in pool if t.dtype != "bool"]
    a = draw(st.sampled_from(pool))
    if kind == "unary" and a.dtype != "bool":
        ops = dict(UNARY_ANY, **(UNARY_FLOAT if a.dtype in FLOATS else {}))
        name = draw(st.sampled_from(sorted(ops)))
        return elemwise(name, *ops[name], [a])
    if kind == "binary" and values:
        a = draw(st.sampled_from(values))
        partners = [t for t in values if compatible([a, t])]
        b = draw(st.sampled_from(partners))
        ops = dict(BINARY_ANY)
        if a.dtype in INTS and b.dtype in INTS:
            ops.update(BINARY_INT)
        if a.dtype in FLOATS and b.dtype in FLOATS:
            ops.update(BINARY_FLOAT)
        name = draw(st.sampled_from(sorted(ops)))
        return elemwise(name, *ops[name], [a, b])
    if kind == "compare" and values:
        a = draw(st.sampled_from(values))
        b = draw(st.sampled_from([t for t in values if compatible([a, t])]))
        name = draw(st.sampled_from(sorted(COMPARE)))
        cond = elemwise(name, COMPARE[name], COMPARE_NP[name], [a, b])
        c = draw(st.sampled_from([t for t in values if compatible([cond, t])]))
        d = draw(st.sampled_from([t for t in values if compatible([cond, c, t])]))
        return switch_term(cond, c, d)
    if kind == "reduce" and a.dtype != "bool":
        name = draw(st.sampled_from(sorted(REDUCE)))
        axis = draw(st.none() | st.integers(0, len(a.shape) - 1)) if a.shape else None
        size = int(np.prod(a.shape if axis is None else a.shape[axis:axis + 1]))
        if name in ("max", "min") and size == 0:
            return None  # numpy and minitheano both refuse: no identity for max
        return reduce_term(name, a, axis, draw(st.booleans()))
    if kind == "dot" and a.dtype != "bool" and 1 <= len(a.shape) <= 2:
        k = a.shape[-1]
        partners = [t for t in values if 1 <= len(t.shape) <= 2 and t.shape[0] == k]
        b = draw(st.sampled_from(partners)) if partners else None
        if b is None and len(a.shape) == 2:
            b = moved(a, a.sym.T, lambda x: x.T, f"{a.text}.T")
        return None if b is None else dot_term(a, b)
    if kind == "dimshuffle" and a.shape:
        order = draw(st.permutations(range(len(a.shape))))
        kept = [d for d in order if not (a.broadcastable[d] and draw(st.booleans()))]
        pattern = list(kept)
        if len(pattern) < MAX_NDIM and draw(st.booleans()):
            pattern.insert(draw(st.integers(0, len(pattern))), "x")
        np_pattern = tuple(pattern)

        def shuffle(x, np_pattern=np_pattern, order=tuple(order), kept=tuple(kept)):
            dropped = tuple(d for d in range(x.ndim) if d not in kept)
            y = np.transpose(x, kept + dropped).reshape(
                tuple(x.shape[d] for d in kept)) if dropped else np.transpose(x, kept)
            for i, p in enumerate(np_pattern):
                if p == "x":
                    y = np.expand_dims(y, i)
            return y
        return moved(a, a.sym.dimshuffle(*pattern), shuffle, f"{a.text}.dimshuffle{np_pattern}")
    if kind == "slice" and a.shape:
        bounds = st.none() | st.integers(-4, 4)
        key = tuple(slice(draw(bounds), draw(bounds), draw(st.sampled_from([None, 1, 2, -1, -2])))
                    for _ in a.shape[:draw(st.integers(1, len(a.shape)))])
        return moved(a, a.sym[key], lambda x, key=key: x[key], f"{a.text}[{key}]")
    if kind == "index" and a.shape and a.shape[0] > 0:
        n = a.shape[0]
        if draw(st.booleans()):
            i = draw(st.integers(-n, n - 1))
            return moved(a, a.sym[i], lambda x, i=i: x[i], f"{a.text}[{i}]")
        idx = np.array(draw(st.lists(st.integers(-n, n - 1), max_size=4)), dtype=np.int64)
        return moved(a, a.sym[idx], lambda x, idx=idx: x[idx], f"{a.text}[{idx.tolist()}]")
    return None


# -- the reference ------------------------------------------------------------------------------
def reference(outputs: list[Term], values: dict[str, np.ndarray], assume_finite: bool = False
              ) -> list[tuple[np.ndarray, np.ndarray]]:
    """(value, error bound) of each output, computed by numpy node by node; with
    `assume_finite`, the bounds of a rewritten graph (see the module docstring)."""
    memo: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def evaluate(term: Term) -> tuple[np.ndarray, np.ndarray]:
        if id(term) not in memo:
            if term.numpy is None:
                v = np.array(values[term.text])
                memo[id(term)] = v, np.zeros(v.shape)
            else:
                args = [evaluate(a) for a in term.args]
                vs, es = [v for v, _ in args], [e for _, e in args]
                with np.errstate(all="ignore"):
                    result = np.asarray(term.numpy(*vs))
                    bound = np.broadcast_to(term.error(vs, es, result), result.shape)
                    if assume_finite and term.cancels:
                        met = np.logical_or.reduce(
                            [np.broadcast_to(~np.isfinite(v), result.shape) for v in vs]
                            + [~np.isfinite(result)])
                        bound = np.where(met, np.inf, bound)
                memo[id(term)] = result, np.array(bound)
        return memo[id(term)]
    return [evaluate(t) for t in outputs]
