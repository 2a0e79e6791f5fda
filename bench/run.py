"""Time workloads on numpy, JAX, torch, PyTensor (C backend) and minitheano in one run.

    python bench/run.py                      # every workload
    python bench/run.py --only call_overhead # one module (or one workload by name)
    python bench/run.py --json results.json  # also write the numbers

Method: the systems take turns (interleaved, the order rotating every
round), each sample times a calibrated number of calls, and the fastest of
`--samples` samples is reported: on a shared machine, noise only ever adds
time, so the minimum is the most repeatable estimate.  Ratios of such
minima are stable to about +-15% here.  Compile time is the fastest of
`--compile-samples` builds (PyTensor's C cache is warm after the first).
The ratios printed are minitheano's time over each other system's; a peer
that is not installed is skipped with a note (bench/requirements.txt).
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import json
import os
import platform
import sys
import time
import timeit
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

# One BLAS thread for every system: the anchors are single-threaded, and
# on a shared 2-core machine threaded BLAS makes small products erratic.  This
# must happen before numpy is imported.  `--threads N` overrides it.
_threads = sys.argv[sys.argv.index("--threads") + 1] if "--threads" in sys.argv else "1"
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, _threads)

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import systems  # noqa: E402
from bench.workloads import MODULES  # noqa: E402


def select(only: list[str]) -> Iterator[tuple[str, Callable[[], dict]]]:
    """(qualified name, workload) for the workloads asked for."""
    for module_name in MODULES:
        module = importlib.import_module(f"bench.workloads.{module_name}")
        for workload in module.WORKLOADS:
            if not only or module_name in only or workload.__name__ in only:
                yield f"{module_name}.{workload.__name__}", workload


def rotated(items: list[str], k: int) -> list[str]:
    k %= len(items)
    return items[k:] + items[:k]


def calibrate(call: Callable[[], Any], sample_seconds: float) -> int:
    """How many calls make one sample last about `sample_seconds`."""
    number = 1
    while True:
        elapsed = timeit.Timer(call).timeit(number)
        if elapsed >= sample_seconds / 4:
            return max(1, int(number * sample_seconds / elapsed))
        number *= 4


def check_same(name: str, results: dict[str, Any], rtol: float = 1e-10,
               atol: float = 0.0) -> None:
    """Every system must compute what numpy computes (if numpy takes part: a
    workload timing the compiler alone has nothing for numpy to compute); a
    workload may set a looser `tolerance`, e.g. for float32."""
    if "numpy" not in results:
        return
    expected = results["numpy"]
    for system, got in results.items():
        try:
            np.testing.assert_allclose(np.asarray(got), np.asarray(expected), rtol=rtol,
                                       atol=atol)
        except AssertionError as e:
            raise SystemExit(f"{name}: {system} disagrees with numpy:\n{e}") from None


def measure(name: str, workload: Callable[[], dict], active: list[str], samples: int,
            compile_samples: int, sample_seconds: float) -> dict:
    builders = workload()
    order = [s for s in active if s in builders]
    compile_times: dict[str, list[float]] = {s: [] for s in order}
    calls: dict[str, Callable[[], Any]] = {}
    for k in range(compile_samples):
        for system in rotated(order, k):
            start = time.perf_counter()
            calls[system] = builders[system]()
            compile_times[system].append(time.perf_counter() - start)
    check_same(name, {s: calls[s]() for s in order}, **getattr(workload, "tolerance", {}))
    numbers = {s: calibrate(calls[s], sample_seconds) for s in order}
    per_call: dict[str, list[float]] = {s: [] for s in order}
    for k in range(samples):
        for system in rotated(order, k):
            per_call[system].append(timeit.Timer(calls[system]).timeit(numbers[system])
                                    / numbers[system])
    result = {"workload": name, "doc": (workload.__doc__ or "").strip(),
              "per_call_s": {s: min(v) for s, v in per_call.items()},
              "compile_s": {s: min(v) for s, v in compile_times.items() if s != "numpy"},
              "calls_per_sample": numbers,
              # What a call may say about its result (a rewrite: how many nodes it left).
              "notes": {s: calls[s].note for s in order if hasattr(calls[s], "note")}}
    if hasattr(workload, "bytes_per_call"):  # a memory-bound loop: also in GB/s
        result["bytes_per_call"] = workload.bytes_per_call
        result["copy_bytes_per_s"] = copy_bandwidth(workload.bytes_per_call // 3, samples)
    return result


def copy_bandwidth(nbytes: int, samples: int) -> float:
    """The machine's memory bandwidth as np.copyto sees it: bytes read + written per second."""
    src = np.ones(nbytes // 8)
    dst = np.empty_like(src)
    best = min(timeit.Timer(lambda: np.copyto(dst, src)).timeit(1) for _ in range(samples))
    return 2 * src.nbytes / best


def fmt_time(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def ratio(a: float | None, b: float | None) -> str:
    return "-" if a is None or b is None else f"{a / b:.2f}"


def table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in
                       enumerate(zip(r, widths))) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def report(results: list[dict], machine: dict, samples: int, compile_samples: int) -> str:
    head = [f"{machine['date']}  {machine['platform']}, {machine.get('cpu', '?')}, "
            f"{machine['cores']} cores",
            "  ".join(f"{k} {v}" for k, v in machine["versions"].items())]
    for system, why in machine.get("skipped", {}).items():
        head.append(f"skipped {system}: {why}")
    present = [s for s in systems.SYSTEMS if any(s in r["per_call_s"] for r in results)]
    peers = [s for s in present if s != "minitheano"]
    call_rows = [[f"per call (fastest of {samples})"] + present + [f"mt/{s}" for s in peers]]
    compiled = [s for s in present if s != "numpy"]
    comp_rows = [[f"compile (fastest of {compile_samples})"] + compiled
                 + [f"mt/{s}" for s in compiled if s != "minitheano"]]
    for r in results:
        t, c = r["per_call_s"], r["compile_s"]
        call_rows.append([r["workload"]] + [fmt_time(t.get(s)) for s in present]
                         + [ratio(t.get("minitheano"), t.get(s)) for s in peers])
        comp_rows.append([r["workload"]] + [fmt_time(c.get(s)) for s in compiled]
                         + [ratio(c.get("minitheano"), c.get(s)) for s in compiled
                            if s != "minitheano"])
    notes = [f"{r['workload']}: " + ", ".join(f"{s} {n}" for s, n in r["notes"].items())
             for r in results if r.get("notes")]
    text = "\n".join(head) + "\n\n" + table(call_rows) + "\n\n" + table(comp_rows)
    bw_rows = [["bandwidth (GB/s)"] + present + ["np.copyto"]]
    for r in results:
        if "bytes_per_call" in r:
            t, gb = r["per_call_s"], r["bytes_per_call"] / 1e9
            bw_rows.append([r["workload"]] + [f"{gb / t[s]:.2f}" if s in t else "-"
                                              for s in present]
                           + [f"{r['copy_bytes_per_s'] / 1e9:.2f}"])
    if len(bw_rows) > 1:
        text += "\n\n" + table(bw_rows)
    return text + ("\n\n" + "\n".join(notes) if notes else "")


def cpu_name() -> str:
    """The processor's model name (Linux), else what platform knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=[],
                        help="workload modules or workload names to run")
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--compile-samples", type=int, default=5)
    parser.add_argument("--sample-ms", type=float, default=10.0,
                        help="duration of one per-call sample")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--threads", default="1",
                        help="BLAS threads for every system (read before numpy loads)")
    args = parser.parse_args(argv)

    skipped = systems.skip_reasons()
    active = [s for s in systems.SYSTEMS if s not in skipped]
    for why in skipped.values():
        print(f"note: {why}; running without it", file=sys.stderr)
    machine = {"date": datetime.date.today().isoformat(), "cpu": cpu_name(),
               "platform": f"{platform.system()} {platform.machine()}",
               "cores": os.cpu_count(), "versions": systems.versions(), "skipped": skipped}
    chosen = list(select(args.only))
    if not chosen:
        raise SystemExit(f"no workload matches {args.only}; modules: {', '.join(MODULES)}")
    results = [measure(name, w, active, args.samples, args.compile_samples,
                       args.sample_ms / 1000) for name, w in chosen]
    print(report(results, machine, args.samples, args.compile_samples))
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": machine, "results": results},
                                              indent=2) + "\n")


if __name__ == "__main__":
    main()
