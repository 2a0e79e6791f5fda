"""Reductions in C: every set of axes, every fold, several dtypes and memory layouts.

Sums and products of floats are compared with a tolerance: numpy adds pairwise, the C
loop with several running sums (vectorized), so the roundings differ.
Everything else (integer sums, products, max, min, argmax) is exact.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from ch05_kernels import Compiled, assert_same, run_python

import minitheano as th
from minitheano import tensor as T
from minitheano.scalar import math as sm
from minitheano.tensor.reduction import All, Any, Argmax, Argmin, CAReduce, Max, Min, Prod, Sum
from minitheano.tensor.type import TensorType

FOLDS = {"sum": Sum, "prod": Prod, "max": Max, "min": Min, "all": All, "any": Any,
         "bitwise_and": lambda axes: CAReduce(sm.and_, axes)}
DTYPES = ["float64", "float32", "int8", "uint8", "int64", "bool"]
AXES = [axes for r in range(4) for axes in itertools.combinations(range(3), r)]


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
                if (fold == "prod" and dtype == "bool") or (fold == "bitwise_and" and
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
                with pytest.raises(ValueError, match="length 0") as info:
                    comp.run(i, x)
                assert str(info.value) == str(e)  # the op's own message
                continue
            got = comp.run(i, x)[0]
            exact = fold not in ("sum", "prod") or not dtype.startswith("float")
            assert_same(got, expected, comp.nodes[i].outputs[0].dtype, exact=exact,
                        what=f"{fold}{axes} of {dtype}{shape}")


def test_zero_and_one_dimensional_inputs():
    nodes = [Sum(()).make_node(T.dscalar()), Max(()).make_node(T.dscalar()),
             Sum((0,)).make_node(T.dvector()), Max((0,)).make_node(T.ivector()),
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
