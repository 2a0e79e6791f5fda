"""test_gpu.py's cases run on the emulator: what the GPU run will compare against is
checked here first, so a wrong expectation cannot wait for a machine with a GPU."""

from __future__ import annotations

import numpy as np
import pytest
from test_gpu import cases

from minitheano.link.cuda.emulator import EmulatedDevice
from minitheano.link.cuda.thunk import CudaModule
from minitheano.link.kernel import describe

SHAPE = (37, 41)  # smaller than the GPU's: the emulator is slow, the kernels are the same


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_gpu_cases_on_the_emulator(dtype):
    device, found = EmulatedDevice(), cases(dtype, SHAPE)
    module = CudaModule([describe(node) for node, _, _ in found], device)
    tol = 1e-4 if dtype == "float32" else 1e-10
    for i, (node, args, expected) in enumerate(found):
        (out,) = module.run(i, [device.to_device(a) for a in args])
        np.testing.assert_allclose(device.to_host(out), expected, rtol=tol, atol=tol,
                                   err_msg=str(node.op))
