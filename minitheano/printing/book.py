"""Pictures for the book's pages: inline SVG that a build reproduces byte for byte.

A page block marked ``exec="on" html="true"`` shows what it prints as HTML, so a picture is a
string the block prints (markdown-exec captures the block's ``print``, not ``sys.stdout``,
which is why these helpers return text rather than print it):

    from minitheano.printing.book import graph, plot
    print(graph(f))                          # a function, variable(s) or FunctionGraph
    print(plot(fig, "The logistic curve"))   # a matplotlib figure

Plots are written with a fixed SVG hash salt and without a date, so building the book twice
gives the same files. matplotlib is needed only here (the `book` extra), and only when a
plot is made.
"""

from __future__ import annotations

import html
import io
import re
from typing import Any

_XML_PROLOGUE = re.compile(r"<\?xml[^>]*\?>\s*|<!DOCTYPE[^>]*>\s*", re.IGNORECASE)


def svg_html(svg_text: str, caption: str | None = None) -> str:
    """An SVG document as an HTML figure (the XML prologue dropped, an optional caption)."""
    body = _XML_PROLOGUE.sub("", svg_text).strip()
    if caption:
        body += f"\n<figcaption>{html.escape(caption)}</figcaption>"
    return f'<figure class="minitheano-figure">\n{body}\n</figure>'


def plot(fig: Any, caption: str | None = None) -> str:
    """A matplotlib figure as an inline SVG figure; the figure is closed afterwards."""
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": "minitheano-book", "svg.fonttype": "path"}):
        fig.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    if fig.canvas.manager is not None:  # made with pyplot: let pyplot forget it
        import matplotlib.pyplot as plt

        plt.close(fig)
    return svg_html(buffer.getvalue(), caption)


def graph(obj: Any, caption: str | None = None, **options: Any) -> str:
    """A picture of the graph behind a function, variable(s) or FunctionGraph."""
    from minitheano.printing.svg import graph_svg

    return svg_html(graph_svg(obj, **options), caption)
