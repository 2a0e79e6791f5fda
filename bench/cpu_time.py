"""Issue 17's workloads in CPU time, with page faults and system time (chapter 5).

    python bench/cpu_time.py mlp_step_f64 [--rounds 25] [--number 20]

On a shared machine wall time is mostly waiting for a core, so this times each
system's call with `time.process_time` (every thread of the process, system time
included), the systems taking turns in one process, and keeps the fastest of
`--rounds` samples of `--number` calls.  It also prints, per call, the minor page
faults and the system time, averaged over all samples (`resource.getrusage`): what
fresh memory costs.  minitheano runs twice: with `config.reuse_buffers_mb = 0` (fresh
intermediate arrays every call, as Theano with allow_gc) and with the default
budget (link/c/buffers.py).  The peers (numpy, JAX, PyTensor) take part where they
import: run it with the bench venv's python for all of them.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import systems  # noqa: E402,F401  (JAX's flags: one thread, CPU)
from bench.workloads import c_code  # noqa: E402
from minitheano.config import config  # noqa: E402

PEERS = ("numpy", "jax", "pytensor")


def builders(workload: str) -> dict:
    """name -> call, for every system that can be built here."""
    makers = getattr(c_code, workload)()
    calls = {}
    for system in PEERS:
        try:
            calls[system] = makers[system]()
        except ImportError:
            print(f"({system} is not importable here: left out)")
    for label, megabytes in (("minitheano, fresh", 0), ("minitheano, kept", 64)):
        with config.change_flags(reuse_buffers_mb=megabytes):
            calls[label] = makers["minitheano"]()
    return calls


def measure(calls: dict, rounds: int, number: int) -> tuple[dict, dict]:
    best = {k: float("inf") for k in calls}
    totals = {k: [0.0, 0.0] for k in calls}  # faults, system seconds, over all samples
    for _ in range(rounds):
        for name, call in calls.items():
            call()
            before = resource.getrusage(resource.RUSAGE_SELF)
            start = time.process_time()
            for _ in range(number):
                call()
            best[name] = min(best[name], (time.process_time() - start) / number)
            after = resource.getrusage(resource.RUSAGE_SELF)
            totals[name][0] += after.ru_minflt - before.ru_minflt
            totals[name][1] += after.ru_stime - before.ru_stime
    calls_made = rounds * number
    return best, {k: (f / calls_made, s / calls_made) for k, (f, s) in totals.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workload", help="a function of bench/workloads/c_code.py")
    parser.add_argument("--rounds", type=int, default=25)
    parser.add_argument("--number", type=int, default=20)
    args = parser.parse_args()
    best, costs = measure(builders(args.workload), args.rounds, args.number)
    anchor = best.get("pytensor")
    for name, seconds in best.items():
        ratios = "  ".join(f"/{peer} {seconds / best[peer]:.3f}" for peer in PEERS if peer in best)
        faults, system = costs[name]
        print(f"{name:18s} {seconds * 1e6:10.1f} us  {ratios}  faults/call {faults:7.0f}  "
              f"system {system * 1e6:7.1f} us/call")
    if anchor is None:
        print("(no PyTensor here: run with the bench venv's python for the ratios)")


if __name__ == "__main__":
    main()
