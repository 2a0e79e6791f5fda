"""Count the nodes of compiled gradient graphs, PyTensor (C backend, fast_run) vs minitheano.

    .bench-venv/bin/python bench/node_counts.py

A node is one Apply in the compiled function's graph, updates included: fewer
nodes means the rewrites (chapter 3) simplified more of what `grad` (chapter 4)
wrote.  This is not a timing, so it runs once.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import systems  # noqa: E402


def logistic_grad(T: object, function: Callable) -> object:
    """grad(sum(1 / (1 + exp(-x))), x): the first seed's gradient."""
    x = T.dmatrix("x")
    return function([x], T.grad(T.sum(1 / (1 + T.exp(-x))), x))


def mlp_step(T: object, function: Callable, shared: Callable) -> object:
    """The second seed's training step: tanh hidden layer, softmax, crossentropy, SGD updates."""
    rng = np.random.default_rng(0)
    X, y = T.dmatrix("X"), T.dmatrix("y")
    W1 = shared(rng.normal(size=(10, 20)))
    b1 = shared(np.zeros(20))
    W2 = shared(rng.normal(size=(20, 5)))
    b2 = shared(np.zeros(5))
    hidden = T.tanh(T.dot(X, W1) + b1)
    output = T.nnet.softmax(T.dot(hidden, W2) + b2)
    loss = T.nnet.categorical_crossentropy(output, y).mean()
    updates = [(p, p - 0.01 * T.grad(loss, p)) for p in [W1, b1, W2, b2]]
    return function([X, y], loss, updates=updates)


def count(f: object) -> int:
    return len(f.maker.fgraph.toposort())


def main() -> None:
    import minitheano
    import minitheano.tensor as mt

    rows = [("graph", "pytensor", "minitheano")]
    cases = [("logistic_grad", lambda T, fn, sh: logistic_grad(T, fn)), ("mlp_step", mlp_step)]
    for name, build in cases:
        ours = count(build(mt, minitheano.function, minitheano.shared))
        theirs = "-"
        if systems.pytensor_skip_reason() is None:
            import pytensor
            import pytensor.tensor as pt
            import pytensor.tensor.special  # noqa: F401  (softmax)

            class PT:  # pytensor.tensor, with the names the seed uses
                def __getattr__(self, attr: str) -> object:
                    return getattr(pt, attr)

                class nnet:  # noqa: N801
                    softmax = staticmethod(lambda x: pt.special.softmax(x, axis=-1))
                    categorical_crossentropy = staticmethod(
                        lambda p, y: -pt.sum(y * pt.log(p), axis=-1))

            theirs = str(count(build(PT(), systems.pytensor_function, pytensor.shared)))
        rows.append((name, theirs, str(ours)))
    width = [max(len(r[i]) for r in rows) for i in range(3)]
    for r in rows:
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in
                        enumerate(zip(r, width))))


if __name__ == "__main__":
    main()
