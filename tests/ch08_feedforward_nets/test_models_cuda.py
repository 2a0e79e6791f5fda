"""Chapter 8's models trained with device=cuda (the kernels emulated on the CPU here, so a
few steps on small batches) follow the CPU's loss trajectory: logistic regression, the MLP
with dropout (the MRG masks are the same bits on both devices) and the LeNet (conv2d,
pool_2d and their gradients on the device)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import minitheano as theano
from minitheano.examples import lenet, logistic, mlp
from minitheano.examples.data import load_digits
from minitheano.examples.updates import momentum, sgd
from minitheano.link.cuda.transfer import GpuKernelOp
from minitheano.sandbox.rng_mrg import MRG_RandomStreams
from minitheano.tensor.nnet import dropout

DIGITS = load_digits()
STEPS, BATCH = 4, 16


@pytest.fixture
def device():
    """Sets config.device for the test's compilations, and puts it back."""
    before = theano.config.device

    def use(name: str) -> None:
        theano.config.device = name

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the one-time "emulated" warning
        yield use
    theano.config.device = before


def batches():
    train = DIGITS.train
    return [(train.x[k * BATCH:(k + 1) * BATCH], train.y[k * BATCH:(k + 1) * BATCH])
            for k in range(STEPS)]


def trajectory(build_step):
    """The losses of STEPS training steps and the parameters after them."""
    step, params = build_step()
    losses = [float(step(x, y)) for x, y in batches()]
    return losses, [p.get_value() for p in params]


def logistic_step():
    x, y, model = logistic.build()
    cost = model.negative_log_likelihood(y)
    return theano.function([x, y], cost, updates=sgd(cost, model.params, 0.5)), model.params


def mlp_step(p_drop=0.0):
    def build():
        x, y, model = mlp.build(n_hidden=(32,), seed=3)
        cost = model.negative_log_likelihood(y)
        if p_drop:  # the same net, its hidden units dropped: the cost of a dropped-out pass
            srng = MRG_RandomStreams(seed=11)
            hidden = dropout(model.hidden_layers[0].output, p_drop, srng)
            out = model.output_layer
            p = theano.tensor.nnet.softmax(theano.tensor.dot(hidden, out.W) + out.b)
            cost = -theano.tensor.mean(theano.tensor.log(p)[theano.tensor.arange(y.shape[0]),
                                                              y])
        updates = momentum(cost, model.params, learning_rate=0.05)
        return theano.function([x, y], cost, updates=updates), model.params
    return build


def lenet_step():
    x, y, net = lenet.build(n_filters=(3, 4), n_hidden=8, seed=5)
    cost = net.negative_log_likelihood(y)
    return theano.function([x, y], cost, updates=sgd(cost, net.params, 0.1)), net.params


def compare(device, build_step, rtol):
    device("cpu")
    cpu_losses, cpu_params = trajectory(build_step)
    device("cuda")
    gpu_losses, gpu_params = trajectory(build_step)
    np.testing.assert_allclose(gpu_losses, cpu_losses, rtol=rtol)
    for mine, reference in zip(gpu_params, cpu_params):
        np.testing.assert_allclose(mine, reference, rtol=rtol, atol=rtol)
    assert gpu_losses[-1] < gpu_losses[0]  # and it learns
    return gpu_losses


def test_logistic_regression_trains_on_the_device_as_on_the_cpu(device):
    compare(device, logistic_step, rtol=1e-10)


def test_the_mlp_with_dropout_trains_on_the_device_as_on_the_cpu(device):
    """The MLP, its hidden units dropped: the same trajectory needs the same masks, drawn
    on the device by the Philox kernel from the same seed."""
    compare(device, mlp_step(p_drop=0.5), rtol=1e-10)
    device("cuda")
    step, _ = mlp_step(p_drop=0.5)()
    on_device = {type(n.op.op).__name__ for n in step.maker.fgraph.toposort()
                 if isinstance(n.op, GpuKernelOp)}
    assert {"PhiloxUniform", "Dot", "Softmax"} <= on_device


def test_the_lenet_trains_on_the_device_as_on_the_cpu(device):
    compare(device, lenet_step, rtol=1e-9)
    # and its convolutions and poolings, forward and backward, ran on the device
    device("cuda")
    step, _ = lenet_step()
    on_device = {type(n.op.op).__name__ for n in step.maker.fgraph.toposort()
                 if isinstance(n.op, GpuKernelOp)}
    assert {"AbstractConv2d", "AbstractConv2d_gradWeights", "AbstractConv2d_gradInputs",
            "Pool", "MaxPoolGrad"} <= on_device


def test_a_conv_that_does_not_fit_is_refused_on_the_device_too(device):
    device("cuda")
    x = theano.tensor.tensor4("x")
    w = theano.shared(np.zeros((2, 3, 3, 3)), name="w")
    f = theano.function([x], theano.tensor.nnet.conv2d(x, w))
    assert "GpuAbstractConv2d" in [str(n.op).split("{")[0] for n in f.maker.fgraph.toposort()]
    with pytest.raises(ValueError, match=r"the input has 1 channels but the filters expect 3 "
                                         r"\(input shape \(1, 1, 5, 5\)"):
        f(np.zeros((1, 1, 5, 5)))
    with pytest.raises(ValueError, match="fewer than the 3 that one filter covers"):
        f(np.zeros((1, 3, 2, 5)))
    np.testing.assert_array_equal(f(np.ones((1, 3, 4, 4))), np.zeros((1, 2, 2, 2)))
