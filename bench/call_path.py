"""The three call paths of a compiled function, in CPU time (chapter 5).

    python bench/call_path.py [--rounds 15] [--json bench/results/ch05_call_path.json]

For `x + y` on two float64 scalars and for the MLP training step, times one
compiled function called each way, the variants taking turns in one process,
with `time.process_time` (the machine may be shared: waiting for a core is not
counted), keeping the fastest of `--rounds` samples:

* Python: `Function._call_python` (chapter 2's call) and the VM's Python loop,
  each C kernel called through ctypes by its thunk;
* C call, Python loop: the FastCall extension (compile/fastcall.c), then the same VM;
* C call, C loop: FastCall and the schedule run in C (link/c/schedule.c), each
  kernel called directly (`config.c_schedule`, the default).

The MLP step has updates, so it is called by `_call_python` either way: there
only the loop differs (the VM's, or the C schedule).

numpy's own `a + b` is the floor for the scalars.  With
`--json` the results are written for the chapter 5 page, which prints them.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from bench.run import cpu_name  # noqa: E402
from bench.workloads import c_code  # noqa: E402
from minitheano.compile import fastcall  # noqa: E402
from minitheano.config import config  # noqa: E402


def scalar_add(c_schedule: bool) -> Any:
    import minitheano
    import minitheano.tensor as T

    with config.change_flags(c_schedule=c_schedule):
        x, y = T.dscalars("x", "y")
        return minitheano.function([x, y], x + y)


def add_calls() -> dict[str, Callable[[], Any]]:
    a, b = np.array(1.5), np.array(2.5)
    python = scalar_add(False)._call_python
    vm_loop, c_loop = scalar_add(False), scalar_add(True)
    return {"numpy": lambda: a + b, "python": lambda: python(a, b),
            "c_call_python_loop": lambda: vm_loop(a, b), "c_call_c_loop": lambda: c_loop(a, b)}


def mlp_calls() -> dict[str, Callable[[], Any]]:
    """The bench's MLP step.  It has updates, so it is called by `_call_python`
    either way (compile/function.py): only the loop differs."""
    makers = c_code.mlp_step_f64()
    calls = {}
    for name, flag in (("python", False), ("python_call_c_loop", True)):
        with config.change_flags(c_schedule=flag):
            calls[name] = makers["minitheano"]()
    return calls



def measure(calls: dict[str, Callable[[], Any]], rounds: int, number: int) -> dict[str, float]:
    best = {k: float("inf") for k in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            call()
            start = time.process_time()
            for _ in range(number):
                call()
            best[name] = min(best[name], (time.process_time() - start) / number)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    if fastcall.problem() is not None:
        raise SystemExit(f"no C call path here: {fastcall.problem()}")
    load = os.getloadavg()[0]
    results = {"add_dscalars": measure(add_calls(), args.rounds, 20000),
               "mlp_step_f64": measure(mlp_calls(), args.rounds, 20)}
    for workload, best in results.items():
        print(workload)
        for name, seconds in best.items():
            print(f"  {name:20s} {seconds * 1e6:10.3f} us")
    machine = {"date": datetime.date.today().isoformat(), "cpu": cpu_name(),
               "platform": f"{platform.system()} {platform.machine()}",
               "cores": os.cpu_count(), "load_average": round(load, 1),
               "python": platform.python_version(), "numpy": np.__version__}
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": machine, "cpu_seconds": results},
                                              indent=2) + "\n")


if __name__ == "__main__":
    main()
