"""How much memory a process that compiles many distinct functions keeps (issue 16).

Each function gets its own C library (a distinct constant, a distinct key), and a
loaded library cannot be unloaded while the process runs (ctypes has no
unload; the linker keeps every library it loaded, so a second function with the
same source costs nothing).  This prints the resident memory (VmRSS) and the
libraries mapped as the count grows, keeping the functions and dropping them:

    python bench/compile_memory.py --functions 1000

Chapter 5's page quotes the figures.  A private compile directory is used (and
left in /tmp for a second, warm run).
"""

from __future__ import annotations

import argparse
import gc
import os
import time
from pathlib import Path

import minitheano as theano
from minitheano import tensor as T
from minitheano.config import config


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def mapped_libraries() -> int:
    maps = Path("/proc/self/maps").read_text().splitlines()
    return len({line.split()[-1] for line in maps if line.endswith(".so") and "/mt_" in line})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--functions", type=int, default=1000)
    parser.add_argument("--keep", action="store_true", help="keep every compiled function")
    parser.add_argument("--compiledir", default="/tmp/minitheano-compile-memory")
    args = parser.parse_args()
    config.compiledir = args.compiledir
    x = T.dvector("x")
    kept = []
    start = time.perf_counter()
    print(f"{'functions':>9} {'RSS MiB':>8} {'libraries':>9} {'seconds':>8}")
    print(f"{0:9d} {rss_mib():8.1f} {mapped_libraries():9d} {0.0:8.1f}")
    step = max(args.functions // 5, 1)
    for i in range(1, args.functions + 1):
        f = theano.function([x], T.tanh(x) * (1.0 + i / 1e6) + 2.0)
        if args.keep:
            kept.append(f)
        del f
        if i % step == 0:
            gc.collect()
            print(f"{i:9d} {rss_mib():8.1f} {mapped_libraries():9d} "
                  f"{time.perf_counter() - start:8.1f}", flush=True)
    print(f"pid {os.getpid()}: {'kept' if args.keep else 'dropped'} the functions")


if __name__ == "__main__":
    main()
