"""Benchmark workloads, one module per topic.

A workload is a function of no arguments returning, for each system in
`bench.systems.SYSTEMS`, a *builder*: a function of no arguments that
compiles what it needs (timed as the compile time) and returns a function of
no arguments doing one call (timed as the per-call time).  The runner also
checks that every system's call returns the same values as numpy's.

Each module lists its workloads in `WORKLOADS`; add a module's name to
`MODULES` below to have `bench/run.py` run it (`--only <module or workload>`).
"""

MODULES = ["call_overhead", "c_code", "gradients", "rnn", "lstm", "rewrite", "nets"]
