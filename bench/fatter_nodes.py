"""Issue 17, item 3 in CPU time: a layer as one DotBiasAct node against Dot + Composite.

    python bench/fatter_nodes.py [--rounds 25] [--number 50]

Times (`time.process_time`, the fastest of `--rounds` samples of `--number` calls,
the variants taking turns in one process) a layer `tanh(dot(x, W) + b)` alone (the
MLP step's hidden layer, 256x64 . 64x256, and a small one, 32x64 . 64x100), and the
whole step
(bench/workloads/c_code.py's mlp_step_f64), each compiled with FAST_RUN and with
FAST_RUN excluding the `dot_bias_act` rewrite (a Dot and an in-place Composite).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

import minitheano as theano  # noqa: E402
import minitheano.tensor as T  # noqa: E402
from bench.workloads import c_code  # noqa: E402

MODES = {"one DotBiasAct node": theano.Mode("c", "fast_run"),
         "Dot + Composite": theano.Mode("c", "fast_run").excluding("dot_bias_act")}


LAYERS = {"256x64 . 64x256": (256, 64, 256), "32x64 . 64x100": (32, 64, 100)}


def layer_calls() -> dict[str, Callable]:
    rng = np.random.default_rng(0)
    x, W = T.dmatrices("x", "W")
    b = T.dvector("b")
    calls = {}
    for size, (m, k, n) in LAYERS.items():
        args = [rng.normal(size=(m, k)), rng.normal(size=(k, n)) / 8, rng.normal(size=n)]
        for name, mode in MODES.items():
            f = theano.function([x, W, b], T.tanh(T.dot(x, W) + b), mode=mode)
            calls[f"layer {size}, {name}"] = lambda f=f, args=args: f(*args)
    return calls


def step_calls() -> dict[str, Callable]:
    data = c_code._mlp_data("float64")
    calls = {}
    for name, mode in MODES.items():
        inputs, loss, updates = c_code.mlp_graph(
            T, theano.shared, T.grad, T.nnet.softmax, T.nnet.categorical_crossentropy, data,
            "float64")
        f = theano.function(inputs, loss, updates=updates, mode=mode)
        nodes = len(f.maker.fgraph.toposort())
        calls[f"MLP step, {name} ({nodes} nodes)"] = (
            lambda f=f: f(data["X"], data["y"]))
    return calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=25)
    parser.add_argument("--number", type=int, default=50)
    args = parser.parse_args()
    calls = {**layer_calls(), **step_calls()}
    best = {k: float("inf") for k in calls}
    for _ in range(args.rounds):
        for name, call in calls.items():
            call()
            start = time.process_time()
            for _ in range(args.number):
                call()
            best[name] = min(best[name], (time.process_time() - start) / args.number)
    for name, seconds in best.items():
        print(f"{name:50s} {seconds * 1e6:9.2f} us")


if __name__ == "__main__":
    main()
