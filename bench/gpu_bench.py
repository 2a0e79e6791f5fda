"""Chapter 6's GPU bench: `python -m bench.gpu_bench` (bench/gpu_check.sh runs it).

Fused elementwise on 1e7 float32 (against a device-to-device copy of the same bytes),
the logistic's gradient, an MLP training step and chapter 8's LeNet5 step, with
device=cuda; CuPy's elementwise for comparison where it is installed.  Prints one line
per workload.  Not yet run on a GPU.
"""

from __future__ import annotations

import time

import numpy as np

import minitheano as theano
from minitheano import tensor as T
from minitheano.link.cuda.device import get_device
from minitheano.link.cuda.pycuda_device import pycuda_problem

N = 10_000_000
REPEATS = 20


def best(f, *args):
    """The best of REPEATS calls, in seconds, waiting for the GPU to finish each."""
    import pycuda.driver as drv

    f(*args)
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        f(*args)
        drv.Context.synchronize()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    problem = pycuda_problem()
    if problem:
        print(f"no GPU: {problem}; nothing to measure")
        return
    theano.config.device = "cuda"
    device = get_device()
    a = device.to_device(np.random.default_rng(0).standard_normal(N).astype("float32"))
    copy_seconds = best(lambda: a.copy())
    print(f"device copy: {2 * 4 * N / copy_seconds / 1e9:.1f} GB/s")
    x = T.fvector("x")
    f = theano.function([x], T.tanh(x) * 2 + 1)
    host = np.random.default_rng(1).standard_normal(N).astype("float32")
    seconds = best(f, host)
    print(f"fused elementwise 1e7 float32 (with transfers): {seconds * 1e3:.2f} ms")
    try:
        import cupy

        c = cupy.asarray(host)
        kernel = cupy.ElementwiseKernel("float32 x", "float32 y", "y = tanh(x) * 2 + 1")
        seconds = best(lambda: (kernel(c), cupy.cuda.Device().synchronize()))
        print(f"CuPy elementwise (on device, no transfers): {seconds * 1e3:.2f} ms")
    except ImportError:
        print("CuPy not installed: no comparison")
    w = theano.shared(np.zeros(784, "float32"))
    xs, ys = T.fmatrix("xs"), T.fvector("ys")
    p = 1 / (1 + T.exp(-T.dot(xs, w)))
    cost = T.mean((p - ys) ** 2)
    grad = theano.function([xs, ys], theano.grad(cost, w))
    data = np.random.default_rng(2).standard_normal((1000, 784)).astype("float32")
    seconds = best(grad, data, np.ones(1000, "float32"))
    print(f"logistic gradient (1000 x 784): {seconds * 1e3:.2f} ms")
    print(f"MLP training step (batch 256, 784-500-10): {mlp_step_seconds() * 1e3:.2f} ms")
    print(f"LeNet5 training step (batch 128, 28x28, chapter 8's conv and pool kernels): "
          f"{convnet_step_seconds() * 1e3:.2f} ms")


def mlp_step_seconds() -> float:
    """One SGD step of a 784-500-10 tanh network on 256 examples, parameters on the device."""
    from minitheano.tensor import nnet

    rng = np.random.default_rng(3)
    x, y = T.fmatrix("x"), T.ivector("y")
    W1 = theano.shared((rng.standard_normal((784, 500)) * 0.01).astype("float32"))
    b1 = theano.shared(np.zeros(500, "float32"))
    W2 = theano.shared((rng.standard_normal((500, 10)) * 0.01).astype("float32"))
    p = nnet.softmax(T.dot(T.tanh(T.dot(x, W1) + b1), W2))
    loss = nnet.categorical_crossentropy(p, y).mean()
    params = [W1, b1, W2]
    updates = [(v, v - 0.1 * g) for v, g in zip(params, theano.grad(loss, params))]
    step = theano.function([x, y], loss, updates=updates)
    data = rng.standard_normal((256, 784)).astype("float32")
    labels = rng.integers(0, 10, 256).astype("int32")
    return best(step, data, labels)


def convnet_step_seconds() -> float:
    """bench/workloads/nets.py's LeNet5 step (conv2d, pool_2d, their gradients and the
    dense layers), compiled with device=cuda (set by main)."""
    from bench.workloads.nets import convnet_step_128

    return best(convnet_step_128()["minitheano"]())


if __name__ == "__main__":
    main()
