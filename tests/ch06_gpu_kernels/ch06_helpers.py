"""Test helpers: many nodes' kernels in one emulated CUDA module (one compile per test
module), run on numpy arrays of any layout; Python's answer for the same node."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

from minitheano.graph.basic import Apply
from minitheano.link.cuda import nvcc
from minitheano.link.cuda.emulator import EmulatedDevice
from minitheano.link.cuda.thunk import CudaModule
from minitheano.link.kernel import describe
from minitheano.link.py.vm import py_thunk


class Emulated:
    """The kernels of `nodes` in one module; `run(i, *arrays)` runs node i's kernel
    on the emulator, the arrays passed as they are (strides and all)."""

    def __init__(self, nodes: Sequence[Apply]) -> None:
        self.nodes = list(nodes)
        kernels = [describe(n) for n in self.nodes]
        assert all(k is not None for k in kernels), "a node has no kernel"
        self.device = EmulatedDevice()
        self.module = CudaModule(kernels, self.device)

    def run(self, i: int, *values: Any) -> list[np.ndarray]:
        outs = self.module.run(i, [self.device.place(v) for v in values])
        return [self.device.to_host(o) for o in outs]


def run_python(node: Apply, *values: Any) -> list[Any]:
    storage = {v: [x] for v, x in zip(node.inputs, values)}
    storage.update({v: [None] for v in node.outputs})
    py_thunk(node, storage)()
    return [storage[v][0] for v in node.outputs]


def tolerance(dtype: str) -> dict[str, float]:
    """GPU math is not numpy's to the last bit (fused multiply-adds, other
    summation orders): compare floats with a tolerance of their precision."""
    return {"rtol": 2e-5, "atol": 1e-6} if dtype == "float32" else {"rtol": 1e-12, "atol": 1e-13}


def layouts(x: np.ndarray) -> list[np.ndarray]:
    """x as it is, and the same values in other memory layouts: Fortran order,
    every other element of a bigger array, reversed along every axis."""
    if x.ndim == 0:
        return [x]
    doubled = np.zeros(tuple(2 * n for n in x.shape), dtype=x.dtype)
    every_other = doubled[(slice(None, None, 2),) * x.ndim]
    every_other[...] = x
    flip = (slice(None, None, -1),) * x.ndim
    return [x, np.asfortranarray(x), every_other, x[flip].copy()[flip]]


def check_with_nvcc(source: str) -> None:
    """Compile a test module's whole CUDA text for sm_80 and sm_90 (one nvcc run each);
    skip, saying why, where there is no nvcc."""
    problem = nvcc.nvcc_problem()
    if problem:
        pytest.skip(problem)
    facts = nvcc.compile_check(source)
    assert facts, "nvcc compiled no kernel"
