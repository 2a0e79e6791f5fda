"""minitheano: a small but complete reimplementation of the Theano tensor compiler.

    import minitheano as theano
    from minitheano import tensor as T

    x, y = T.dscalars('x', 'y')
    f = theano.function([x, y], x + y)
    f(1.5, 2.5)            # array(4.0)

The package follows the compiler's pipeline: graph/ (chapter 1) -> rewrite/
(chapter 3) -> link/ (chapters 2, 5, 6) -> compile/ (chapter 2); tensor/
builds graphs and gradient.py differentiates them (chapter 4).
"""

from minitheano.config import config  # noqa: I001
from minitheano import tensor
from minitheano.tensor import dot
from minitheano.graph.basic import Apply, Constant, Variable, clone_replace
from minitheano import printing
from minitheano.printing import pp
from minitheano.compile import (
    Function,
    In,
    Mode,
    Out,
    SharedVariable,
    function,
    shared,
)
from minitheano import gradient
from minitheano.gradient import grad
from minitheano import ifelse  # the module, as `theano.ifelse.ifelse`
from minitheano.scan import foldl, foldr, map, reduce, scan  # noqa: A004
from minitheano import scan_module  # Theano's name: theano.scan_module.until
from minitheano.updates import OrderedUpdates
# More of Theano 1.0's top-level names (the book's appendix lists them all).
from minitheano.compile import FunctionMaker, OpFromGraph, as_op
from minitheano.gradient import Lop, Rop, subgraph_grad
from minitheano.graph.fg import FunctionGraph, InconsistencyError
from minitheano.graph.op import Op
from minitheano.graph.type import Generic, Type, generic
from minitheano.printing import pprint
from minitheano.scan_module import clone, scan_checkpoints

# Theano 1.0's theano.change_flags: a `with` block or a decorator.
change_flags = config.change_flags

__version__ = "0.1.0"

__all__ = ["Apply", "Constant", "Function", "In", "Mode", "Out", "SharedVariable", "Variable",
           "OrderedUpdates", "clone_replace", "config", "dot", "foldl", "foldr", "function", "grad",
           "gradient", "ifelse", "map", "pp", "printing", "reduce", "scan", "scan_module",
           "shared", "tensor", "FunctionGraph", "FunctionMaker", "Lop", "Op", "OpFromGraph",
           "Rop", "Type", "as_op", "Generic", "change_flags", "clone", "generic", "pprint",
           "scan_checkpoints", "subgraph_grad", "InconsistencyError"]
