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

__version__ = "0.1.0"

__all__ = ["Apply", "Constant", "Function", "In", "Mode", "Out", "SharedVariable", "Variable",
           "OrderedUpdates", "clone_replace", "config", "dot", "foldl", "foldr", "function", "grad",
           "gradient", "ifelse", "map", "pp", "printing", "reduce", "scan", "scan_module",
           "shared", "tensor"]
