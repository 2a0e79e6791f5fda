"""The second seed's feedforward net, run exactly as the blog post wrote it (chapter 8).

The post ("Building neural networks with Theano") builds a 10-20-5 tanh/softmax net and
trains it with a loop that calls `get_batch_data()` and, at the end, `get_test_data()`,
two functions it never defines (nor `num_epochs`, nor `import numpy as np`). The chapter
supplies them: digits 0 to 4 (five classes, as the post's `output_size = 5`), each 8x8
image reduced to its 10 principal components (`input_size = 10`), with one-hot targets
(the post's `y` is a matrix). `SEED_NET` is the post's code, character for character.
"""

from __future__ import annotations

import contextlib
import io
import sys
from dataclasses import dataclass

import numpy as np

import minitheano
from minitheano.examples.data import Split, load_digits

SEED_NET = '''\
import theano
import theano.tensor as T

# Define the network architecture
input_size = 10
hidden_size = 20
output_size = 5

X = T.matrix('X')
y = T.matrix('y')

W1 = theano.shared(np.random.randn(input_size, hidden_size))
b1 = theano.shared(np.zeros(hidden_size))
W2 = theano.shared(np.random.randn(hidden_size, output_size))
b2 = theano.shared(np.zeros(output_size))

# Forward computation
hidden = T.tanh(T.dot(X, W1) + b1)
output = T.nnet.softmax(T.dot(hidden, W2) + b2)

# Compile the function
predict = theano.function(inputs=[X], outputs=output)
''' + '''
# Define the loss function
loss = T.nnet.categorical_crossentropy(output, y).mean()
# Update the parameters
learning_rate = 0.01
updates = [(param, param - learning_rate * T.grad(loss, param)) for param in [W1, b1, W2, b2]]

# Compile the training function
train = theano.function(inputs=[X, y], outputs=loss, updates=updates)

# Training the network
for epoch in range(num_epochs):
    # Get the input and target data
    X_batch, y_batch = get_batch_data()

    # Train the network
    loss_value = train(X_batch, y_batch)

    # Print the loss value
    print(f"Epoch: {epoch}, Loss: {loss_value:.4f}")

# Evaluating the network
X_test, y_test = get_test_data()
predictions = predict(X_test)
'''

SEED_CLASSES = 5  # the post's output_size
SEED_FEATURES = 10  # the post's input_size


class SeedData:
    """The post's two missing functions, on digits 0-4 as 10 principal components."""

    def __init__(self, batch_size: int = 64, seed: int = 0):
        digits = load_digits()
        train, test = self._first_classes(digits.train), self._first_classes(digits.test)
        mean = train.x.mean(axis=0)
        # The principal axes: the right singular vectors of the centred training images.
        axes = np.linalg.svd(train.x - mean, full_matrices=False).Vh[:SEED_FEATURES].T
        scale = ((train.x - mean) @ axes).std(axis=0)
        self.train_x = (train.x - mean) @ axes / scale
        self.test_x = (test.x - mean) @ axes / scale
        self.train_y, self.test_y = train.y, test.y
        self.batch_size, self.rng, self.order = batch_size, np.random.default_rng(seed), []

    @staticmethod
    def _first_classes(split: Split) -> Split:
        keep = split.y < SEED_CLASSES
        return Split(split.x[keep], split.y[keep])

    @staticmethod
    def one_hot(labels: np.ndarray) -> np.ndarray:
        return np.eye(SEED_CLASSES)[labels]

    # --8<-- [start:seed-data]
    def get_batch_data(self) -> tuple[np.ndarray, np.ndarray]:
        """The next minibatch of a shuffled pass over the training images."""
        if len(self.order) < self.batch_size:
            self.order = list(self.rng.permutation(len(self.train_y)))
        rows, self.order = self.order[:self.batch_size], self.order[self.batch_size:]
        return self.train_x[rows], self.one_hot(self.train_y[rows])

    def get_test_data(self) -> tuple[np.ndarray, np.ndarray]:
        return self.test_x, self.one_hot(self.test_y)
    # --8<-- [end:seed-data]


@dataclass(frozen=True)
class SeedRun:
    namespace: dict  # the post's variables after its code ran (predict, W1, ...)
    printed: str  # what its loop printed
    test_accuracy: float  # argmax of predict(X_test) against the test labels


def run_seed_net(num_epochs: int = 3000, batch_size: int = 64, seed: int = 0) -> SeedRun:
    """Run `SEED_NET` with `import theano` giving minitheano, numpy's global generator seeded
    (the post draws its weights from np.random.randn; the caller's state is restored after)
    and the chapter's data functions."""
    data = SeedData(batch_size, seed)
    caller_state = np.random.get_state()  # the post seeds nothing; we put it back after
    np.random.seed(seed)
    namespace = {"np": np, "num_epochs": num_epochs,
                 "get_batch_data": data.get_batch_data, "get_test_data": data.get_test_data}
    saved = {name: sys.modules.get(name) for name in ("theano", "theano.tensor")}
    sys.modules["theano"], sys.modules["theano.tensor"] = minitheano, minitheano.tensor
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            exec(compile(SEED_NET, "<the second seed's feedforward net>", "exec"), namespace)
    finally:
        np.random.set_state(caller_state)
        for name, module in saved.items():
            if module is None:
                del sys.modules[name]
            else:
                sys.modules[name] = module
    predictions = namespace["predictions"].argmax(axis=1)
    return SeedRun(namespace, printed.getvalue(), float(np.mean(predictions == data.test_y)))
