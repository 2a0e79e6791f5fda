"""The second seed's RNN, run exactly as the blog post wrote it, and fixed (chapter 9).

The post ("Building neural networks with Theano") ends with a recurrent net whose step

    h = T.tanh(T.dot(x, W) + T.dot(h_prev, V))

multiplies a 10-wide input row by W, a 20x20 *recurrent* matrix, and the 20-wide state by
V, the 20x5 *output* matrix: the net has no input weights at all. `SEED_RNN` is the
post's code, character for character; `run_seed_rnn` runs it with `import theano` giving
minitheano (and `np`, which the post never imports). Its source is registered with
`linecache` under a name of its own, so error messages can quote its lines as they
would a file's.

`SEED_RNN_FIXED` is the net the post meant: input weights input_size x hidden_size,
recurrent hidden_size x hidden_size, output weights hidden_size x output_size.
"""

from __future__ import annotations

import linecache
import sys
from typing import Any

import numpy as np

import minitheano

SEED_RNN = '''\
import theano
import theano.tensor as T

# Define the network architecture
input_size = 10
hidden_size = 20
output_size = 5

X = T.matrix('X')
y = T.matrix('y')

W = theano.shared(np.random.randn(hidden_size, hidden_size))
V = theano.shared(np.random.randn(hidden_size, output_size))
b = theano.shared(np.zeros(output_size))
h0 = theano.shared(np.zeros(hidden_size))

# Forward computation
def step(x, h_prev):
    h = T.tanh(T.dot(x, W) + T.dot(h_prev, V))
    return h

hidden, _ = theano.scan(step, sequences=X, outputs_info=[h0])

output = T.nnet.softmax(T.dot(hidden[-1], V) + b)

# Compile the function
predict = theano.function(inputs=[X], outputs=output)
'''

# The two lines that turn test values on, as Theano 1.0 had them (put after X's line).
TEST_VALUE_LINES = '''\
theano.config.compute_test_value = 'raise'
X.tag.test_value = np.random.randn(7, input_size)
'''

SEED_RNN_FIXED = '''\
import theano
import theano.tensor as T

input_size = 10
hidden_size = 20
output_size = 5

X = T.matrix('X')

W_in = theano.shared(0.1 * np.random.randn(input_size, hidden_size), name='W_in')
W_rec = theano.shared(0.1 * np.random.randn(hidden_size, hidden_size), name='W_rec')
V = theano.shared(0.1 * np.random.randn(hidden_size, output_size), name='V')
b = theano.shared(np.zeros(output_size), name='b')
h0 = theano.shared(np.zeros(hidden_size), name='h0')

def step(x, h_prev):
    h = T.tanh(T.dot(x, W_in) + T.dot(h_prev, W_rec))
    return h

hidden, _ = theano.scan(step, sequences=X, outputs_info=[h0])

output = T.nnet.softmax(T.dot(hidden[-1], V) + b)

predict = theano.function(inputs=[X], outputs=output)
'''

SEED_RNN_FILE = "<the second seed's RNN>"


def with_test_values(source: str = SEED_RNN) -> str:
    """`source` with `TEST_VALUE_LINES` inserted after the line that makes X."""
    marker = "X = T.matrix('X')\n"
    if marker not in source:
        raise ValueError("the source has no line X = T.matrix('X') to give a test value to")
    return source.replace(marker, marker + TEST_VALUE_LINES, 1)


def run_seed_rnn(source: str = SEED_RNN, seed: int = 0,
                 filename: str = SEED_RNN_FILE) -> dict[str, Any]:
    """Run `source` (the seed's RNN, or a variant) with `import theano` giving minitheano
    and numpy's global generator seeded; its variables (predict, W, ...), or the error
    it raises.  Config flags it sets are put back afterwards."""
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    np.random.seed(seed)
    namespace: dict[str, Any] = {"np": np, "__name__": "__seed__"}
    saved = {name: sys.modules.get(name) for name in ("theano", "theano.tensor")}
    sys.modules["theano"], sys.modules["theano.tensor"] = minitheano, minitheano.tensor
    try:
        with minitheano.config.change_flags(compute_test_value="off"):
            exec(compile(source, filename, "exec"), namespace)
    finally:
        for name, module in saved.items():
            if module is None:
                del sys.modules[name]
            else:
                sys.modules[name] = module
    return namespace
