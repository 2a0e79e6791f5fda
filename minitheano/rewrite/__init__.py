"""The rewrite engine and its rewrites (chapter 3)."""

from __future__ import annotations

from minitheano.graph.fg import FunctionGraph


def rewrite_graph(fgraph: FunctionGraph, mode) -> None:
    """Apply the rewrites `mode` asks for to `fgraph`, in place.

    Chapter 3 fills this in; until then a graph is run as written.
    """
