"""Fused elementwise kernels printed as CUDA, run on the emulator, against numpy.

Shapes include 0 elements, 1 element, lengths that are not multiples of the block
size (256) and more elements than the grid's threads (each thread then takes several:
the grid-stride loop); layouts include Fortran order, strided and reversed views;
broadcasting along rows, columns and everything.
"""

from __future__ import annotations

import numpy as np
import pytest
from ch06_helpers import Emulated, check_with_nvcc, layouts, run_python, tolerance

import minitheano as th
from minitheano import tensor as T
from minitheano.link.cuda.launch import ELEMWISE_BLOCK, MAX_GRID, merge_dimensions
from minitheano.tensor.elemwise import Elemwise


def fused_node(inputs, output):
    """The one fused Elemwise node FAST_RUN makes of `output`."""
    f = th.function(inputs, output)
    nodes = [n for n in f.maker.fgraph.toposort() if isinstance(n.op, Elemwise)]
    assert len(nodes) == 1, nodes
    return nodes[0]


def graphs(dtype):
    x, y = T.matrix("x", dtype=dtype), T.matrix("y", dtype=dtype)
    row, col = T.row("r", dtype=dtype), T.col("c", dtype=dtype)
    s = T.scalar("s", dtype=dtype)
    t3 = T.tensor3("t", dtype=dtype)
    return {
        "logistic": ([x], 1 / (1 + T.exp(-x))),
        "two": ([x, y], T.tanh(x * y) + 2 * x),
        "row": ([x, row], T.sqr(x - row) / 3),
        "col-row": ([col, row], T.exp(col) * row),
        "scalar": ([x, s], x * s + T.log1p(abs(x))),
        "3d": ([t3], T.nnet.sigmoid(t3) * t3),
    }


DTYPES = ["float32", "float64"]


@pytest.fixture(scope="module")
def compiled():
    entries, nodes = [], []
    for dtype in DTYPES:
        for name, (ins, out) in graphs(dtype).items():
            entries.append((dtype, name, ins))
            nodes.append(fused_node(ins, out))
    return entries, nodes, Emulated(nodes)


SHAPES = {2: [(0, 3), (1, 1), (3, 5), (17, 300), (1, 2 * ELEMWISE_BLOCK * MAX_GRID + 7)],
          3: [(0, 2, 2), (2, 3, 4), (5, 1, 129)], 0: [()]}


def value(rng, shape, dtype):
    return np.asarray(rng.standard_normal(shape) * 2, dtype=dtype)


def test_every_graph_shape_and_layout(compiled):
    entries, nodes, emu = compiled
    rng = np.random.default_rng(0)
    for i, (dtype, name, ins) in enumerate(entries):
        ndim = ins[0].ndim
        for shape in SHAPES[ndim]:
            if shape and shape[1] > 10_000 and name != "logistic":
                continue  # one big case is enough
            args = []
            for v in ins:
                s = tuple(1 if b else n for b, n in zip(v.broadcastable, shape))
                args.append(value(rng, s, dtype))
            expected = run_python(nodes[i], *args)[0]
            for k in range(len(layouts(args[0]))):
                laid = [layouts(a)[min(k, len(layouts(a)) - 1)] for a in args]
                (got,) = emu.run(i, *laid)
                assert got.shape == expected.shape and got.dtype == expected.dtype
                np.testing.assert_allclose(got, expected, **tolerance(dtype),
                                           err_msg=f"{name} {dtype} {shape} layout {k}")


def test_wrong_shapes_are_refused(compiled):
    entries, _, emu = compiled
    i = next(i for i, (d, n, _) in enumerate(entries) if n == "two")
    with pytest.raises(ValueError, match="broadcast"):
        emu.run(i, np.ones((2, 3), "float32"), np.ones((3, 2), "float32"))


def test_merge_dimensions():
    # A contiguous 3-d array is one run; a column slice keeps two dimensions.
    assert merge_dimensions([2, 3, 4], [[12, 4, 1]]) == ([24], [[1]])
    assert merge_dimensions([2, 3, 4], [[24, 8, 1]]) == ([6, 4], [[8, 1]])
    # Length-1 dimensions disappear; a broadcast array (stride 0) merges with itself.
    assert merge_dimensions([1, 5, 1], [[5, 1, 1]]) == ([5], [[1]])
    assert merge_dimensions([3, 4], [[4, 1], [0, 1]]) == ([3, 4], [[4, 1], [0, 1]])
    assert merge_dimensions([3, 4], [[0, 0], [4, 1]]) == ([12], [[0], [1]])


@pytest.mark.slow  # ~10 s of nvcc on a cold cache (test_nvcc.py checks a sample by default)
def test_every_kernel_of_this_module_compiles_with_nvcc(compiled):
    check_with_nvcc(compiled[2].module.source)
