"""Reductions in C: every set of axes, every fold, several dtypes and memory layouts.

Sums and products of floats are compared with a tolerance: numpy adds pairwise, the C
loop with several running sums (vectorized), so the roundings differ.
Everything else (integer sums, products, max, min, argmax) is exact.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from kernels import Compiled, assert_same, run_python

import minitheano as th
from minitheano import tensor as T
from minitheano.graph.basic import Apply
from minitheano.graph.op import Op
from minitheano.scalar import math as sm
from minitheano.tensor.reduction import CAReduce, Sum
from minitheano.tensor.type import TensorType

FOLDS = {"sum": Sum, "prod": lambda axes: CAReduce(sm.mul, axes),
         "max": lambda axes: CAReduce(sm.maximum, axes),
         "min": lambda axes: CAReduce(sm.minimum, axes),
         "all": lambda axes: CAReduce(sm.and_, axes), "any": lambda axes: CAReduce(sm.or_, axes)}
DTYPES = ["float64", "float32", "int8", "uint8", "int64", "bool"]
AXES = [axes for r in range(4) for axes in itertools.combinations(range(3), r)]


def _flat(x: np.ndarray, n_kept: int) -> np.ndarray:
    return x.reshape(x.shape[:n_kept] + (int(np.prod(x.shape[n_kept:])),))


class Argmax(Op):
    """A stand-in for tensor/reduction.py's Argmax (found by class name): the
    position of the largest element over `axis`, counted in C order."""

    __props__ = ("axis",)

    def __init__(self, axis):
        self.axis = tuple(axis)

    def make_node(self, x):
        bcast = [b for d, b in enumerate(x.broadcastable) if d not in self.axis]
        return Apply(self, [x], [TensorType("int64", bcast)()])

    def perform(self, node, inputs, output_storage):
        (x,) = inputs
        kept = [d for d in range(x.ndim) if d not in self.axis]
        moved = x.transpose(kept + list(self.axis))
        output_storage[0][0] = np.asarray(np.argmax(_flat(moved, len(kept)), axis=-1),
                                          dtype=np.int64)


class Argmin(Argmax):
    def perform(self, node, inputs, output_storage):
        (x,) = inputs
        kept = [d for d in range(x.ndim) if d not in self.axis]
        moved = x.transpose(kept + list(self.axis))
        output_storage[0][0] = np.asarray(np.argmin(_flat(moved, len(kept)), axis=-1),
                                          dtype=np.int64)


def layouts(x: np.ndarray) -> list[np.ndarray]:
    doubled = np.zeros(tuple(2 * n for n in x.shape), dtype=x.dtype)
    every_other = doubled[::2, ::2, ::2]
    every_other[...] = x
    flip = (slice(None, None, -1),) * 3
    return [x, x.copy(order="F"), x[flip].copy()[flip], every_other, x.transpose(2, 0, 1).copy()
            .transpose(1, 2, 0)]


def data(dtype: str, shape, rng) -> np.ndarray:
    if dtype == "bool":
        return rng.random(shape) < 0.7
    if dtype.startswith("float"):
        x = rng.normal(size=shape).astype(dtype)
        if x.size > 3:
            x.flat[3] = np.nan if rng.random() < 0.5 else -np.inf
        return x
    return rng.integers(-3 if dtype[0] == "i" else 0, 4, size=shape).astype(dtype)


@pytest.fixture(scope="module")
def compiled():
    nodes, cases = [], []
    for dtype in DTYPES:
        x = TensorType(dtype, (False, False, False))()
        for axes in AXES:
            for fold, make in FOLDS.items():
                if (fold == "prod" and dtype == "bool") or (fold in ("all", "any") and
                                                             dtype.startswith("float")):
                    continue
                nodes.append(make(axes).make_node(x))
                cases.append((dtype, axes, fold))
            if axes:
                for arg in (Argmax, Argmin):
                    nodes.append(arg(axes).make_node(x))
                    cases.append((dtype, axes, arg.__name__))
    return Compiled(nodes, parts=2), cases


@pytest.mark.parametrize("shape", [(2, 3, 4), (3, 1, 5), (0, 2, 3), (4, 0, 1), (1, 1, 1)])
def test_every_axis_set(compiled, shape):
    comp, cases = compiled
    rng = np.random.default_rng(sum(shape))
    for i, (dtype, axes, fold) in enumerate(cases):
        for x in layouts(data(dtype, shape, rng)):
            try:
                expected = run_python(comp.nodes[i], x)[0]
            except ValueError as e:  # max of nothing: numpy refuses, so must C
                with pytest.raises(ValueError, match="zero-size|empty"):
                    comp.run(i, x)
                assert "zero-size" in str(e) or "empty" in str(e)
                continue
            got = comp.run(i, x)[0]
            exact = fold not in ("sum", "prod") or not dtype.startswith("float")
            assert_same(got, expected, comp.nodes[i].outputs[0].dtype, exact=exact,
                        what=f"{fold}{axes} of {dtype}{shape}")


def test_zero_and_one_dimensional_inputs():
    nodes = [Sum(()).make_node(T.dscalar()), CAReduce(sm.maximum, ()).make_node(T.dscalar()),
             Sum((0,)).make_node(T.dvector()), CAReduce(sm.maximum, (0,)).make_node(T.ivector()),
             Argmax((0,)).make_node(T.dvector())]
    comp = Compiled(nodes)
    values = [np.array(2.5), np.array(-1.0), np.arange(10.0)[::-3], np.array([3, 9, -2], "int32"),
              np.array([1.0, 5.0, 5.0, np.nan, 2.0, np.nan])]
    for i, v in enumerate(values):
        assert_same(comp.run(i, v)[0], run_python(nodes[i], v)[0], nodes[i].outputs[0].dtype)


def test_keepdims_and_a_reduction_inside_a_compiled_function():
    x = T.tensor3("x")
    f = th.function([x], [T.sum(x, axis=[0, 2], keepdims=True), T.sum(T.exp(x), axis=1)],
                    mode="FAST_RUN")
    a = np.random.default_rng(0).normal(size=(3, 4, 5))
    kept, summed = f(a)
    assert kept.shape == (1, 4, 1)
    np.testing.assert_allclose(kept, a.sum(axis=(0, 2), keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(summed, np.exp(a).sum(axis=1), rtol=1e-12)
