"""The chapter's kernels on a real GPU through PyCUDA, against numpy.

Marked `gpu`: skipped, with the reason, wherever pycuda.driver cannot start a device
(no PyCUDA, no driver, no GPU), which is every machine this book was written on so far.
bench/gpu_check.sh installs PyCUDA and runs these on a machine that has a GPU.
"""

from __future__ import annotations

import numpy as np
import pytest

from minitheano import tensor as T
from minitheano.link.cuda.pycuda_device import pycuda_problem
from minitheano.link.cuda.thunk import CudaModule
from minitheano.link.kernel import describe
from minitheano.tensor import nnet

PROBLEM = pycuda_problem()
pytestmark = [pytest.mark.gpu, pytest.mark.skipif(PROBLEM is not None, reason=str(PROBLEM))]


@pytest.fixture(scope="module")
def gpu():
    from minitheano.link.cuda.pycuda_device import PyCudaDevice

    return PyCudaDevice()


def cases(dtype):
    x, y = T.matrix(dtype=dtype), T.matrix(dtype=dtype)
    a = np.random.default_rng(0).standard_normal((300, 257)).astype(dtype)
    return [((T.tanh(x) * 2 + y).owner, [a, a], np.tanh(a) * 2 + a),
            (T.sum(x, axis=0).owner, [a], a.sum(0)),
            (T.max(x, axis=1).owner, [a], a.max(1)),
            (nnet.softmax(x).owner, [a], np.exp(a) / np.exp(a).sum(1, keepdims=True)),
            (T.dot(x, y).owner, [a, a.T.copy()], a @ a.T)]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_kernels_on_the_gpu(gpu, dtype):
    found = cases(dtype)
    module = CudaModule([describe(node) for node, _, _ in found], gpu)
    tol = 1e-4 if dtype == "float32" else 1e-10
    for i, (_, args, expected) in enumerate(found):
        (out,) = module.run(i, [gpu.to_device(a) for a in args])
        np.testing.assert_allclose(gpu.to_host(out), expected, rtol=tol, atol=tol)
