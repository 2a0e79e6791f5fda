"""The chapter's kernels on a real GPU through PyCUDA, against numpy.

Marked `gpu`: skipped, with the reason, wherever pycuda.driver cannot start a device
(no PyCUDA, no driver, no GPU), which is every machine this book was written on so far.
bench/gpu_check.sh installs PyCUDA and runs these on a machine that has a GPU.
"""

from __future__ import annotations

import numpy as np
import pytest

import minitheano as theano
from minitheano import tensor as T
from minitheano.link.cuda.pycuda_device import pycuda_problem
from minitheano.link.cuda.thunk import CudaModule
from minitheano.link.kernel import describe
from minitheano.tensor import nnet
from minitheano.tensor.blas import gemm_no_inplace
from minitheano.tensor.elemwise import Elemwise
from minitheano.tensor.nnet.nnet import crossentropy_softmax_dx

PROBLEM = pycuda_problem()
pytestmark = [pytest.mark.gpu, pytest.mark.skipif(PROBLEM is not None, reason=str(PROBLEM))]


@pytest.fixture(scope="module")
def gpu():
    from minitheano.link.cuda.pycuda_device import PyCudaDevice

    return PyCudaDevice()


def fused(inputs, output):
    """The one fused elementwise node the compiler makes of `output`."""
    f = theano.function(inputs, output)
    (node,) = [n for n in f.maker.fgraph.toposort() if isinstance(n.op, Elemwise)]
    return node


def cases(dtype, shape=(300, 257)):
    """(node, inputs, numpy's answer) for each kind of kernel, on matrices of `shape`."""
    x, y = T.matrix(dtype=dtype), T.matrix(dtype=dtype)
    a = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    labels = np.random.default_rng(1).integers(0, shape[1], shape[0]).astype("int32")
    cols = shape[0] // 6  # the gemm: z is rows x cols (50 columns on the GPU)
    return [(fused([x, y], T.tanh(x) * 2 + y), [a, a], np.tanh(a) * 2 + a),
            (T.sum(x, axis=0).owner, [a], a.sum(0)),
            (T.max(x, axis=1).owner, [a], a.max(1)),
            (nnet.softmax(x).owner, [a], np.exp(a) / np.exp(a).sum(1, keepdims=True)),
            (T.dot(x, y).owner, [a, a.T.copy()], a @ a.T),
            (T.argmax(x, axis=0).owner, [a], np.argmax(a, axis=0)),
            (gemm_no_inplace(x, T.scalar(dtype=dtype), x, y, T.scalar(dtype=dtype)).owner,
             [a[:, :cols], np.array(0.5, dtype), a, a.T[:, :cols].copy(), np.array(2.0, dtype)],
             2 * a[:, :cols] + 0.5 * a @ a.T[:, :cols]),
            (crossentropy_softmax_dx(T.vector(dtype=dtype), x, T.ivector()).owner,
             [a[:, 0], a, labels], _softmax_dx(a[:, 0], a, labels))]


def _softmax_dx(g, sm, y):
    dx = g[:, None] * sm
    dx[np.arange(len(y)), y] -= g
    return dx


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_kernels_on_the_gpu(gpu, dtype):
    found = cases(dtype)
    module = CudaModule([describe(node) for node, _, _ in found], gpu)
    tol = 1e-4 if dtype == "float32" else 1e-10
    for i, (_, args, expected) in enumerate(found):
        (out,) = module.run(i, [gpu.to_device(a) for a in args])
        np.testing.assert_allclose(gpu.to_host(out), expected, rtol=tol, atol=tol)
