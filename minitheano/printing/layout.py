"""Where to draw each node of a DAG: a layered layout, "Sugiyama-lite" (chapter 1).

Graphviz's `dot` draws computation graphs well; this is the same idea in four
plain steps, enough for the 5-100 node graphs the book shows:

1. **Layers.**  An output goes one layer below the lowest of its
   predecessors (the longest path from the inputs); every other node then
   goes just above its first consumer, so a constant used at the end is
   drawn at the end, not at the top with a long arrow.
2. **Dummies.**  An edge that crosses several layers gets a dummy point in
   each layer it passes: the dummies take part in ordering and placement like
   thin nodes, so long edges are routed between boxes, never through them.
3. **Order within layers.**  Sweep down and up, sorting each layer by the
   mean position of its neighbours in the layer just done (the barycenter
   heuristic).  Keep the order with the fewest edge crossings.
4. **Coordinates.**  Each node would like to sit right under (or over) the
   mean of its neighbours.  The positions closest to those wishes that keep
   the layer's order and a gap between boxes are an isotonic regression,
   solved exactly by "pool adjacent violators" (`_pack`).

Everything is lists and sorts with index tie-breaks: the same graph always
gets the same layout.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass
class Layout:
    x: list[float]  # the centre of each node
    y: list[float]
    layer: list[int]
    bends: list[list[tuple[float, int]]]  # per edge: (x, layer) where it crosses a layer
    bands: list[tuple[float, float]]  # per layer: (top, bottom) of its tallest node
    width: float
    height: float


def layered_layout(sizes: Sequence[tuple[float, float]],
                   edges: Sequence[tuple[int, int, float]], hgap: float = 22.0,
                   vgap: float = 42.0, margin: float = 12.0, sweeps: int = 8) -> Layout:
    """Place nodes of `sizes` (width, height) joined by `edges` (src, dst, port).

    `port` is where on the top of `dst` the edge arrives, as a fraction of its
    width (0.5: the middle); the layout tries to put the source above it.
    """
    n = len(sizes)
    layer = _layers(n, edges)
    nlayers = max(layer, default=-1) + 1
    # Vertices: the nodes, then the dummies; segments join adjacent layers.
    width = [w for w, _ in sizes]
    vlayer = list(layer)
    segments: list[tuple[int, int, float]] = []
    dummies: list[list[int]] = []
    for src, dst, port in edges:
        chain = [src]
        for lay in range(layer[src] + 1, layer[dst]):
            chain.append(len(width))
            width.append(0.0)
            vlayer.append(lay)
        chain.append(dst)
        dummies.append(chain[1:-1])
        for a, b in zip(chain, chain[1:]):
            segments.append((a, b, port if b == dst else 0.5))
    above: list[list[tuple[int, float]]] = [[] for _ in width]
    below: list[list[tuple[int, float]]] = [[] for _ in width]
    for a, b, port in segments:
        above[b].append((a, port))
        below[a].append((b, port))
    rows: list[list[int]] = [[] for _ in range(nlayers)]
    for v, lay in enumerate(vlayer):
        rows[lay].append(v)
    rows = _order(rows, above, below, sweeps)
    x = _coordinates(rows, width, above, below, n, hgap)
    # Vertical: one band per layer, as tall as its tallest node.
    bands, top = [], margin
    for row in rows:
        height = max((sizes[v][1] for v in row if v < n), default=0.0)
        bands.append((top, top + height))
        top += height + vgap
    left = min((x[v] - width[v] / 2 for v in range(len(width))), default=0.0)
    x = [xv - left + margin for xv in x]
    right = max((x[v] + width[v] / 2 for v in range(len(width))), default=0.0)
    y = [(bands[layer[v]][0] + bands[layer[v]][1]) / 2 for v in range(n)]
    bends = [[(x[d], vlayer[d]) for d in chain] for chain in dummies]
    return Layout(x[:n], y, layer, bends, bands, right + margin, top - vgap + margin)


def _layers(n: int, edges: Sequence[tuple[int, int, float]]) -> list[int]:
    """Sinks at the longest path from the sources; the rest just above their consumers."""
    preds: list[list[int]] = [[] for _ in range(n)]
    succs: list[list[int]] = [[] for _ in range(n)]
    for src, dst, _ in edges:
        preds[dst].append(src)
        succs[src].append(dst)
    # Kahn's algorithm, smallest index first: a deterministic topological order.
    waiting = [len(p) for p in preds]
    ready = [v for v in range(n) if waiting[v] == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        v = heapq.heappop(ready)
        order.append(v)
        for w in succs[v]:
            waiting[w] -= 1
            if waiting[w] == 0:
                heapq.heappush(ready, w)
    if len(order) != n:
        raise ValueError("layered_layout: the graph has a cycle")
    layer = [0] * n
    for v in order:
        layer[v] = max((layer[u] + 1 for u in preds[v]), default=0)
    for v in reversed(order):  # as late as possible, but the outputs stay where they are
        if succs[v]:
            layer[v] = min(layer[w] for w in succs[v]) - 1
    return layer


def _order(rows: list[list[int]], above: list[list[tuple[int, float]]],
           below: list[list[tuple[int, float]]], sweeps: int) -> list[list[int]]:
    """Barycenter sweeps; returns the ordering with the fewest crossings seen."""
    pos = {v: i for row in rows for i, v in enumerate(row)}

    def sort_row(row: list[int], neighbours: list[list[tuple[int, float]]], sign: float) -> None:
        def key(v: int) -> tuple[float, int]:
            nbs = neighbours[v]
            if not nbs:
                return pos[v], pos[v]
            # An edge arriving left of centre wants its source a little to the left.
            return sum(pos[u] + sign * (p - 0.5) for u, p in nbs) / len(nbs), pos[v]
        row.sort(key=key)
        for i, v in enumerate(row):
            pos[v] = i

    best, fewest = [list(r) for r in rows], _crossings(rows, below, pos)
    for _ in range(sweeps):
        if fewest == 0:
            break
        for row in rows[1:]:
            sort_row(row, above, -1.0)
        for row in reversed(rows[:-1]):
            sort_row(row, below, 1.0)
        count = _crossings(rows, below, pos)
        if count < fewest:
            best, fewest = [list(r) for r in rows], count
    return best


def _crossings(rows: list[list[int]], below: list[list[tuple[int, float]]],
               pos: dict[int, int]) -> int:
    """How many pairs of segments between adjacent layers cross."""
    total = 0
    for row in rows:
        segs = sorted((pos[a], pos[b] + p - 0.5) for a in row for b, p in below[a])
        for i, (_, bi) in enumerate(segs):
            total += sum(1 for aj, bj in segs[i + 1:] if bj < bi and aj != segs[i][0])
    return total


def _coordinates(rows: list[list[int]], width: list[float],
                 above: list[list[tuple[int, float]]], below: list[list[tuple[int, float]]],
                 nreal: int, hgap: float) -> list[float]:
    """x of every vertex: alternate passes pulling nodes towards their neighbours."""
    x = [0.0] * len(width)
    for row in rows:
        for v, xv in zip(row, _pack(row, [0.0] * len(row), width, nreal, hgap)):
            x[v] = xv

    def wish(v: int, up: bool, down: bool) -> float:
        # Where v's centre must be for the edge to meet its port straight on.
        targets = []
        if up:
            targets += [x[u] + (0.5 - p) * width[v] for u, p in above[v]]
        if down:
            targets += [x[w] + (p - 0.5) * width[w] for w, p in below[v]]
        return sum(targets) / len(targets) if targets else x[v]

    passes = [(True, False, rows[1:]), (False, True, rows[-2::-1])] * 4
    passes.append((True, True, rows))
    for up, down, order in passes:
        for row in order:
            placed = _pack(row, [wish(v, up, down) for v in row], width, nreal, hgap)
            for v, xv in zip(row, placed):
                x[v] = xv
    return x


def _pack(row: list[int], wishes: list[float], width: list[float], nreal: int,
          hgap: float) -> list[float]:
    """The positions nearest to `wishes` (least squares) that keep `row`'s order
    and at least a gap between neighbours: pool adjacent violators."""
    offsets = [0.0]
    for a, b in zip(row, row[1:]):
        gap = hgap if a < nreal and b < nreal else hgap / 2
        offsets.append(offsets[-1] + (width[a] + width[b]) / 2 + gap)
    # With z = x - offset the constraint is just "z never decreases".
    blocks: list[list[float]] = []  # [sum, count] of pooled wishes
    for wanted, off in zip(wishes, offsets):
        blocks.append([wanted - off, 1.0])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            total, count = blocks.pop()
            blocks[-1][0] += total
            blocks[-1][1] += count
    z = [total / count for total, count in blocks for _ in range(int(count))]
    return [zi + off for zi, off in zip(z, offsets)]
