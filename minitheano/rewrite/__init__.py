"""The rewrite engine and its rewrites (chapter 3).

`rewrite_graph(fgraph, mode)` runs the phases a mode asks for:

    FAST_COMPILE   merge, canonicalize, merge
    FAST_RUN       merge, canonicalize, merge, stabilize, specialize, merge,
                   gemm, fusion, dot_bias_act, inplace, gemm_inplace

`mode.excluding(name)` leaves out a phase or a single rewrite (or turns off a
switch such as 'cancel_div'); `mode.including(name)` adds a phase to a mode
that does not have it (`Mode('py', 'fast_compile').including('fusion')`).

Reading order: engine.py (local rewrites, the equilibrium driver, the
record), patterns.py (rewrites written as data), then the rewrites in the
order they run: merge.py, canonicalize.py, algebra.py, constant_folding.py,
shape.py, stabilize.py, softmax.py, blas.py, fusion.py, inplace.py.  sympy_bridge.py
is the tool that checks them.  scan.py, scan_memory.py and ifelse.py rewrite
loops and branches (chapter 7).
"""

from __future__ import annotations

from typing import Any

from minitheano.config import config
from minitheano.graph.fg import FunctionGraph
from minitheano.graph.trace import no_user_lines
from minitheano.rewrite import (  # noqa: F401  (importing them registers their rewrites)
    algebra,
    canonicalize,
    constant_folding,
    ifelse,
    increments,
    scan,
    scan_constants,
    scan_memory,
    shape,
    softmax,
    stabilize,
)
from minitheano.rewrite.blas import gemm_inplace_rewrite, gemm_rewrite
from minitheano.rewrite.dot_bias_act import dot_bias_act_rewrite
from minitheano.rewrite.engine import (
    LOCAL_REWRITES,
    SWITCHES,
    RewriteError,
    RewriteLoopError,
    RewriteRecord,
    Step,
    fgraph_of,
    register,
    run_steps,
)
from minitheano.rewrite.fusion import fusion_rewrite
from minitheano.rewrite.inplace import inplace_rewrite
from minitheano.rewrite.merge import merge_rewrite

PIPELINE = [Step("merge", merge_rewrite), Step("canonicalize"), Step("merge", merge_rewrite),
            Step("stabilize"), Step("specialize"), Step("merge", merge_rewrite),
            Step("gemm", gemm_rewrite), Step("fusion", fusion_rewrite),
            Step("dot_bias_act", dot_bias_act_rewrite), Step("inplace", inplace_rewrite),
            Step("gemm_inplace", gemm_inplace_rewrite)]
OPTIMIZERS = {
    "none": [],
    "fast_compile": ["merge", "canonicalize"],
    "fast_run": ["merge", "canonicalize", "stabilize", "specialize", "gemm", "fusion",
                 "dot_bias_act", "inplace", "gemm_inplace"],
}


def known_names() -> set[str]:
    """Every name `Mode.excluding` / `including` understands."""
    return {s.name for s in PIPELINE} | set(LOCAL_REWRITES) | set(SWITCHES)


def rewrite_graph(fgraph: FunctionGraph, mode: Any = "fast_run") -> RewriteRecord:
    """Apply the rewrites `mode` asks for to `fgraph`, in place; return the record
    of what fired (also kept as `fgraph.rewrite_record`)."""
    optimizer = mode if isinstance(mode, str) else mode.optimizer
    excluded = set(getattr(mode, "excluded", ()))
    if getattr(mode, "linker", None) == "cuda":
        # Gemm is a BLAS call on the host: on the device a product and its update stay
        # a device dot and a device elementwise kernel (chapter 6), kept on the device.
        # So does a layer's product and its bias and activation (DotBiasAct).
        excluded |= {"gemm", "gemm_inplace", "dot_bias_act"}
    included = set(getattr(mode, "included", ()))
    unknown = (excluded | included) - known_names()
    if unknown:
        raise ValueError(f"unknown rewrite or phase name(s) {sorted(unknown)} in the mode; "
                         f"known: {', '.join(sorted(known_names()))}")
    phases = set(OPTIMIZERS[optimizer.lower()]) | included
    steps = [s for s in PIPELINE if s.name in phases]
    if not steps:
        record = run_steps(fgraph, steps, excluded)
    else:
        feature = shape.ShapeFeature()
        fgraph.attach_feature(feature)
        fgraph.shape_feature = feature
        try:
            # New nodes take the user line of what they replace (FunctionGraph.replace):
            # looking up their own would only find this call.  Nor do they compute
            # test values (chapter 9): the graph was checked as the user built it.
            with no_user_lines(), config.change_flags(compute_test_value="off"):
                record = run_steps(fgraph, steps, excluded)
        finally:
            fgraph.features.remove(feature)
            del fgraph.shape_feature
    with no_user_lines(), config.change_flags(compute_test_value="off"):
        scan.rewrite_inner_graphs(fgraph, mode)  # loop bodies: the same rewrites (chapter 7)
    return record


def rewrite_record(f: Any) -> RewriteRecord:
    """What the rewrites did to a compiled function's graph: print it for a table."""
    return fgraph_of(f).rewrite_record


__all__ = ["RewriteError", "RewriteLoopError", "register", "rewrite_graph", "rewrite_record"]
