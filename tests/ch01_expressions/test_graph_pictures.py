"""Pictures of graphs: graph_svg, its layered layout, and pydotprint (chapter 1)."""

import itertools
import os
import stat
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import minitheano as theano
from minitheano import tensor as T
from minitheano.graph.basic import Constant, graph_inputs, toposort
from minitheano.graph.shared import SharedVariable
from minitheano.printing import dot as dot_module
from minitheano.printing import dot_source, graph_svg, pydotprint
from minitheano.printing.layout import layered_layout
from minitheano.printing.picture import STYLES

SVG = "{http://www.w3.org/2000/svg}"
# What a monospace font really advances per character, in em (DejaVu Sans Mono,
# Menlo: 0.602; Consolas 0.55); graph_svg sizes its boxes with a little more.
EM_ADVANCE = 0.605


def logistic_graph():
    x = T.dmatrix("x")
    y = T.dvector("y")
    W = theano.shared(np.zeros((3, 3)), name="W")
    b = theano.shared(np.zeros(3), name="b")
    p = 1 / (1 + T.exp(-T.dot(x, W) - b))
    cost = ((p - y) ** 2).sum() + 0.01 * (W ** 2).sum()
    return [p, cost]


def deep_graph(n_layers):
    x = T.dmatrix("x")
    W = theano.shared(np.zeros((3, 3)), name="W")
    b = theano.shared(np.zeros(3), name="b")
    h = x
    for i in range(n_layers):
        h = T.tanh(T.dot(h, W) + b) * (h if i % 3 else x)
    return h


def parse(svg):
    root = ET.fromstring(svg)
    nodes = {g.get("data-key"): g for g in root.iter(SVG + "g")
             if "node" in (g.get("class") or "").split()}
    edges = [g for g in root.iter(SVG + "g") if g.get("class") == "edge"]
    return root, nodes, edges


def kind(group):
    return group.get("class").split()[1]


def bounds(group):
    """(left, top, right, bottom) of a node's box or ellipse."""
    rect, ellipse = group.find(SVG + "rect"), group.find(SVG + "ellipse")
    if rect is not None:
        x, y, w, h = (float(rect.get(a)) for a in ("x", "y", "width", "height"))
        return x, y, x + w, y + h
    cx, cy, rx, ry = (float(ellipse.get(a)) for a in ("cx", "cy", "rx", "ry"))
    return cx - rx, cy - ry, cx + rx, cy + ry


def test_one_shape_per_node_input_output_and_constant():
    outputs = logistic_graph()
    root, nodes, edges = parse(graph_svg(outputs))
    kinds = [kind(g) for g in nodes.values()]
    leaves = graph_inputs(outputs)
    assert kinds.count("apply") == len(toposort(outputs))
    assert kinds.count("constant") == sum(isinstance(v, Constant) for v in leaves)
    assert kinds.count("shared") == sum(isinstance(v, SharedVariable) for v in leaves) == 2
    assert kinds.count("input") == 2 and kinds.count("output") == 2
    # Every arrow: one per input of each node, one into each output.
    assert len(edges) == sum(len(n.inputs) for n in toposort(outputs)) + len(outputs)
    for e in edges:
        assert e.get("data-from") in nodes and e.get("data-to") in nodes
    # Colours follow the kind of shape.
    for g in nodes.values():
        outline = g.find(SVG + "rect") if kind(g) == "apply" else g.find(SVG + "ellipse")
        assert outline.get("stroke") == STYLES[kind(g)][1]


def test_arrows_join_the_right_shapes_with_input_numbers():
    x, y = T.dvectors("x", "y")
    root, nodes, edges = parse(graph_svg([x - y, x + y]))
    label = {key: g.find(SVG + "text").text for key, g in nodes.items()}
    arrows = {(label[e.get("data-from")], label[e.get("data-to")],
               getattr(e.find(SVG + "text"), "text", None)) for e in edges}
    sub, add = "Elemwise{sub,no_inplace}", "Elemwise{add,no_inplace}"
    assert arrows == {("x", sub, "0"), ("y", sub, "1"),
                      ("x", add, None), ("y", add, None),  # + commutes: no numbers
                      (sub, "out0", None), (add, "out1", None)}  # unnamed: short names


