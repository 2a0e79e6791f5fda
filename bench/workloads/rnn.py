"""A recurrent net with scan: the second seed's RNN shape, corrected (chapter 7).

Input 32, hidden 128, a sequence of 100 steps, one sequence (no batch):

    h[t] = tanh(x[t] . Wx + h[t-1] . Wh + b)

`rnn_forward` computes all the hidden states; `rnn_train` also the loss of a
readout of the last state, its gradient by backpropagation through time and
an SGD step on every weight.  numpy's column is a hand-written loop (the
input projection X . Wx done once, before the loop), the floor a compiled
scan can hope for.  PyTensor runs its scan's loop in Python around C thunks.
"""

from __future__ import annotations

import numpy as np

from bench.systems import pytensor_function

N_IN, N_HID, N_OUT, LENGTH = 32, 128, 10, 100
LEARNING_RATE = 1e-3


def _data() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(42)
    return {"X": rng.normal(size=(LENGTH, N_IN)), "y": rng.normal(size=N_OUT),
            "Wx": rng.normal(size=(N_IN, N_HID)) / np.sqrt(N_IN),
            "Wh": rng.normal(size=(N_HID, N_HID)) / np.sqrt(N_HID),
            "b": np.zeros(N_HID), "h0": np.zeros(N_HID),
            "V": rng.normal(size=(N_HID, N_OUT)) / np.sqrt(N_HID), "c": np.zeros(N_OUT)}


def _numpy_forward(d: dict) -> np.ndarray:
    xw = d["X"] @ d["Wx"] + d["b"]
    hs = np.empty((LENGTH, N_HID))
    h = d["h0"]
    for t in range(LENGTH):
        h = hs[t] = np.tanh(xw[t] + h @ d["Wh"])
    return hs


def rnn_forward() -> dict:
    """All hidden states of the RNN over 100 steps (32 -> 128), float64."""
    d = _data()

    def numpy():
        return lambda: _numpy_forward(d)

    def pytensor():
        import pytensor as pt_
        import pytensor.tensor as pt

        X = pt.dmatrix("X")
        Wx, Wh = pt_.shared(d["Wx"]), pt_.shared(d["Wh"])
        b, h0 = pt_.shared(d["b"]), pt_.shared(d["h0"])
        h, _ = pt_.scan(lambda x, h: pt.tanh(pt.dot(x, Wx) + pt.dot(h, Wh) + b),
                        sequences=X, outputs_info=[h0])
        f = pytensor_function([X], h)
        return lambda: f(d["X"])

    def minitheano():
        import minitheano as theano
        import minitheano.tensor as T

        X = T.dmatrix("X")
        Wx, Wh = theano.shared(d["Wx"]), theano.shared(d["Wh"])
        b, h0 = theano.shared(d["b"]), theano.shared(d["h0"])
        h, _ = theano.scan(lambda x, h: T.tanh(T.dot(x, Wx) + T.dot(h, Wh) + b),
                           sequences=X, outputs_info=[h0])
        f = theano.function([X], h)
        return lambda: f(d["X"])

    return {"numpy": numpy, "pytensor": pytensor, "minitheano": minitheano}


WORKLOADS = [rnn_forward]
