"""Printing graphs: as expressions, as trees, as pictures (chapter 1).

    theano.pp(y)                          '1 / (1 + exp(-x))'     pretty.py
    theano.printing.debugprint(f)         Theano's indented tree  debug.py
    theano.printing.graph_svg(f)          an SVG picture          svg.py (+ picture.py, layout.py)
    theano.printing.pydotprint(f, 'g.png')  Graphviz, if installed  dot.py
    theano.printing.min_informative_str(y)  a tree down to names  informative.py
    theano.printing.Print('x')(x)         prints x when f runs    print_op.py
    theano.printing.var_descriptor(y)     one line, no addresses  descriptor.py

Printing reads graphs and knows nothing of tensors or of the compiler (it
imports only graph/), so every stage can use it, including the scalar ops
that name themselves with `pretty.expressions`.
"""

from minitheano.printing.debug import char_from_number, debugprint
from minitheano.printing.descriptor import hex_digest, position_independent_str, var_descriptor
from minitheano.printing.dot import dot_source, pydotprint
from minitheano.printing.informative import min_informative_str
from minitheano.printing.pretty import OPERATORS, expressions, pp, pprint
from minitheano.printing.print_op import Print
from minitheano.printing.svg import graph_svg

__all__ = ["OPERATORS", "Print", "char_from_number", "debugprint", "dot_source", "expressions",
           "graph_svg", "hex_digest", "min_informative_str", "position_independent_str", "pp",
           "pprint", "pydotprint", "var_descriptor"]
