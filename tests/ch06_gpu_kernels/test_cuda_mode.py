"""device=cuda: the seeds' examples and an MLP training step through the CUDA kernels
(run by the emulator here), compared with the C backend and numpy; the transfers the
compiled graph shows; the doctor."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

import minitheano as theano
from minitheano import tensor as T
from minitheano.compile.mode import Mode
from minitheano.graph.basic import Constant
from minitheano.link.cuda import emulator
from minitheano.link.cuda.transfer import GpuFromHost, GpuKernelOp, HostFromGpu
from minitheano.printing import debugprint
from minitheano.tensor import nnet


@pytest.fixture
def cuda():
    before = theano.config.device
    theano.config.device = "cuda"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the one-time "emulated" warning
            yield
    finally:
        theano.config.device = before


def ops(f):
    return [n.op for n in f.maker.fgraph.toposort()]


def test_logistic_runs_on_the_device(cuda):
    x = T.dmatrix("x")
    logistic = theano.function([x], 1 / (1 + T.exp(-x)))
    values = np.array([[0, 1], [-1, -2]], dtype="float64")
    np.testing.assert_allclose(logistic(values), 1 / (1 + np.exp(-values)), rtol=1e-15)
    kinds = [type(op) for op in ops(logistic)]
    assert kinds == [GpuFromHost, GpuKernelOp, HostFromGpu]
    text = debugprint(logistic, file="str")
    assert "HostFromGpu" in text and "GpuFromHost" in text and "GpuElemwise" in text


def test_the_warning_says_once_that_kernels_are_emulated(monkeypatch):
    monkeypatch.setattr(emulator, "_warned", False)
    with pytest.warns(UserWarning, match="emulated on the CPU"):
        emulator.warn_emulated()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        emulator.warn_emulated()  # the second time: silent


def train(mode, steps=10):
    """The seed's training loop with theano.grad: W fitted so that x . W = target."""
    x, target = T.dvector("x"), T.dscalar("target")
    W = theano.shared(np.asarray([0.2, 0.7]), "W")
    y = (x * W).sum()
    cost = (target - y) ** 2
    f = theano.function([x, target], y, updates=[(W, W - 0.1 * theano.grad(cost, W))],
                        mode=mode)
    return [float(f([1.0, 1.0], 20.0)) for _ in range(steps)], W.get_value(), f


def test_training_loop(cuda):
    got, w, f = train(None)
    expected, w_c, _ = train(Mode("c"))
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    np.testing.assert_allclose(w, w_c, rtol=1e-12)
    assert any(isinstance(op, GpuKernelOp) for op in ops(f))


def mlp_step(mode, rng):
    """One SGD step of a one-hidden-layer net on 20 examples of 7 features, 3 classes."""
    x, y = T.matrix("x"), T.ivector("y")
    W1 = theano.shared(rng.standard_normal((7, 16)).astype(theano.config.floatX), "W1")
    b1 = theano.shared(np.zeros(16, theano.config.floatX), "b1")
    W2 = theano.shared(rng.standard_normal((16, 3)).astype(theano.config.floatX), "W2")
    hidden = T.tanh(T.dot(x, W1) + b1)
    p = nnet.softmax(T.dot(hidden, W2))
    loss = nnet.categorical_crossentropy(p, y).mean()
    params = [W1, b1, W2]
    updates = [(v, v - 0.1 * g) for v, g in zip(params, theano.grad(loss, params))]
    f = theano.function([x, y], loss, updates=updates, mode=mode)
    data = rng.standard_normal((20, 7)).astype(theano.config.floatX)
    labels = rng.integers(0, 3, 20).astype("int32")
    losses = [float(f(data, labels)) for _ in range(3)]
    return losses, [v.get_value() for v in params], f


def test_mlp_step(cuda):
    got, params, f = mlp_step(None, np.random.default_rng(0))
    expected, params_c, _ = mlp_step(Mode("c"), np.random.default_rng(0))
    np.testing.assert_allclose(got, expected, rtol=1e-10)
    for a, b in zip(params, params_c):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    gpu = [str(op) for op in ops(f) if isinstance(op, GpuKernelOp)]
    assert any("Dot" in s for s in gpu) and any("Elemwise" in s for s in gpu)


