"""Constants into the loop body: a non-sequence known when compiling (chapter 9).

Hoisting (rewrite/scan.py) takes what a step computes from non-sequences alone out
of the loop; outside, constant folding may turn it into a constant, such as the
zeros and ones backpropagation multiplies by.  Inside the body it is then still an
input, a value the body's rewrites know nothing of: `add(inc(zeros, ...), ...)`
(rewrite/increments.py) cannot see that the zeros are zeros.
`scan_constants_into_body` puts such a constant back into the body, where the
body's own rewrites can use it.  Only constants of one element (broadcastable in
every dimension): a larger array stays an input, as the loop would otherwise keep
a copy of it inside the body's graph.
"""

from __future__ import annotations

from minitheano.graph.basic import Apply, Constant
from minitheano.graph.fg import FunctionGraph
from minitheano.rewrite.engine import register
from minitheano.rewrite.scan import ScanParts
from minitheano.scan.op import Scan


@register("specialize", Scan)
def scan_constants_into_body(fgraph: FunctionGraph, node: Apply) -> dict | None:
    """A constant non-sequence of one element: the body reads the constant itself."""
    parts = ScanParts(fgraph, node)
    replace = {}
    for plain in list(parts.non_seqs):
        outer = plain.outer
        if isinstance(outer, Constant) and all(outer.broadcastable) \
                and outer.type == plain.slot.type:
            replace[plain.slot] = outer
            parts.non_seqs.remove(plain)
    if not replace:
        return None
    return parts.build(replace)
