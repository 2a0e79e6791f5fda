"""pydotprint: a picture of a graph drawn by Graphviz, as in Theano (chapter 1).

Graphviz's `dot` lays graphs out beautifully, but it is a system program, not
a pip package.  `dot_source` writes the same `Picture` that `graph_svg` draws
in Graphviz's DOT language; `pydotprint` hands it to `dot` if it is
installed.  Without it, the DOT text itself (`format='dot'`) and the SVG of
`graph_svg` (`format='svg'`) can still be written; other formats raise an
error that says what to install.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import Any

from minitheano.config import config
from minitheano.printing.picture import EDGE_COLOURS, STYLES, picture
from minitheano.printing.svg import graph_svg

NOT_INSTALLED = ("pydotprint needs the `dot` program of Graphviz, which is not installed "
                 "(Debian/Ubuntu: apt install graphviz; macOS: brew install graphviz). "
                 "To draw a graph with nothing but Python use "
                 "minitheano.printing.graph_svg(obj), which returns SVG text, or "
                 "pydotprint(obj, format='svg'), which writes it; format='dot' writes the "
                 "DOT text for Graphviz to draw elsewhere.")


def dot_source(obj: Any, compact: bool = True, show_types: bool = False,
               max_label_size: int = 70, high_contrast: bool = True,
               colorCodes: dict[str, str] | None = None) -> str:  # noqa: N803 (Theano's name)
    """The graph of `obj` in the DOT language: `dot -Tpng` draws it."""
    pic = picture(obj, compact=compact, show_types=show_types, max_label=max_label_size)
    colours = dict(colorCodes or {})
    lines = ["digraph G {",
             '  graph [bgcolor="white", ranksep=0.4, nodesep=0.3];',
             '  node [fontname="monospace", fontsize=11];',
             '  edge [fontname="monospace", fontsize=9, arrowsize=0.6];']
    for shape in pic.shapes:
        stroke = STYLES[shape.kind][1]
        fill = colours.get(shape.op_class, shape.fill) if shape.op_class else shape.fill
        outline = "box" if shape.kind == "apply" else "ellipse"
        style = '"rounded,filled"' if shape.kind == "apply" else "filled"
        colour = f'fillcolor="{fill}", color="{stroke}"'
        if not high_contrast:  # Theano: colour the outline instead of filling
            style, colour = ('"rounded"' if shape.kind == "apply" else "solid"), f'color="{fill}"'
        lines.append(f'  {shape.key} [label="{_q(chr(10).join(shape.lines))}", '
                     f'shape={outline}, style={style}, {colour}, tooltip="{_q(shape.title)}"];')
    for arrow in pic.arrows:
        label = f', label="{_q(arrow.label)}"' if arrow.label else ""
        lines.append(f'  {arrow.src} -> {arrow.dst} [color="{EDGE_COLOURS[arrow.kind]}"{label}];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def pydotprint(fct: Any, outfile: str | None = None, compact: bool = True,
               format: str = "png", with_ids: bool = False,  # noqa: A002 (Theano's name)
               high_contrast: bool = True, cond_highlight: Any = None,
               colorCodes: dict[str, str] | None = None,  # noqa: N803
               max_label_size: int = 70, scan_graphs: bool = False,
               var_with_name_simple: bool = False, print_output_file: bool = True,
               return_image: bool = False) -> bytes | None:
    """Draw `fct` (Function, FunctionGraph, Variable or list) to `outfile` with Graphviz.

    Theano's signature; `with_ids`, `cond_highlight`, `scan_graphs` and
    `var_with_name_simple` are accepted and have no effect (named variables
    are always drawn by name).  `return_image=True` returns the image bytes
    instead of writing a file.  Two formats work without Graphviz:
    `format='dot'` writes the DOT text itself, and `format='svg'` the
    project's own drawing (`graph_svg`) when `dot` is missing.  Any other
    format without Graphviz raises RuntimeError saying so.
    """
    source = dot_source(fct, compact=compact, max_label_size=max_label_size,
                        high_contrast=high_contrast, colorCodes=colorCodes)
    dot = shutil.which("dot")
    if format == "dot":
        image = source.encode()
    elif dot is not None:
        run = subprocess.run([dot, f"-T{format}"], input=source.encode(), capture_output=True)
        if run.returncode != 0:
            raise RuntimeError(f"pydotprint: Graphviz failed on format {format!r}: "
                               f"{run.stderr.decode(errors='replace').strip()}")
        image = run.stdout
    elif format == "svg":
        image = graph_svg(fct, compact=compact).encode()
    else:
        raise RuntimeError(NOT_INSTALLED)
    if return_image:
        return image
    if outfile is None:
        outfile = os.path.join(config.compiledir, f"theano.pydotprint.{config.device}.{format}")
    os.makedirs(os.path.dirname(os.path.abspath(outfile)), exist_ok=True)
    with open(outfile, "wb") as f:
        f.write(image)
    if print_output_file:
        print("The output file is available at", outfile)
    return None


def _q(text: str) -> str:
    """`text` inside a DOT double-quoted string."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
