"""Helpers shared by the chapter-3 tests."""

from __future__ import annotations

import minitheano as theano
from minitheano.compile.ops import DeepCopyOp

FAST_RUN = theano.Mode("py", "fast_run")
FAST_COMPILE = theano.Mode("py", "fast_compile")
AS_WRITTEN = theano.Mode("py", None)


def compile_ops(inputs, outputs, mode=FAST_RUN, **kwargs):
    """(function, the printed ops of its graph without the output copies)."""
    f = theano.function(inputs, outputs, mode=mode, on_unused_input="ignore", **kwargs)
    ops = [str(n.op) for n in f.maker.fgraph.toposort() if not isinstance(n.op, DeepCopyOp)]
    return f, ops


def fired(f) -> dict:
    """{rewrite name: times} for a compiled function."""
    return dict(f.maker.fgraph.rewrite_record.counts)
