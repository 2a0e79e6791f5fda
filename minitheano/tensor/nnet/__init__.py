"""`T.nnet`: what neural networks are built from (chapters 1 and 8).

Laid out as Theano's `theano.tensor.nnet`: the activations, softmaxes and
cross-entropies live in `nnet.nnet` (chapter 1), the 2-d convolution in
`nnet.abstract_conv` (chapter 8; `nnet.conv` keeps the older spelling), and
dropout in `nnet.dropout`.  Every public name is re-exported here, so
`T.nnet.softmax` and `T.nnet.conv2d` both work.
"""

from minitheano.tensor.nnet import abstract_conv, conv, neighbours
from minitheano.tensor.nnet.abstract_conv import (
    AbstractConv2d,
    AbstractConv2d_gradInputs,
    AbstractConv2d_gradWeights,
    conv2d,
)
from minitheano.tensor.nnet.dropout import dropout
from minitheano.tensor.nnet.neighbours import Images2Neibs, images2neibs, neibs2images
from minitheano.tensor.nnet.nnet import (  # Theano's names, built from chapter 1's ops
    CrossentropyCategorical1Hot,
    CrossentropyCategorical1HotGrad,
    CrossentropySoftmax,
    CrossentropySoftmaxDx,
    LogSoftmax,
    Softmax,
    SoftmaxGrad,
    batch_normalization,
    binary_crossentropy,
    bn,
    categorical_crossentropy,
    confusion_matrix,
    crossentropy_categorical_1hot,
    crossentropy_categorical_1hot_grad,
    crossentropy_softmax,
    crossentropy_softmax_dx,
    elu,
    hard_sigmoid,
    log_softmax,
    logsoftmax,
    logsoftmax_op,
    prepend_0_to_each_row,
    prepend_1_to_each_row,
    prepend_scalar_to_each_row,
    relu,
    selu,
    sigmoid,
    sigmoid_binary_crossentropy,
    softmax,
    softmax_grad,
    softmax_op,
    softmax_with_bias,
    softplus,
    softsign,
    ultra_fast_sigmoid,
)

__all__ = [
    "AbstractConv2d", "AbstractConv2d_gradInputs", "AbstractConv2d_gradWeights", "conv2d",
    "dropout",
    "CrossentropyCategorical1Hot", "CrossentropyCategorical1HotGrad", "CrossentropySoftmax",
    "CrossentropySoftmaxDx", "LogSoftmax", "Softmax", "SoftmaxGrad", "binary_crossentropy",
    "categorical_crossentropy", "crossentropy_categorical_1hot",
    "crossentropy_categorical_1hot_grad", "crossentropy_softmax", "crossentropy_softmax_dx",
    "elu", "hard_sigmoid", "log_softmax", "logsoftmax", "logsoftmax_op", "relu", "selu",
    "sigmoid", "sigmoid_binary_crossentropy", "softmax", "softmax_grad", "softmax_op",
    "softmax_with_bias", "softplus", "softsign", "ultra_fast_sigmoid",
    "batch_normalization", "bn", "confusion_matrix", "prepend_0_to_each_row",
    "prepend_1_to_each_row", "prepend_scalar_to_each_row",
    "neighbours", "Images2Neibs", "images2neibs", "neibs2images",
]


def __getattr__(name: str):
    from minitheano.api_reference import missing_name  # says why, for Theano's names
    raise missing_name(__name__, name)
