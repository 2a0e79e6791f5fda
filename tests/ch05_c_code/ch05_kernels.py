"""Test helpers: compile many nodes into few modules, run them in C and in Python."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from minitheano.graph.basic import Apply
from minitheano.link.c.library import compile_kernels
from minitheano.link.c.thunk import make_thunk
from minitheano.link.kernel import describe
from minitheano.link.py.vm import py_thunk


class Compiled:
    """Nodes compiled together, into `parts` modules built in parallel (the
    compiler is the slow part of a cold run); `run(i, *values)` runs node i in C."""

    def __init__(self, nodes: Sequence[Apply], parts: int = 1) -> None:
        self.nodes = list(nodes)
        self.kernels = [describe(n) for n in self.nodes]
        assert all(k is not None for k in self.kernels), "a node has no kernel"
        size = -(-len(self.nodes) // parts) if self.nodes else 1
        chunks = [list(range(i, min(i + size, len(self.nodes))))
                  for i in range(0, len(self.nodes), size)]

        def build(chunk: list[int]) -> tuple[str, Any]:
            return compile_kernels([(self.kernels[i], str(self.nodes[i].op)) for i in chunk])

        with ThreadPoolExecutor(max_workers=2) as pool:
            built = list(pool.map(build, chunks))
        self.sources = [source for source, _ in built]
        self.where = {}
        for chunk, (_, lib) in zip(chunks, built):
            for slot, i in enumerate(chunk):
                self.where[i] = lib.kernels[f"k{slot}"]

    def run(self, i: int, *values: Any, reuse: bool = False) -> list[Any]:
        node, kernel = self.nodes[i], self.kernels[i]
        ins = [[v] for v in values]
        outs = [[None] for _ in node.outputs]
        make_thunk(node, kernel, self.where[i], ins, outs, reuse)()
        return [c[0] for c in outs]


def run_python(node: Apply, *values: Any) -> list[Any]:
    storage = {v: [x] for v, x in zip(node.inputs, values)}
    storage.update({v: [None] for v in node.outputs})
    py_thunk(node, storage)()
    return [storage[v][0] for v in node.outputs]


def assert_same(c: Any, py: Any, dtype: str, exact: bool = True, what: str = "",
                tol: float | None = None) -> None:
    """Equal shapes and dtypes; equal values (NaN equal to NaN), or close for
    results of transcendental functions (C's libm and numpy differ in the last bits)."""
    c, py = np.asarray(c), np.asarray(py)
    assert c.dtype == py.dtype == np.dtype(dtype), (what, c.dtype, py.dtype, dtype)
    assert c.shape == py.shape, (what, c.shape, py.shape)
    if exact or c.dtype.kind != "f":
        np.testing.assert_array_equal(c, py, err_msg=what, strict=True)
    else:
        tol = tol or (1e-5 if c.dtype == np.float32 else 1e-13)
        np.testing.assert_allclose(c, py, rtol=tol, atol=tol, equal_nan=True, err_msg=what)