def test_transfers_are_merged(cuda):
    # Three GPU nodes in a chain: x moves in once (for both operands of the dot),
    # the constant 2 moves in, the sum moves out, nothing between.
    x = T.dmatrix("x")
    f = theano.function([x], T.sum(T.dot(x, x) * 2, axis=0))
    nodes = f.maker.fgraph.toposort()
    moved_in = [n.inputs[0] for n in nodes if isinstance(n.op, GpuFromHost)]
    assert moved_in[0] is f.maker.fgraph.inputs[0] and len(moved_in) == 2
    assert isinstance(moved_in[1], Constant)
    assert [type(n.op) for n in nodes].count(HostFromGpu) == 1
    values = np.arange(6.0).reshape(2, 3)[:, :2]
    np.testing.assert_allclose(f(values), (values @ values * 2).sum(0))


def test_an_op_without_a_kernel_runs_on_the_host(cuda):
    x = T.dmatrix("x")
    f = theano.function([x], T.exp(x)[::-1] + 1)  # the slice has no CUDA kernel
    kinds = [type(op).__name__ for op in ops(f)]
    assert "HostFromGpu" in kinds and "GpuFromHost" in kinds
    values = np.arange(6.0).reshape(3, 2)
    np.testing.assert_allclose(f(values), np.exp(values)[::-1] + 1)


def test_flag_and_gpu_mode_from_the_environment():
    code = ("import numpy, minitheano as th, minitheano.tensor as T\n"
            "x = T.dvector('x'); f = th.function([x], T.exp(x))\n"
            "print(th.config.device, f.maker.mode.linker, f(numpy.zeros(2)))\n"
            "g = th.function([x], T.exp(x), mode='GPU'); print(g.maker.mode.linker)\n")
    env = {**os.environ, "MINITHEANO_FLAGS": "device=cuda," + os.environ.get(
        "MINITHEANO_FLAGS", "")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, check=True)
    assert out.stdout.split() == ["cuda", "cuda", "[1.", "1.]", "cuda"]
    assert "emulated on the CPU" in out.stderr


def test_doctor_without_nvcc_on_the_path(tmp_path):
    # A PATH with python and g++ but no nvcc.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("g++",):
        os.symlink(subprocess.check_output(["which", tool], text=True).strip(), bin_dir / tool)
    env = {**os.environ, "PATH": str(bin_dir)}
    out = subprocess.run([sys.executable, "-m", "minitheano", "doctor"], capture_output=True,
                         text=True, env=env, check=True).stdout
    assert "nvcc       no   nvcc (the CUDA compiler) is not on the PATH" in out
    assert "emulator   yes" in out
    assert "PyCUDA     no" in out
    assert "device=cuda runs the kernels emulated on the CPU" in out


def test_device_cuda_with_nothing_to_run_it_says_what_is_missing(monkeypatch):
    from minitheano.link.cuda import device

    device.get_device.cache_clear()
    monkeypatch.setattr(device, "emulator_problem", lambda: "g++ is not on the PATH")
    try:
        with pytest.raises(RuntimeError, match="no GPU .*PyCUDA.*no emulator .*g\\+\\+"):
            device.get_device()
    finally:
        device.get_device.cache_clear()


def test_bad_class_index_on_the_device_is_the_ops_error(cuda):
    coding, y = T.dmatrix("coding"), T.ivector("y")
    f = theano.function([coding, y], nnet.crossentropy_categorical_1hot(coding, y))
    assert any(isinstance(op, GpuKernelOp) for op in ops(f))
    with pytest.raises(IndexError, match="class index 3 .*out of range for 3 classes"):
        f(np.full((2, 3), 0.5), np.array([0, 3], "int32"))
    np.testing.assert_allclose(f(np.full((2, 3), 0.5), np.array([0, 2], "int32")),
                               -np.log([0.5, 0.5]))


