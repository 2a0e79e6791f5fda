"""A small LeNet-style convolutional net on the digits (chapter 8).

Two convolution + max-pooling layers, then a dense hidden layer and softmax regression,
as deeplearning.net's LeNet5 tutorial, sized for 8x8 images: 3x3 filters with 'half'
padding keep each map's size, each 2x2 pool halves it (8 -> 4 -> 2).

    python -m minitheano.examples.lenet         # train on the digits, print the accuracy
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

import minitheano as theano
import minitheano.tensor as T
from minitheano.examples.logistic import LogisticRegression
from minitheano.examples.mlp import HiddenLayer, glorot_uniform
from minitheano.examples.train import TrainConfig
from minitheano.graph.basic import Variable
from minitheano.tensor.nnet import conv2d
from minitheano.tensor.signal.pool import pool_2d

# Settings that reach >= 98% on the digits' test split in well under a minute (chapter 8).
# (99.0-100% for three initial seeds; plain momentum at 0.02 gave 97.3-99.0%.)
TRAINING = TrainConfig(rule="nesterov", learning_rate=0.03, weight_decay=1e-4, batch_size=32,
                       max_epochs=40, patience=10)
POOL = (2, 2)


# --8<-- [start:conv-pool-layer]
class ConvPoolLayer:
    """relu(max_pool(conv2d(input, W)) + b): `n_filters` maps from `in_channels` ones."""

    def __init__(self, rng: np.random.Generator, input: Variable, in_channels: int,
                 n_filters: int, filter_size: int = 3, dtype: str | None = None):
        dtype = dtype or theano.config.floatX
        shape = (n_filters, in_channels, filter_size, filter_size)
        fan_in = in_channels * filter_size ** 2
        fan_out = n_filters * filter_size ** 2 // (POOL[0] * POOL[1])
        self.W = theano.shared(glorot_uniform(rng, fan_in, fan_out, shape, dtype), name="W")
        self.b = theano.shared(np.zeros(n_filters, dtype=dtype), name="b")
        self.params = [self.W, self.b]
        maps = conv2d(input, self.W, filter_shape=shape, border_mode="half")
        pooled = pool_2d(maps, ws=POOL, ignore_border=True, mode="max")
        self.output = T.nnet.relu(pooled + self.b.dimshuffle("x", 0, "x", "x"))
# --8<-- [end:conv-pool-layer]


class LeNet:
    """Images as rows of `image_shape` pixels -> conv/pool layers -> dense -> classes."""

    def __init__(self, rng: np.random.Generator, input: Variable, image_shape: tuple[int, int],
                 n_filters: Sequence[int] = (16, 32), n_hidden: int = 64, n_out: int = 10):
        self.input = input
        height, width = image_shape
        below, channels = input.reshape((input.shape[0], 1, height, width)), 1
        self.conv_layers = []
        for count in n_filters:
            layer = ConvPoolLayer(rng, below, channels, count)
            self.conv_layers.append(layer)
            below, channels = layer.output, count
            height, width = height // POOL[0], width // POOL[1]
        self.hidden = HiddenLayer(rng, below.flatten(2), channels * height * width, n_hidden,
                                  activation="relu")
        self.output_layer = LogisticRegression(self.hidden.output, n_hidden, n_out)
        self.params = [p for layer in self.conv_layers for p in layer.params]
        self.params += self.hidden.params + self.output_layer.params
        self.p_y_given_x = self.output_layer.p_y_given_x
        self.y_pred = self.output_layer.y_pred

    def negative_log_likelihood(self, y: Variable) -> Variable:
        return self.output_layer.negative_log_likelihood(y)

    def errors(self, y: Variable) -> Variable:
        return self.output_layer.errors(y)


def build(image_shape: tuple[int, int] = (8, 8), n_filters: Sequence[int] = (16, 32),
          n_hidden: int = 64, n_out: int = 10,
          seed: int = 1234) -> tuple[Variable, Variable, LeNet]:
    """Inputs x (images as rows) and y (class indices), and a LeNet on x."""
    x, y = T.matrix("x"), T.ivector("y")
    net = LeNet(np.random.default_rng(seed), x, image_shape, n_filters, n_hidden, n_out)
    return x, y, net


def main() -> None:
    from minitheano.examples.data import load_digits
    from minitheano.examples.train import train_classifier

    data = load_digits(dtype=theano.config.floatX)
    x, y, model = build(data.image_shape, n_out=data.n_classes)
    result = train_classifier(model, x, y, data, replace(TRAINING, progress=True))
    print(result.summary("LeNet"))


if __name__ == "__main__":
    main()
