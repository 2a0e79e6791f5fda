"""Recurrent layers: a plain RNN, an LSTM and a GRU, with masks, the classic Theano way
(chapter 9).

Every layer reads a batch of sequences laid out time first, `x` of shape
(n_steps, batch, n_in), and returns the hidden state at every step, (n_steps, batch,
n_hidden). The input's share of every gate, x W + b, does not depend on the state, so
it is computed for all steps at once before the loop (one big matrix product); `scan`
loops over time with only the recurrent product h U inside, as the Theano LSTM tutorial
(deeplearning.net's lstm.py) did.

Variable-length batches: sequences padded to the longest, and a `mask` of shape
(n_steps, batch), 1 where a sequence has a real step and 0 on padding. The mask is
multiplied in: on a padded step the state is carried over unchanged,

    h_t = m_t * step(h_{t-1}) + (1 - m_t) * h_{t-1},

so the last state of every sequence is its state after its own last real step.

Gradient clipping: `clip_by_norm` (examples/updates.py) rescales a list of gradients
whose total norm is over a bound (Pascanu et al., 2013); `theano.gradient.grad_clip`
clips the gradient flowing through one variable, elementwise (the layers' `grad_clip`
option puts it on the state).
"""

from __future__ import annotations

import numpy as np

import minitheano as theano
import minitheano.tensor as T
from minitheano.examples.logistic import LogisticRegression
from minitheano.examples.mlp import glorot_uniform
from minitheano.examples.updates import clip_by_norm
from minitheano.graph.basic import Variable

__all__ = ["GRU", "LAYERS", "LSTM", "SequenceClassifier", "SimpleRNN", "clip_by_norm"]


def orthogonal(rng: np.random.Generator, n: int, dtype: str) -> np.ndarray:
    """A random n x n orthogonal matrix: a recurrent weight that neither blows up nor
    shrinks the state at the start (its singular values are all 1)."""
    q, r = np.linalg.qr(rng.normal(size=(n, n)))
    return (q * np.sign(np.diag(r))).astype(dtype)


def _mask_in(m: Variable, new: Variable, old: Variable) -> Variable:
    """`new` where the mask is 1, `old` (the state carried over) where it is 0."""
    # --8<-- [start:ex-ch09-mask]
    m = m.dimshuffle(0, "x")  # one value per sequence of the batch, for every unit
    return m * new + (1.0 - m) * old
    # --8<-- [end:ex-ch09-mask]


def _maybe_clip(h: Variable, bound: float | None) -> Variable:
    return h if bound is None else theano.gradient.grad_clip(h, -bound, bound)


class RecurrentLayer:
    """What the three layers share: the initial state, and the loop over time.

    A layer has W and b (the input's share of its gates) and `step`, one step
    without a mask: from x_t W + b and the previous states (h, and the LSTM's c)
    to the new ones.  `__call__` computes x W + b for all steps at once, then
    `scan`s the step over time, with the mask multiplied in and `grad_clip` on h.
    """

    n_hidden: int
    n_states = 1  # the states a step carries: h (the LSTM: h and c)
    grad_clip: float | None
    W: Variable
    b: Variable
    params: list

    def step(self, xw_t: Variable, *states: Variable) -> Variable | list[Variable]:
        raise NotImplementedError

    def _initial(self, x: Variable) -> Variable:
        """A zero state for each sequence of the batch."""
        return T.zeros((x.shape[1], self.n_hidden), dtype=x.dtype)

    def __call__(self, x: Variable, mask: Variable | None = None) -> Variable:
        """The hidden state h at every step, (n_steps, batch, n_hidden)."""
        x_part = T.dot(x, self.W) + self.b  # every step's input term, before the loop

        def step(xw_t: Variable, *rest: Variable) -> list[Variable]:
            m_t, previous = (rest[0], rest[1:]) if mask is not None else (None, rest)
            new = self.step(xw_t, *previous)
            new = new if isinstance(new, list) else [new]
            if m_t is not None:
                new = [_mask_in(m_t, n, p) for n, p in zip(new, previous)]
            return [_maybe_clip(new[0], self.grad_clip), *new[1:]]

        seqs = [x_part] if mask is None else [x_part, mask]
        states, _ = theano.scan(step, sequences=seqs,
                                outputs_info=[self._initial(x)] * self.n_states)
        return states[0] if isinstance(states, list) else states


class SimpleRNN(RecurrentLayer):
    """h_t = tanh(x_t W + h_{t-1} U + b): the seed's RNN, with the right weights."""

    def __init__(self, rng: np.random.Generator, n_in: int, n_hidden: int,
                 grad_clip: float | None = None, dtype: str | None = None):
        dtype = dtype or theano.config.floatX
        self.n_hidden, self.grad_clip = n_hidden, grad_clip
        self.W = theano.shared(glorot_uniform(rng, n_in, n_hidden, (n_in, n_hidden), dtype),
                               name="W")
        self.U = theano.shared(orthogonal(rng, n_hidden, dtype), name="U")
        self.b = theano.shared(np.zeros(n_hidden, dtype=dtype), name="b")
        self.params = [self.W, self.U, self.b]

    def step(self, xw_t: Variable, h_prev: Variable) -> Variable:
        """One step without a mask: h_t from x_t W + b and h_{t-1}."""
        return T.tanh(xw_t + T.dot(h_prev, self.U))


