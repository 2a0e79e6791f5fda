"""Loops as graphs: `scan` and the Scan op (chapter 7).

    build.py   scan(): a step function becomes one Scan node
    spec.py    scan's argument forms, normalized; `until`, to stop early
    op.py      the Scan op: the inner graph, types, shapes
    loop.py    running it: the inner graph compiled once, stepped n times
    compiled_loop.py  the same steps in one C loop, when the body is all C (chapter 9)
    step_program.py   what that C loop runs: the program of one step
    grad.py    backpropagation through time: the gradient is another scan
    grad_shared.py  ... through shared variables the loop updates (they become states)
    connections.py  which outputs can depend on which inputs (for grad)
    shape_check.py  lengths known when the loop is built, checked then (chapter 9)
    views.py   map, reduce, foldl, foldr; jacobian and hessian as scans

`theano.scan` is the function (as in Theano), so `minitheano.scan` names it
once `minitheano` is imported: reach the modules with `from minitheano.scan
import loop`, not `import minitheano.scan.loop as loop`.
"""

from minitheano.scan.build import scan
from minitheano.scan.op import Scan
from minitheano.scan.spec import until
from minitheano.scan.views import foldl, foldr, hessian, jacobian, map, reduce  # noqa: A004

__all__ = ["Scan", "foldl", "foldr", "hessian", "jacobian", "map", "reduce", "scan", "until"]
