"""graph_svg: a picture of a graph as SVG text, with nothing but Python (chapter 1).

    from minitheano.printing.svg import graph_svg
    svg = graph_svg(f, title="the logistic, compiled")

The book draws every graph it shows with this.  `picture.py` decides what to
draw (shapes, colours, arrows), `layout.py` where (layers, order, x), and this
module only writes it down: a rounded box per Apply node, an ellipse per
variable, a smooth curve with an arrowhead per edge, a `<title>` on each for
hovering.  Text is monospace, so a box's width follows from its number of
characters (`CHAR_WIDTH`).

The output is self-contained (inline styles, no fonts, scripts or ids to
clash when two pictures share a page), scales with its `viewBox`, and is the
same bytes for the same graph.  It can be put straight into HTML; in Markdown
wrap it in a `<div>` so it is taken as raw HTML.
"""

from __future__ import annotations

from html import escape
from typing import Any

from minitheano.printing.layout import Layout, layered_layout
from minitheano.printing.picture import EDGE_COLOURS, STYLES, Arrow, Shape, picture

FONT_SIZE = 12.0
CHAR_WIDTH = 0.62 * FONT_SIZE  # a monospace advance (DejaVu Sans Mono: 0.602 em)
LINE_HEIGHT = 1.3 * FONT_SIZE
LABEL_SIZE = 10.0  # input numbers on arrows
ARROW = 7.0  # length of an arrowhead
FONTS = "ui-monospace,'DejaVu Sans Mono',Menlo,Consolas,monospace"


def graph_svg(obj: Any, *, title: str | None = None, show_types: bool = False,
              compact: bool = True) -> str:
    """An SVG picture of `obj` (Variable, list, FunctionGraph, compiled Function).

    Inputs green, outputs blue, shared variables cyan, constants grey; Apply
    nodes are rounded boxes.  An unnamed intermediate result is drawn as the
    arrow itself, not as an ellipse of its own: for the 5-60 node graphs of
    the book that halves the shapes and the height, and the arrow already
    says where the value goes (see picture.py).  `compact=False` draws every
    intermediate; `show_types` writes each variable's type under its name;
    `title` goes above the picture and in its <title>.
    """
    pic = picture(obj, compact=compact, show_types=show_types)
    sizes = [shape_size(s) for s in pic.shapes]
    index = {s.key: i for i, s in enumerate(pic.shapes)}
    edges = [(index[a.src], index[a.dst], (a.port + 1) / (a.nports + 1)) for a in pic.arrows]
    lay = layered_layout(sizes, edges)
    head = 26.0 if title else 0.0
    width, height = max(lay.width, _text_width(title or "") + 24), lay.height + head
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_n(width)} {_n(height)}" '
           f'width="{_n(width)}" height="{_n(height)}" role="img" '
           f'style="max-width:100%;height:auto;font-family:{FONTS}">']
    if title:
        out.append(f"<title>{escape(title)}</title>")
        out.append(f'<text x="12" y="18" font-size="13" font-weight="bold" fill="#222">'
                   f"{escape(title)}</text>")
    out.append(f'<g transform="translate(0 {_n(head)})">')
    label = {s.key: s.lines[0] for s in pic.shapes}
    for k, (arrow, (src, dst, port)) in enumerate(zip(pic.arrows, edges)):
        names = f"{label[arrow.src]} \u2192 {label[arrow.dst]}"
        ellipse = pic.shapes[dst].kind != "apply"
        out.append(_edge(arrow, names, lay, k, sizes, src, dst, port, ellipse))
    for i, shape in enumerate(pic.shapes):
        out.append(_shape(shape, lay.x[i], lay.y[i], *sizes[i]))
    out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"


def shape_size(shape: Shape) -> tuple[float, float]:
    """Width and height of the box or ellipse that holds `shape`'s text."""
    text_w = max(_text_width(line) for line in shape.lines)
    text_h = LINE_HEIGHT * len(shape.lines)
    if shape.kind == "apply":
        return text_w + 20, text_h + 10
    # An ellipse holds a text box whose corner is at 80% of the half-width and
    # 60% of the half-height: 0.8^2 + 0.6^2 = 1 puts the corner on the ellipse.
    return text_w / 0.8 + 10, text_h / 0.6 + 2