def test_shared_variables_live_on_the_device(cuda):
    from minitheano.link.cuda.sharedvar import GpuSharedVariable

    start = np.arange(6.0).reshape(2, 3)
    W = theano.shared(start, "W")
    assert isinstance(W, GpuSharedVariable)
    start[0, 0] = 100.0                      # the device has its own copy
    assert W.get_value()[0, 0] == 0.0
    got = W.get_value()
    got[0, 1] = 100.0                        # and get_value gives a host copy
    assert W.get_value()[0, 1] == 1.0
    W.set_value(np.ones((2, 3)))
    np.testing.assert_array_equal(W.get_value(borrow=True), np.ones((2, 3)))
    internal = W.get_value(borrow=True, return_internal_type=True)
    assert internal is W.get_value(borrow=True, return_internal_type=True)
    with pytest.raises(TypeError, match="set_value of shared variable W"):
        W.set_value(np.ones((2, 3), "complex128"))


def test_a_training_step_moves_only_the_minibatch_in(cuda):
    losses, params, f = mlp_step(None, np.random.default_rng(0))
    expected, params_c, _ = mlp_step(Mode("c"), np.random.default_rng(0))
    np.testing.assert_allclose(losses, expected, rtol=1e-10)
    nodes = f.maker.fgraph.toposort()
    moved_in = [n.inputs[0] for n in nodes if isinstance(n.op, GpuFromHost)]
    shared = [v for v in moved_in if getattr(v, "on_device", False)]
    assert not shared, f"shared variables moved in each call: {shared}"
    gpu_reads = {v.name for n in nodes if isinstance(n.op, GpuKernelOp) for v in n.inputs}
    assert {"W1", "W2"} <= gpu_reads
    # The new values of W1, b1 and W2 are stored on the device, with no trip to the host.
    updates = f.maker.fgraph.outputs[1:]
    assert len(updates) == 3
    assert all(isinstance(u.owner.op, GpuKernelOp) for u in updates), updates


@pytest.fixture
def transfers(monkeypatch):
    """Every copy between host and emulated device, as (direction, shape): patched
    on the class before a function is made, so its thunks call the counters."""
    moves = []
    to_device, to_host = emulator.EmulatedDevice.to_device, emulator.EmulatedDevice.to_host

    def counting_to_device(self, x, dtype=None):
        if not isinstance(x, emulator.EmulatedArray):  # a device-to-device copy is no transfer
            moves.append(("in", np.shape(x)))
        return to_device(self, x, dtype)

    def counting_to_host(self, x):
        moves.append(("out", tuple(x.shape)))
        return to_host(self, x)

    monkeypatch.setattr(emulator.EmulatedDevice, "to_device", counting_to_device)
    monkeypatch.setattr(emulator.EmulatedDevice, "to_host", counting_to_host)
    return moves


def test_the_mlp_step_has_no_host_round_trip(cuda, transfers):
    rng = np.random.default_rng(0)
    _, _, f = mlp_step(None, rng)
    expected, _, g = mlp_step(Mode("c"), np.random.default_rng(0))
    host_nodes = [n.op for n in f.maker.fgraph.toposort()
                  if not isinstance(n.op, (GpuKernelOp, GpuFromHost, HostFromGpu))]
    assert not host_nodes, f"nodes still on the host: {host_nodes}"
    data = rng.standard_normal((20, 7))
    labels = rng.integers(0, 3, 20).astype("int32")
    transfers.clear()
    loss = f(data, labels)
    # In: the minibatch; out: the loss.  (The cross-entropy kernels' flag for a class
    # index out of range is host memory the device writes: reading it is no copy.)
    assert sorted(transfers) == [("in", (20,)), ("in", (20, 7)), ("out", ())]
    np.testing.assert_allclose(loss, g(data, labels), rtol=1e-10)


