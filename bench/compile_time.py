"""Compile time of the MLP training step, three ways (chapter 5).

    python bench/compile_time.py [--runs 3] [--json compile_time.json]

* warm process: `function(...)` again in a process that already compiled it
  (the C module is loaded: only rewriting and linking remain);
* fresh process, warm cache: a new Python process, the compiled module on disk;
* cold cache: a new process and an empty cache directory
  (`MINITHEANO_FLAGS=compiledir=...`, `PYTENSOR_FLAGS=base_compiledir=...`),
  so every C module is compiled from scratch.

Only the `function(...)` call is timed (not the imports, not building the
graph).  Each figure is the fastest of `--runs` runs, except cold (one run:
it is slow for PyTensor).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import systems  # noqa: E402

SYSTEMS = ("pytensor", "minitheano")


def build_and_time(system: str, repeat: int = 1) -> list[float]:
    """Build the MLP step's graph and time `function(...)`, `repeat` times."""
    from bench.workloads.c_code import _mlp_data, mlp_graph

    data = _mlp_data("float64")
    times = []
    for _ in range(repeat):
        if system == "pytensor":
            import pytensor
            import pytensor.tensor as pt

            def xent(p, y, pt=pt):
                return -pt.log(p[pt.arange(y.shape[0]), y])

            inputs, loss, updates = mlp_graph(pt, pytensor.shared, pytensor.grad,
                                              lambda z: pt.special.softmax(z, axis=-1), xent,
                                              data, "float64")
            start = time.perf_counter()
            systems.pytensor_function(inputs, loss, updates=updates)
        else:
            import minitheano
            import minitheano.tensor as T

            inputs, loss, updates = mlp_graph(T, minitheano.shared, T.grad, T.nnet.softmax,
                                              T.nnet.categorical_crossentropy, data, "float64")
            start = time.perf_counter()
            minitheano.function(inputs, loss, updates=updates)
        times.append(time.perf_counter() - start)
    return times


def in_fresh_process(system: str, compiledir: str | None) -> float:
    env = dict(os.environ)
    if compiledir is not None:
        env["MINITHEANO_FLAGS"] = f"compiledir={compiledir}"
        env["PYTENSOR_FLAGS"] = f"base_compiledir={compiledir}"
    out = subprocess.run([sys.executable, __file__, "--child", system], env=env,
                         capture_output=True, text=True, check=True).stdout
    return float(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(build_and_time(args.child)[0])
        return
    active = [s for s in SYSTEMS if s != "pytensor" or systems.pytensor_skip_reason() is None]
    results: dict[str, dict[str, float]] = {}
    for system in active:
        warm = min(build_and_time(system, repeat=args.runs + 1)[1:])
        in_fresh_process(system, None)  # make sure the disk cache is warm
        fresh = min(in_fresh_process(system, None) for _ in range(args.runs))
        with tempfile.TemporaryDirectory() as empty:
            cold = in_fresh_process(system, empty)
        results[system] = {"warm_process": warm, "fresh_process_warm_cache": fresh,
                           "cold_cache": cold}
    print("MLP training step (64-256-10, float64): compile time, seconds")
    print(f"{'':28s}" + "".join(f"{s:>12s}" for s in active) + "     mt/pytensor")
    for key in ("warm_process", "fresh_process_warm_cache", "cold_cache"):
        row = [results[s][key] for s in active]
        ratio = f"{row[-1] / row[0]:.2f}" if len(row) == 2 else "-"
        print(f"{key:28s}" + "".join(f"{v:12.3f}" for v in row) + f"{ratio:>16s}")
    if args.json:
        Path(args.json).write_text(json.dumps({"versions": systems.versions(),
                                               "compile_s": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