def _text_width(text: str) -> float:
    return len(text) * CHAR_WIDTH


def _shape(shape: Shape, cx: float, cy: float, w: float, h: float) -> str:
    """A node: its outline, its text, and its hover title, in one group."""
    stroke = STYLES[shape.kind][1]
    paint = f'fill="{shape.fill}" stroke="{stroke}" stroke-width="1.2"'
    if shape.kind == "apply":
        outline = (f'<rect x="{_n(cx - w / 2)}" y="{_n(cy - h / 2)}" width="{_n(w)}" '
                   f'height="{_n(h)}" rx="6" {paint}/>')
    else:
        outline = (f'<ellipse cx="{_n(cx)}" cy="{_n(cy)}" rx="{_n(w / 2)}" ry="{_n(h / 2)}" '
                   f"{paint}/>")
    first = cy - LINE_HEIGHT * (len(shape.lines) - 1) / 2 + FONT_SIZE * 0.35
    texts = []
    for k, line in enumerate(shape.lines):
        size = FONT_SIZE if k == 0 else FONT_SIZE - 1
        texts.append(f'<text x="{_n(cx)}" y="{_n(first + k * LINE_HEIGHT)}" '
                     f'font-size="{_n(size)}" text-anchor="middle" fill="#111">'
                     f"{escape(line)}</text>")
    return (f'<g class="node {shape.kind}" data-key="{shape.key}">'
            f"<title>{escape(shape.title)}</title>{outline}{''.join(texts)}</g>")


def _edge(arrow: Arrow, names: str, lay: Layout, k: int, sizes: list[tuple[float, float]],
          src: int, dst: int, port: float, ellipse: bool) -> str:
    """A smooth path from the bottom of `src` through its bends to the top of `dst`."""
    x0, y0 = lay.x[src], lay.y[src] + sizes[src][1] / 2
    x1 = lay.x[dst] - sizes[dst][0] / 2 + port * sizes[dst][0]
    y1 = lay.y[dst] - sizes[dst][1] / 2
    if ellipse:  # an ellipse's top is lower away from its centre
        rx, ry = sizes[dst][0] / 2, sizes[dst][1] / 2
        dx = min(abs(x1 - lay.x[dst]) / rx, 1.0)
        y1 = lay.y[dst] - ry * (1 - dx * dx) ** 0.5
    points = [(x0, y0)]
    for bx, lay_index in lay.bends[k]:
        top, bottom = lay.bands[lay_index]
        points += [(bx, top), (bx, bottom)]
    points.append((x1, y1 - ARROW))
    d = [f"M{_n(points[0][0])},{_n(points[0][1])}"]
    for i, ((xa, ya), (xb, yb)) in enumerate(zip(points, points[1:])):
        if i % 2 == 1:  # through a layer: straight down past the boxes beside it
            d.append(f"L{_n(xb)},{_n(yb)}")
        else:  # between layers: an S-curve, vertical at both ends
            mid = (ya + yb) / 2
            d.append(f"C{_n(xa)},{_n(mid)} {_n(xb)},{_n(mid)} {_n(xb)},{_n(yb)}")
    colour = EDGE_COLOURS[arrow.kind]
    head = (f"M{_n(x1)},{_n(y1)} L{_n(x1 - 3.5)},{_n(y1 - ARROW)} "
            f"L{_n(x1 + 3.5)},{_n(y1 - ARROW)} Z")
    parts = [f'<path d="{" ".join(d)}" fill="none" stroke="{colour}" stroke-width="1.2"/>',
             f'<path d="{head}" fill="{colour}"/>']
    if arrow.label:
        parts.append(f'<text x="{_n(x1 + 4)}" y="{_n(y1 - ARROW - 3)}" '
                     f'font-size="{_n(LABEL_SIZE)}" fill="#333" stroke="#fff" '
                     f'stroke-width="3" paint-order="stroke">{escape(arrow.label)}</text>')
    return (f'<g class="edge" data-from="{arrow.src}" data-to="{arrow.dst}">'
            f"<title>{escape(names)}</title>{''.join(parts)}</g>")


def _n(value: float) -> str:
    """A coordinate with one decimal, no trailing zeros: short and deterministic."""
    text = f"{round(value, 1) + 0.0:.1f}"
    return text[:-2] if text.endswith(".0") else text