def test_unnamed_variables_get_short_names_from_the_code_or_letters():
    x = T.dscalar()
    y = T.dscalar()
    z = x + y
    root, nodes, _ = parse(graph_svg(z))
    texts = sorted(g.find(SVG + "text").text for g in nodes.values())
    assert texts == ["Elemwise{add,no_inplace}", "x", "y", "z"]  # as the code says
    titles = [g.find(SVG + "title").text for g in nodes.values() if kind(g) != "apply"]
    assert all("TensorType(float64, scalar)" in t for t in titles)  # the type: the tooltip
    both = x + T.dscalar()  # two unnamed variables built on one line: neither is `both`
    texts = sorted(g.find(SVG + "text").text for g in parse(graph_svg(both))[1].values())
    assert texts == ["Elemwise{add,no_inplace}", "a", "out", "x"]
    taken = T.dvector("a")
    root, nodes, _ = parse(graph_svg([taken * 2, taken + T.dvector()]))  # no assignment
    texts = sorted(g.find(SVG + "text").text for g in nodes.values())
    assert {"a", "b", "out0", "out1"} <= set(texts)  # a is taken: the unnamed input is b


@pytest.mark.parametrize("build", [logistic_graph, lambda: deep_graph(12)],
                         ids=["logistic", "deep"])
def test_boxes_do_not_overlap_and_text_fits(build):
    root, nodes, _ = parse(graph_svg(build(), show_types=True))
    boxes = [bounds(g) for g in nodes.values()]
    for a, b in itertools.combinations(boxes, 2):
        assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)
    left, top, width, height = map(float, root.get("viewBox").split())
    for g, (x0, y0, x1, y1) in zip(nodes.values(), boxes):
        assert left <= x0 and x1 <= width and top <= y0 and y1 <= height
        texts = g.findall(SVG + "text")
        for t in texts:
            half_w = len(t.text) * EM_ADVANCE * float(t.get("font-size")) / 2
            half_h = float(t.get("font-size")) * 0.6
            cx, cy = float(t.get("x")), float(t.get("y")) - float(t.get("font-size")) * 0.35
            corners = [(cx + sx * half_w, cy + sy * half_h) for sx in (-1, 1) for sy in (-1, 1)]
            if kind(g) == "apply":
                assert all(x0 < px < x1 and y0 < py < y1 for px, py in corners), t.text
            else:
                ex, ey, rx, ry = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2, (y1 - y0) / 2
                assert all(((px - ex) / rx) ** 2 + ((py - ey) / ry) ** 2 <= 1 for px, py in corners)


def test_svg_is_deterministic_self_contained_and_embeddable():
    first, second = graph_svg(logistic_graph()), graph_svg(logistic_graph())
    assert first == second
    root = ET.fromstring(first)
    assert root.tag == SVG + "svg" and len(root.get("viewBox").split()) == 4
    assert not first.startswith("<?xml") and "\n\n" not in first
    assert all(el.get("id") is None for el in root.iter())  # nothing to clash on a page
    assert all(el.tag.split("}")[1] not in ("script", "style", "image", "use", "foreignObject")
               for el in root.iter())
    assert "http" not in first.replace('xmlns="http://www.w3.org/2000/svg"', "")
    # Hover titles say where each node was built, by file name: no directories.
    assert "test_graph_pictures.py:" in first and os.path.dirname(__file__) not in first
    _, nodes, edges = parse(first)
    assert all(g[0].tag == SVG + "title" and g[0].text for g in [*nodes.values(), *edges])


