"""The emulator catches what a lucky GPU run would hide: bugs planted in kernels.

* a missing __syncthreads in the reduction tree (and in the tiled matmul): the
  threads of a barrier interval run forward, then reversed; the results differ;
* a read of shared memory no thread wrote: shared memory is poisoned (NaN bytes,
  then another pattern) before each block; the results differ;
* a divergent barrier: some threads return while others wait at __syncthreads;
* a warp shuffle that not every lane of the warp reaches.
Each correct kernel passes the same checks (the first test), so a report is the bug's.
"""

from __future__ import annotations

import numpy as np
import pytest

from minitheano import tensor as T
from minitheano.link.cuda.emulator import EmulatedDevice, EmulatedModule, EmulatorError
from minitheano.link.cuda.launch import Launch, plan
from minitheano.link.cuda.printer import CudaFunction, CudaPrinter
from minitheano.link.kernel import describe

DEVICE = EmulatedDevice()


def printed(node):
    printer = CudaPrinter()
    kernel = describe(node)
    functions = printer.functions("k0", kernel)
    return kernel, printer.module(functions), functions


def run(kernel, source, functions, *inputs):
    module = EmulatedModule(source, functions)
    p = plan(DEVICE, "k0", kernel, [DEVICE.place(x) for x in inputs])
    DEVICE.run(module, p)
    return DEVICE.to_host(p.outputs[0])


X = np.random.default_rng(0).standard_normal((5, 200))


def test_correct_kernels_pass():
    kernel, source, functions = printed(T.sum(T.matrix(), axis=1).owner)
    np.testing.assert_allclose(run(kernel, source, functions, X), X.sum(1), rtol=1e-12)
    a = X[:, :40]
    kernel, source, functions = printed(T.dot(T.matrix(), T.matrix()).owner)
    np.testing.assert_allclose(run(kernel, source, functions, a, a.T), a @ a.T, rtol=1e-12)


def test_missing_barrier_in_the_tree_is_caught():
    kernel, source, functions = printed(T.sum(T.matrix(), axis=1).owner)
    step = "            buf[t] = k0_add(buf[t], buf[t + half]);\n        __syncthreads();"
    assert step in source
    broken = source.replace(step, step.replace("__syncthreads();", ""))
    with pytest.raises(EmulatorError, match="missing __syncthreads"):
        run(kernel, broken, functions, X)


def test_missing_barrier_in_the_matmul_is_caught():
    kernel, source, functions = printed(T.dot(T.matrix(), T.matrix()).owner)
    first = "__syncthreads();  /* the tiles are complete */"
    assert first in source
    a = X[:, :40]
    with pytest.raises(EmulatorError, match="__syncthreads"):
        run(kernel, source.replace(first, ""), functions, a, a.T)


def test_read_of_unwritten_shared_memory_is_caught():
    # The tree starts one step too high: with 100 elements a row (a block of 128
    # threads), it reads buf[128..255], which no thread wrote.
    kernel, source, functions = printed(T.sum(T.matrix(), axis=1).owner)
    start = "for (unsigned half = blockDim.x / 2;"
    assert start in source
    broken = source.replace(start, "for (unsigned half = blockDim.x;")
    with pytest.raises(EmulatorError, match="shared memory no thread wrote"):
        run(kernel, broken, functions, X[:, :100])


def hand_written(body: str, params=(("float *", "y"),)) -> tuple[str, list[CudaFunction]]:
    head = ", ".join(f"{t} {n}" for t, n in params)
    text = f'extern "C" __global__ void bug({head})\n{{\n{body}\n}}\n'
    return text, [CudaFunction("bug", tuple(params), text, barriers=True)]


def launch_bug(text, functions, y, block=64):
    module = EmulatedModule(text, functions)
    module.launch(Launch("bug", (1, 1), (block, 1), (y.ctypes.data,)))


def test_divergent_barrier_is_caught():
    text, functions = hand_written("""
    __shared__ float s[64];
    if (threadIdx.x >= 32)
        return;              /* half the block leaves... */
    s[threadIdx.x] = 1;
    __syncthreads();         /* ...and the other half waits for it forever */
    y[threadIdx.x] = s[63 - threadIdx.x];""")
    with pytest.raises(EmulatorError, match="divergent __syncthreads"):
        launch_bug(text, functions, np.zeros(64, "float32"))


def test_shuffle_in_half_a_warp_is_caught():
    text, functions = hand_written("""
    float v = threadIdx.x;
    if (threadIdx.x % 32 < 16)
        v += __shfl_down_sync(0xffffffffu, v, 1);
    y[threadIdx.x] = v;""")
    with pytest.raises(EmulatorError, match="not every lane"):
        launch_bug(text, functions, np.zeros(64, "float32"))


def test_a_correct_shuffle_gives_the_neighbour():
    text, functions = hand_written("""
    float v = threadIdx.x;
    y[threadIdx.x] = __shfl_down_sync(0xffffffffu, v, 1);""")
    y = np.zeros(64, "float32")
    launch_bug(text, functions, y)
    lane = np.arange(64) % 32
    np.testing.assert_array_equal(y, np.where(lane < 31, np.arange(64) + 1, np.arange(64)))


def test_host_values_and_other_devices_arrays_are_refused():
    kernel, source, functions = printed(T.sum(T.matrix(), axis=1).owner)
    module = EmulatedModule(source, functions)
    with pytest.raises(TypeError, match="moved to the device first"):
        DEVICE.run(module, plan(DEVICE, "k0", kernel, [X]))
    other = EmulatedDevice()
    with pytest.raises(ValueError, match="do not move between contexts"):
        DEVICE.run(module, plan(DEVICE, "k0", kernel, [other.to_device(X)]))


def test_a_copy_a_launch_reads_lives_as_long_as_the_plan():
    """A softmax over a 3-d array whose leading axes cannot be walked with one
    stride reads a contiguous copy made while planning.  The launch holds only
    the copy's address: the plan must hold the copy itself, or the memory may
    be freed (and reused) before the launch runs."""
    x = T.tensor3("x")
    kernel, source, functions = printed(T.nnet.softmax(x).owner)
    value = np.random.default_rng(1).standard_normal((3, 4, 5)).transpose(1, 0, 2)
    p = plan(DEVICE, "k0", kernel, [DEVICE.place(value)])
    held = {DEVICE.address(a) for a in [*p.inputs, *p.outputs, *p.scratch]}
    for launch in p.launches:
        pointers = [a for a in launch.args if isinstance(a, int) and a > 2**20]
        assert pointers and set(pointers) <= held, (pointers, held)
    got = run(kernel, source, functions, value)
    e = np.exp(value - value.max(axis=-1, keepdims=True))
    np.testing.assert_allclose(got, e / e.sum(axis=-1, keepdims=True), rtol=1e-12)