class LSTM(RecurrentLayer):
    """Long short-term memory (Hochreiter & Schmidhuber, 1997; forget gate: Gers, 2000).

        i, f, o = sigmoid(x_t W_. + h_{t-1} U_. + b_.)      input, forget, output gates
        g       = tanh(x_t W_g + h_{t-1} U_g + b_g)          the candidate cell
        c_t     = f * c_{t-1} + i * g
        h_t     = o * tanh(c_t)

    The four gates' weights are side by side in one W (n_in x 4n) and one U (n x 4n), so
    each step does one matrix product. The forget gate's bias starts at 1, so the cell
    remembers at first (Jozefowicz et al., 2015).
    """

    n_states = 2  # h and c

    def __init__(self, rng: np.random.Generator, n_in: int, n_hidden: int,
                 grad_clip: float | None = None, dtype: str | None = None):
        dtype = dtype or theano.config.floatX
        n = self.n_hidden = n_hidden
        self.grad_clip = grad_clip
        self.W = theano.shared(np.concatenate(
            [glorot_uniform(rng, n_in, n, (n_in, n), dtype) for _ in range(4)], axis=1),
            name="W")
        self.U = theano.shared(np.concatenate([orthogonal(rng, n, dtype) for _ in range(4)],
                                              axis=1), name="U")
        b = np.zeros(4 * n, dtype=dtype)
        b[n:2 * n] = 1.0  # the forget gate
        self.b = theano.shared(b, name="b")
        self.params = [self.W, self.U, self.b]

    def step(self, xw_t: Variable, h_prev: Variable, c_prev: Variable) -> list[Variable]:
        """One step without a mask: (h_t, c_t) from x_t W + b and the previous state."""
        n = self.n_hidden
        # --8<-- [start:ex-ch09-lstm-step]
        pre = xw_t + T.dot(h_prev, self.U)  # (batch, 4n): the four gates, side by side
        i = T.nnet.sigmoid(pre[:, 0 * n:1 * n])
        f = T.nnet.sigmoid(pre[:, 1 * n:2 * n])
        o = T.nnet.sigmoid(pre[:, 2 * n:3 * n])
        g = T.tanh(pre[:, 3 * n:4 * n])
        c = f * c_prev + i * g
        h = o * T.tanh(c)
        # --8<-- [end:ex-ch09-lstm-step]
        return [h, c]


class GRU(RecurrentLayer):
    """Gated recurrent unit (Cho et al., 2014).

        z   = sigmoid(x_t W_z + h_{t-1} U_z + b_z)          update gate
        r   = sigmoid(x_t W_r + h_{t-1} U_r + b_r)          reset gate
        h~  = tanh(x_t W_h + (r * h_{t-1}) U_h + b_h)       the candidate state
        h_t = (1 - z) * h_{t-1} + z * h~
    """

    def __init__(self, rng: np.random.Generator, n_in: int, n_hidden: int,
                 grad_clip: float | None = None, dtype: str | None = None):
        dtype = dtype or theano.config.floatX
        n = self.n_hidden = n_hidden
        self.grad_clip = grad_clip
        self.W = theano.shared(np.concatenate(
            [glorot_uniform(rng, n_in, n, (n_in, n), dtype) for _ in range(3)], axis=1),
            name="W")
        self.U_zr = theano.shared(np.concatenate([orthogonal(rng, n, dtype)] * 2, axis=1),
                                  name="U_zr")
        self.U_h = theano.shared(orthogonal(rng, n, dtype), name="U_h")
        self.b = theano.shared(np.zeros(3 * n, dtype=dtype), name="b")
        self.params = [self.W, self.U_zr, self.U_h, self.b]

    def step(self, xw_t: Variable, h_prev: Variable) -> Variable:
        """One step without a mask: h_t from x_t W + b and h_{t-1}."""
        n = self.n_hidden
        zr = T.nnet.sigmoid(xw_t[:, :2 * n] + T.dot(h_prev, self.U_zr))
        z, r = zr[:, :n], zr[:, n:]
        candidate = T.tanh(xw_t[:, 2 * n:] + T.dot(r * h_prev, self.U_h))
        return (1.0 - z) * h_prev + z * candidate


LAYERS = {"rnn": SimpleRNN, "lstm": LSTM, "gru": GRU}


class SequenceClassifier:
    """A recurrent layer over the rows of each image, then chapter 8's softmax
    regression on the last state: the digits read row by row, top to bottom.

    `input` is (batch, rows * cols), as chapter 8's models take it, so chapter 8's
    `train_classifier` trains this model unchanged."""

    def __init__(self, rng: np.random.Generator, input: Variable, image_shape: tuple[int, int],
                 n_hidden: int, n_out: int, kind: str = "lstm", grad_clip: float | None = None):
        if kind not in LAYERS:
            raise ValueError(f"kind must be one of {sorted(LAYERS)}, not {kind!r}")
        rows, cols = image_shape
        # (batch, rows * cols) -> (rows, batch, cols): time (the rows) first.
        sequences = input.reshape((input.shape[0], rows, cols)).dimshuffle(1, 0, 2)
        self.recurrent = LAYERS[kind](rng, cols, n_hidden, grad_clip=grad_clip)
        self.hidden = self.recurrent(sequences)
        self.output_layer = LogisticRegression(self.hidden[-1], n_hidden, n_out)
        self.params = self.recurrent.params + self.output_layer.params

    def negative_log_likelihood(self, y: Variable) -> Variable:
        return self.output_layer.negative_log_likelihood(y)

    def errors(self, y: Variable) -> Variable:
        return self.output_layer.errors(y)