def test_title_types_named_intermediates_and_compact():
    x = T.dscalar("x")  # a scalar: the constant 2 needs no broadcasting DimShuffle
    h = T.tanh(x)
    h.name = "h"
    y = h * 2
    svg = graph_svg(y, title="tanh & double", show_types=True)
    root, nodes, edges = parse(svg)
    assert root.find(SVG + "title").text == "tanh & double"
    kinds = sorted(kind(g) for g in nodes.values())
    assert kinds == ["apply", "apply", "constant", "input", "output", "variable"]
    assert "TensorType(float64, scalar)" in [t.text for t in root.iter(SVG + "text")]
    # compact=False: every intermediate gets its ellipse, including unnamed ones.
    z = T.exp(x) + 1
    assert [kind(g) for g in parse(graph_svg(z, compact=False))[1].values()].count("variable") == 1
    assert [kind(g) for g in parse(graph_svg(z))[1].values()].count("variable") == 0


def test_compiled_functions_and_views():
    x = T.dvector("x")
    f = theano.function([x], [x.dimshuffle("x", 0) * 2, x])
    root, nodes, edges = parse(graph_svg(f))
    kinds = [kind(g) for g in nodes.values()]
    assert kinds.count("apply") == len(f.maker.fgraph.toposort()) and kinds.count("output") == 2
    colours = {e.find(SVG + "path").get("stroke") for e in edges}
    assert "#1f5fa8" in colours  # DimShuffle's output is a view of its input: a blue arrow
    assert graph_svg(f.maker.fgraph) == graph_svg(f)


def test_a_hundred_node_graph():
    h = deep_graph(20)
    assert len(toposort([h])) == 100
    root, nodes, edges = parse(graph_svg(h))
    assert [kind(g) for g in nodes.values()].count("apply") == 100


def test_layered_layout_layers_orders_and_rejects_cycles():
    # a, b on top; c, d below; a -> d, b -> c: the sweeps must uncross them.
    sizes = [(40.0, 20.0)] * 4
    lay = layered_layout(sizes, [(0, 3, 0.5), (1, 2, 0.5)])
    assert lay.layer == [0, 0, 1, 1]
    assert (lay.x[0] < lay.x[1]) == (lay.x[3] < lay.x[2])
    # A source joins the layer just above its consumer; long edges bend per layer.
    chain = [(0, 1, 0.5), (1, 2, 0.5), (2, 3, 0.5), (4, 3, 0.5), (0, 3, 0.25)]
    lay = layered_layout([(30.0, 20.0)] * 5, chain)
    assert lay.layer == [0, 1, 2, 3, 2]
    assert [layer for _, layer in lay.bends[-1]] == [1, 2]
    with pytest.raises(ValueError, match="cycle"):
        layered_layout(sizes, [(0, 1, 0.5), (1, 0, 0.5)])


def test_dot_source_and_pydotprint(tmp_path, monkeypatch):
    x = T.dvector("x")
    y = T.exp(x) - 1
    y.name = 'say "y"'
    src = dot_source(y)
    assert src.startswith("digraph G {") and src.rstrip().endswith("}")
    arrows = [line for line in src.splitlines() if " -> n" in line]
    assert len(arrows) == sum(len(n.inputs) for n in toposort([y])) + 1
    assert '\\"y\\"' in src
    assert 'label="1"' in src  # the second input of sub
    # Without Graphviz: a clear error that points to graph_svg.
    monkeypatch.setattr(dot_module.shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match="Graphviz.*graph_svg"):
        pydotprint(y, outfile=str(tmp_path / "g.png"))
    monkeypatch.undo()
    # With a stand-in `dot` that echoes its input, the plumbing can be checked.
    fake = tmp_path / "bin" / "dot"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\ncat\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    out = tmp_path / "pics" / "g.png"
    assert pydotprint(y, outfile=str(out), print_output_file=False) is None
    assert out.read_text() == src
    assert pydotprint(y, return_image=True) == src.encode()
