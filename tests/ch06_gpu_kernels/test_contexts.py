"""Device arrays belong to the context that allocated them: handing one to another
context's kernel, transfer or shared variable is a clear error naming both contexts
(two emulated devices here; two PyCUDA devices where a GPU is)."""

from __future__ import annotations

import numpy as np
import pytest

from minitheano import tensor as T
from minitheano.link.cuda.emulator import EmulatedDevice
from minitheano.link.cuda.launch import ContextError
from minitheano.link.cuda.pycuda_device import pycuda_problem
from minitheano.link.cuda.sharedvar import GpuSharedVariable
from minitheano.link.cuda.thunk import CudaModule
from minitheano.link.kernel import describe


def test_two_emulated_contexts_do_not_mix():
    a, b = EmulatedDevice(), EmulatedDevice()
    assert a.context != b.context
    x = a.to_device(np.arange(4.0))
    assert x.context == a.context and f"context {a.context}" in repr(x)
    module = CudaModule([describe(T.exp(T.dvector()).owner)], b)
    with pytest.raises(ContextError, match=f"lives in device context {a.context}, but was "
                                           f"given to context {b.context}"):
        module.run(0, [x])
    for move in (b.to_host, b.to_device):
        with pytest.raises(ContextError, match="copy it through the host"):
            move(x)
    # Through the host it is fine, and the result belongs to b.
    (y,) = module.run(0, [b.to_device(a.to_host(x))])
    assert y.context == b.context
    np.testing.assert_allclose(b.to_host(y), np.exp(np.arange(4.0)))


def test_a_shared_variable_refuses_another_contexts_array():
    a, b = EmulatedDevice(), EmulatedDevice()
    w = GpuSharedVariable(T.dvector().type, np.zeros(3), b, name="w")
    with pytest.raises(ContextError, match=f"context {a.context}"):
        w.container[0] = a.to_device(np.ones(3))
    np.testing.assert_array_equal(w.get_value(), np.zeros(3))  # unchanged


PROBLEM = pycuda_problem()


@pytest.mark.gpu
@pytest.mark.skipif(PROBLEM is not None, reason=str(PROBLEM))
def test_two_pycuda_devices_do_not_mix():
    from minitheano.link.cuda.pycuda_device import PyCudaDevice

    a, b = PyCudaDevice(), PyCudaDevice()
    x = a.to_device(np.arange(4.0))
    module = CudaModule([describe(T.exp(T.dvector()).owner)], b)
    with pytest.raises(ContextError, match=f"context {a.context}"):
        module.run(0, [x])
    (y,) = module.run(0, [b.to_device(a.to_host(x))])
    np.testing.assert_allclose(b.to_host(y), np.exp(np.arange(4.0)))


def test_a_plan_keeps_its_input_arrays_alive():
    """A launch holds addresses only: an input made for the plan alone must live
    as long as the plan, or the kernel reads freed memory."""
    import gc

    from minitheano.link.cuda.launch import plan

    device = EmulatedDevice()
    kernel = describe(T.sum(T.dmatrix(), axis=1).owner)
    module = CudaModule([kernel], device)
    values = np.random.default_rng(0).standard_normal((3, 100))
    planned = plan(device, "k0", kernel, [device.to_device(values)])  # no other reference
    gc.collect()
    junk = [np.full(values.shape, 1e300) for _ in range(20)]  # reuse freed memory if any
    device.run(module.compiled, planned)
    np.testing.assert_allclose(device.to_host(planned.outputs[0]), values.sum(1), rtol=1e-12)
    del junk