def test_constants_move_to_the_device_once(cuda, transfers):
    x = T.dmatrix("x")
    f = theano.function([x], T.exp(x) * 3.5 + np.arange(2.0))
    constants = [n for n in f.maker.fgraph.toposort()
                 if isinstance(n.op, GpuFromHost) and isinstance(n.inputs[0], Constant)]
    assert constants, "the test needs a constant read on the device"
    expected = np.exp(np.ones((3, 2))) * 3.5 + np.arange(2.0)
    for _ in range(2):
        transfers.clear()
        np.testing.assert_allclose(f(np.ones((3, 2))), expected)
        assert sorted(transfers) == [("in", (3, 2)), ("out", (3, 2))]


def test_dimshuffle_and_shape_on_the_device(cuda):
    x = T.dmatrix("x")
    y = T.exp(x)
    f = theano.function([x], [T.dot(y.T, y), T.cast(y.shape[1], "float64") * y.dimshuffle(
        "x", 1, 0)])
    kinds = [str(op) for op in ops(f)]
    assert any(k.startswith("GpuDimShuffle") for k in kinds), kinds
    assert sum(k.startswith("HostFromGpu") for k in kinds) == 2, kinds
    values = np.arange(6.0).reshape(3, 2) / 10
    a, b = f(values)
    np.testing.assert_allclose(a, np.exp(values).T @ np.exp(values), rtol=1e-12)
    np.testing.assert_allclose(b, 2 * np.exp(values).T[None], rtol=1e-12)


def test_a_host_array_is_not_moved_in_only_for_its_shape(cuda):
    x = T.dmatrix("x")
    f = theano.function([x], x.T * 2)  # the view reads a host array: it stays there
    nodes = f.maker.fgraph.toposort()
    assert str(nodes[0].op) == "DimShuffle{1,0}"
    moved = [n.inputs[0] for n in nodes if isinstance(n.op, GpuFromHost)
             and not isinstance(n.inputs[0], Constant)]
    assert moved == [nodes[0].outputs[0]]  # x moves in once, as its transpose
    np.testing.assert_array_equal(f(np.arange(6.0).reshape(2, 3)),
                                  np.arange(6.0).reshape(2, 3).T * 2)


def test_max_and_argmax_run_on_the_device(cuda):
    x = T.fmatrix("x")
    f = theano.function([x], T.max_and_argmax(x, axis=1))
    assert all(isinstance(op, (GpuKernelOp, GpuFromHost, HostFromGpu)) for op in ops(f))
    values = np.random.default_rng(7).integers(0, 4, (5, 40)).astype("float32")  # ties
    top, where = f(values)
    np.testing.assert_array_equal(top, values.max(1))
    np.testing.assert_array_equal(where, values.argmax(1))


def test_gemm_runs_on_the_device(cuda):
    from minitheano.tensor.blas import gemm_inplace

    z, x, y = T.dmatrix("z"), T.dmatrix("x"), T.dmatrix("y")
    a = T.dscalar("a")
    f = theano.function([z, a, x, y], gemm_inplace(z * 1, a, x, y, np.float64(0.5)))
    assert any(str(op).startswith("GpuGemm") for op in ops(f)), ops(f)
    rng = np.random.default_rng(8)
    zv, xv, yv = rng.standard_normal((5, 3)), rng.standard_normal((5, 4)), \
        rng.standard_normal((4, 3))
    before = zv.copy()
    np.testing.assert_allclose(f(zv, -2.0, xv, yv), 0.5 * zv - 2.0 * xv @ yv, rtol=1e-12)
    np.testing.assert_array_equal(zv, before)  # the caller's array is not written


def test_a_value_a_scalar_op_refuses_on_the_device_is_the_ops_error(cuda):
    x, y = T.ivector("x"), T.ivector("y")
    f = theano.function([x, y], x ** y + 1)
    assert any(isinstance(op, GpuKernelOp) for op in ops(f)), ops(f)
    np.testing.assert_array_equal(f(np.array([2, 3], "int32"), np.array([3, 0], "int32")),
                                  [9, 2])
    with pytest.raises(ValueError, match="negative integer powers"):
        f(np.array([2, 3], "int32"), np.array([1, -1], "int32"))
    # The flag is cleared for the next call.
    np.testing.assert_array_equal(f(np.array([2], "int32"), np.array([2], "int32")), [5])
