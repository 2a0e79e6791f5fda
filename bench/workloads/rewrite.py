"""Rewrite time: graph -> optimized graph, no code generation (chapter 3).

The second seed's training step (tanh hidden layer, softmax, categorical
cross-entropy, SGD updates of W1, b1, W2, b2) and its gradient alone, rewritten
by each system's FAST_RUN rewrites.  One "call" copies the graph as the
compiler would receive it and rewrites the copy; the copy (1-2 ms for PyTensor,
less for minitheano) is included for both.  Each call also sets `note`: the
number of nodes the rewritten graph has, printed under the tables.

* minitheano: the FunctionGraph FunctionMaker builds (inputs, shared values;
  outputs, update expressions), then `rewrite_graph(fgraph, "fast_run")`;
* PyTensor: the FunctionGraph its FunctionMaker hands to the rewriter, captured
  during one `pytensor.function(...)` call by a rewriter that records its
  input, then `Mode(linker="cvm", optimizer="fast_run").optimizer.rewrite(copy)`.

There is no numpy column: nothing is computed.  That the rewritten graphs
compute what the unrewritten ones do is tested in
tests/ch04_differentiation/test_rewritten_gradients.py.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

SIZES = {"inputs": 10, "hidden": 20, "outputs": 5}


def _weights() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    n_in, n_h, n_out = SIZES["inputs"], SIZES["hidden"], SIZES["outputs"]
    return {"W1": rng.normal(size=(n_in, n_h)), "b1": np.zeros(n_h),
            "W2": rng.normal(size=(n_h, n_out)), "b2": np.zeros(n_out)}


def _pytensor_rewrite(inputs: list, outputs, updates=None) -> Callable[[], object]:
    """A call rewriting a copy of the graph PyTensor's FunctionMaker would rewrite."""
    import pytensor
    from pytensor.compile.mode import Mode
    from pytensor.graph.rewriting.basic import GraphRewriter

    fast_run = Mode(linker="cvm", optimizer="fast_run").optimizer

    class Capture(GraphRewriter):
        """Records the graph it is given, then rewrites it as FAST_RUN does."""

        def apply(self, fgraph):
            self.graph = fgraph.clone()
            return fast_run.rewrite(fgraph)

    capture = Capture()
    pytensor.function(inputs, outputs, updates=updates,
                      mode=Mode(linker="cvm", optimizer=capture))

    def call():
        fgraph = capture.graph.clone()
        fast_run.rewrite(fgraph)
        call.note = f"{len(fgraph.apply_nodes)} nodes"
        return fgraph

    call()
    return call


def _minitheano_rewrite(inputs: list, outputs: list, updates=()) -> Callable[[], object]:
    """A call rewriting a copy of the graph minitheano's FunctionMaker would rewrite."""
    from minitheano.graph.basic import graph_inputs
    from minitheano.graph.fg import FunctionGraph
    from minitheano.graph.shared import SharedVariable
    from minitheano.rewrite import rewrite_graph

    exprs = list(outputs) + [e for _, e in updates]
    shared = [v for v in graph_inputs(exprs) if isinstance(v, SharedVariable)]

    def call():
        fgraph = FunctionGraph(list(inputs) + shared, exprs)  # a copy, as FunctionMaker makes
        fgraph.protected = set(fgraph.inputs)
        rewrite_graph(fgraph, "fast_run")
        call.note = f"{len(fgraph.apply_nodes)} nodes"
        return fgraph

    call()
    return call


def _pytensor_mlp():
    import pytensor
    import pytensor.tensor as pt

    w = _weights()
    X, y = pt.dmatrix("X"), pt.dmatrix("y")
    W1, b1, W2, b2 = (pytensor.shared(w[k], k) for k in ("W1", "b1", "W2", "b2"))
    hidden = pt.tanh(pt.dot(X, W1) + b1)
    output = pt.special.softmax(pt.dot(hidden, W2) + b2, axis=-1)
    # categorical_crossentropy(output, y) with one-hot rows y, as Theano wrote it
    loss = -pt.sum(y * pt.log(output), axis=-1).mean()
    return [X, y], loss, [W1, b1, W2, b2], pytensor.grad


def _minitheano_mlp():
    import minitheano as theano
    import minitheano.tensor as T

    w = _weights()
    X, y = T.dmatrix("X"), T.dmatrix("y")
    W1, b1, W2, b2 = (theano.shared(w[k], k) for k in ("W1", "b1", "W2", "b2"))
    hidden = T.tanh(T.dot(X, W1) + b1)
    output = T.nnet.softmax(T.dot(hidden, W2) + b2)
    loss = T.nnet.categorical_crossentropy(output, y).mean()
    return [X, y], loss, [W1, b1, W2, b2], T.grad


def mlp_step_rewrite() -> dict:
    """Rewrite the seed's MLP training step (loss, SGD updates of 4 parameters)."""
    def pytensor():
        inputs, loss, params, grad = _pytensor_mlp()
        updates = [(p, p - 0.01 * g) for p, g in zip(params, grad(loss, params))]
        return _pytensor_rewrite(inputs, loss, updates)

    def minitheano():
        inputs, loss, params, grad = _minitheano_mlp()
        updates = [(p, p - 0.01 * g) for p, g in zip(params, grad(loss, params))]
        return _minitheano_rewrite(inputs, [loss], updates)

    return {"pytensor": pytensor, "minitheano": minitheano}


def mlp_grad_rewrite() -> dict:
    """Rewrite the gradient of the seed's MLP loss with respect to its 4 parameters."""
    def pytensor():
        inputs, loss, params, grad = _pytensor_mlp()
        return _pytensor_rewrite(inputs, grad(loss, params))

    def minitheano():
        inputs, loss, params, grad = _minitheano_mlp()
        return _minitheano_rewrite(inputs, grad(loss, params))

    return {"pytensor": pytensor, "minitheano": minitheano}


WORKLOADS = [mlp_step_rewrite, mlp_grad_rewrite]
