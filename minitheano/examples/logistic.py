"""Logistic (softmax) regression on the digits, the first model of chapter 8.

P(y = k | x) = softmax(x W + b)_k; the cost is the mean negative log likelihood of the
true classes, given as indices; the prediction is the most probable class. This is
deeplearning.net's `LogisticRegression`, also the output layer of the MLP and the conv net.

    python -m minitheano.examples.logistic      # train on the digits, print the accuracy
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

import minitheano as theano
import minitheano.tensor as T
from minitheano.examples.train import TrainConfig
from minitheano.graph.basic import Variable

# Settings that reach >= 94% on the digits' test split in a few seconds (chapter 8).
TRAINING = TrainConfig(rule="sgd", learning_rate=0.5, batch_size=32, max_epochs=100,
                       patience=20)


# --8<-- [start:logistic-regression]
class LogisticRegression:
    """Softmax regression from `input` (n, n_in) to `n_out` classes."""

    def __init__(self, input: Variable, n_in: int, n_out: int, dtype: str | None = None):
        dtype = dtype or theano.config.floatX
        self.input = input
        # Zeros are a fine start here: the cost is convex in W and b.
        self.W = theano.shared(np.zeros((n_in, n_out), dtype=dtype), name="W")
        self.b = theano.shared(np.zeros(n_out, dtype=dtype), name="b")
        self.params = [self.W, self.b]
        self.logits = T.dot(input, self.W) + self.b
        self.p_y_given_x = T.nnet.softmax(self.logits)
        self.y_pred = T.argmax(self.p_y_given_x, axis=1)

    def negative_log_likelihood(self, y: Variable) -> Variable:
        """-mean(log P(y_i | x_i)), the true classes y given as indices.

        deeplearning.net wrote it -T.mean(T.log(p)[T.arange(y.shape[0]), y]), picking
        each row's true-class probability by advanced indexing. The cross-entropy op says
        the same, checks each label (in range, one per row: a negative index would
        silently read from the end), and chapter 3 fuses it with the softmax.
        """
        return T.mean(T.nnet.categorical_crossentropy(self.p_y_given_x, y))

    def errors(self, y: Variable) -> Variable:
        """The fraction of rows whose predicted class is not y."""
        return T.mean(T.neq(self.y_pred, y))
# --8<-- [end:logistic-regression]

    def gradients_by_hand(self, y: Variable) -> list[Variable]:
        """d cost / d [W, b] written out instead of asking `T.grad` (chapter 8's exercise)."""
        d_logits = softmax_nll_grad(self.p_y_given_x, y)
        return [T.dot(self.input.T, d_logits), T.sum(d_logits, axis=0)]


def softmax_nll_grad(p_y_given_x: Variable, y: Variable) -> Variable:
    """The gradient of -mean(log softmax(z)[i, y_i]) with respect to the logits z.

    For one row, d(-log p_y)/dz_k = p_k - [k == y]: the predicted distribution minus the
    one-hot target. The mean over n rows divides by n.
    """
    # --8<-- [start:ex-ch08-softmax-nll-grad]
    n_rows, n_classes = p_y_given_x.shape[0], p_y_given_x.shape[1]
    one_hot = T.eq(y.dimshuffle(0, "x"), T.arange(n_classes).dimshuffle("x", 0))
    return (p_y_given_x - one_hot) / n_rows
    # --8<-- [end:ex-ch08-softmax-nll-grad]


def build(n_in: int = 64, n_out: int = 10) -> tuple[Variable, Variable, LogisticRegression]:
    """Inputs x (images as rows) and y (class indices), and the model on x."""
    x, y = T.matrix("x"), T.ivector("y")
    return x, y, LogisticRegression(x, n_in, n_out)


def main() -> None:
    from minitheano.examples.data import load_digits
    from minitheano.examples.train import train_classifier

    data = load_digits(dtype=theano.config.floatX)
    x, y, model = build(data.n_features, data.n_classes)
    result = train_classifier(model, x, y, data, replace(TRAINING, progress=True))
    print(result.summary("logistic regression"))


if __name__ == "__main__":
    main()
