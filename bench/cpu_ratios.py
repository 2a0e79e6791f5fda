"""The recurrent workloads' ratios in CPU time, for a loaded machine (issue 15).

`bench/run.py` times wall-clock samples; when other jobs share the cores, a
process that waits for a core is charged the wait.  This script times the same
builders (bench/workloads/rnn.py, lstm.py) by `time.process_time`, the CPU time
of this process (all its threads): minitheano, PyTensor's C backend and JAX take
turns, the order rotating each round, each sample a calibrated number of calls,
and the fastest sample counts.  From the repository root, with the bench venv:

    PYTHONPATH=$PWD .bench-venv/bin/python bench/cpu_ratios.py rnn_forward,rnn_train 20
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable

os.environ["OPENBLAS_NUM_THREADS"] = "1"  # before numpy loads, as bench/run.py does

from bench import systems  # noqa: E402, F401 - one XLA thread, float64 in JAX
from bench.workloads import lstm, rnn  # noqa: E402

SYSTEMS = ("minitheano", "pytensor", "jax")
SAMPLE_SECONDS = 0.008  # CPU time of one sample (a few calls)


def calls_per_sample(call: Callable[[], object]) -> int:
    call()
    call()
    start = time.process_time()
    call()
    return max(1, int(SAMPLE_SECONDS / max(time.process_time() - start, 1e-6)))


def fastest(name: str, samples: int) -> dict[str, float]:
    """Seconds of CPU per call of workload `name`, the fastest sample, per system."""
    module = rnn if name.startswith("rnn") else lstm
    builders = getattr(module, name)()
    calls = {s: builders[s]() for s in SYSTEMS}
    counts = {s: calls_per_sample(call) for s, call in calls.items()}
    best = dict.fromkeys(SYSTEMS, float("inf"))
    for r in range(samples):
        for s in SYSTEMS[r % 3:] + SYSTEMS[:r % 3]:
            call, k = calls[s], counts[s]
            start = time.process_time()
            for _ in range(k):
                call()
            best[s] = min(best[s], (time.process_time() - start) / k)
    return best


def main() -> None:
    names = sys.argv[1].split(",") if len(sys.argv) > 1 else ["rnn_forward", "rnn_train",
                                                               "lstm_train"]
    samples = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    for name in names:
        t = fastest(name, samples)
        print(f"{name:12s} minitheano {t['minitheano'] * 1e6:9.1f} us  "
              f"PyTensor {t['pytensor'] * 1e6:9.1f} us  JAX {t['jax'] * 1e6:9.1f} us  "
              f"mt/PyTensor {t['minitheano'] / t['pytensor']:.3f}  "
              f"mt/JAX {t['minitheano'] / t['jax']:.3f}", flush=True)


if __name__ == "__main__":
    main()
