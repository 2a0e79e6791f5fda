"""Theano's name for its loop module, so that Theano code runs unchanged (chapter 7):
`theano.scan_module.until(condition)` ends a loop early, and
`theano.scan_module.scan` is `theano.scan`, and `theano.clone` (defined
here in Theano) copies a graph with replacements.  The loop's code is in
minitheano/scan/."""

from typing import Any

from minitheano.graph.basic import clone_replace
from minitheano.scan.build import scan
from minitheano.scan.spec import until


def clone(output: Any, replace: Any = None, strict: bool = True,
          share_inputs: bool = True) -> Any:
    """A copy of `output` (a variable or a list) with the variables that are
    keys of `replace` replaced by their values (`theano.clone`).  The inputs
    are always shared between the copy and the original."""
    if not share_inputs:
        raise NotImplementedError("clone: share_inputs=False (fresh copies of the inputs) is "
                                  "not supported; the copy always shares its inputs")
    return clone_replace(output, replace)


__all__ = ["clone", "scan", "until"]
