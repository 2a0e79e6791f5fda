"""Chapter 8's layers on a real GPU through PyCUDA, printed by chapter 6's printer:
conv2d and its gradients and pool_2d against the CPU ops, the Philox uniforms bit for bit
against the CPU's.

Marked `gpu`: skipped, with the reason, wherever pycuda.driver cannot start a device
(every machine this book was written on so far); bench/gpu_check.sh runs them there.
"""

from __future__ import annotations

import numpy as np
import pytest

from minitheano.link.cuda.pycuda_device import pycuda_problem
from minitheano.link.cuda.thunk import CudaModule
from minitheano.sandbox.rng_mrg import PhiloxUniform, state_type
from minitheano.tensor import dtensor4, ftensor4, lvector
from minitheano.tensor.nnet.abstract_conv import (
    NUMPY_KIT,
    AbstractConv2d,
    AbstractConv2d_gradInputs,
    AbstractConv2d_gradWeights,
)
from minitheano.tensor.signal.pool import MODES, AveragePoolGrad, MaxPoolGrad, Pool

PROBLEM = pycuda_problem()
pytestmark = [pytest.mark.gpu, pytest.mark.skipif(PROBLEM is not None, reason=str(PROBLEM))]


@pytest.fixture(scope="module")
def device():
    from minitheano.link.cuda.pycuda_device import PyCudaDevice

    return PyCudaDevice()


def run(device, op, *arrays, dtype="float64"):
    """`op`'s own kernel description, printed, compiled and run on the GPU."""
    tensor4 = dtensor4 if dtype == "float64" else ftensor4
    inputs = [tensor4() if np.ndim(a) == 4 else lvector() for a in arrays]
    node = op(*inputs).owner
    module = CudaModule([op.kernel(node)], device)
    return [device.to_host(o) for o in module.run(0, [device.to_device(np.asarray(a))
                                                       for a in arrays])]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_conv2d_on_the_gpu(device, dtype):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 3, 28, 27)).astype(dtype)
    w = rng.normal(size=(8, 3, 5, 3)).astype(dtype)
    params = (None, None, "half", (2, 1), True, (1, 2))
    forward = AbstractConv2d(*params)
    expected = forward.compute([x, w], NUMPY_KIT)
    top = rng.normal(size=expected.shape).astype(dtype)
    tol = {"rtol": 1e-3, "atol": 1e-3} if dtype == "float32" else {"rtol": 1e-10, "atol": 1e-10}
    (out,) = run(device, forward, x, w, dtype=dtype)
    np.testing.assert_allclose(out, expected, **tol)
    grad_w = AbstractConv2d_gradWeights(*params)
    (d_w,) = run(device, grad_w, x, top, np.array([5, 3]), dtype=dtype)
    np.testing.assert_allclose(d_w, grad_w.compute([x, top, np.array([5, 3])], NUMPY_KIT), **tol)
    grad_x = AbstractConv2d_gradInputs(*params)
    (d_x,) = run(device, grad_x, w, top, np.array([28, 27]), dtype=dtype)
    np.testing.assert_allclose(d_x, grad_x.compute([w, top, np.array([28, 27])], NUMPY_KIT),
                               **tol)


@pytest.mark.parametrize("mode", MODES)
def test_pool_on_the_gpu(device, mode):
    rng = np.random.default_rng(1)
    x = rng.integers(-4, 5, size=(8, 5, 23, 24)).astype("float64")
    op = Pool((3, 2), True, (2, 2), (1, 1), mode)
    (pooled,) = run(device, op, x)
    np.testing.assert_allclose(pooled, op.compute(x), rtol=1e-12)
    gz = rng.normal(size=pooled.shape)
    grad_op = MaxPoolGrad(*op.params()) if mode == "max" else AveragePoolGrad(*op.params())
    inputs = [x, pooled, gz] if mode == "max" else [x, gz]
    (grad,) = run(device, grad_op, *inputs)
    np.testing.assert_allclose(grad, grad_op.compute(*inputs), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_philox_on_the_gpu_draws_the_cpus_bits(device, dtype):
    op, state = PhiloxUniform(dtype, 2), np.array([0x9ABCDEF012345678, 3], dtype=np.uint64)
    cells = [[None], [None]]
    op.perform(None, [state, np.array([300, 1001])], cells)
    node = op(state_type(), lvector())[0].owner
    module = CudaModule([op.kernel(node)], device)
    next_state, sample = module.run(0, [device.to_device(state),
                                        device.to_device(np.array([300, 1001]))])
    assert device.to_host(sample).tobytes() == cells[1][0].tobytes()
    np.testing.assert_array_equal(device.to_host(next_state), cells[0][0])
