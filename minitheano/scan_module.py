"""Theano's name for its loop module, so that Theano code runs unchanged (chapter 7):
`theano.scan_module.until(condition)` ends a loop early, and
`theano.scan_module.scan` is `theano.scan`, `theano.clone` (defined
here in Theano) copies a graph with replacements, and `theano.scan_checkpoints`
is scan without its memory saving.  The loop's code is in minitheano/scan/."""

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


def scan_checkpoints(fn: Any, sequences: Any = None, outputs_info: Any = None,
                     non_sequences: Any = None, name: str = "checkpointscan_fn",
                     n_steps: Any = None, save_every_N: int = 10,
                     padding: bool = True) -> tuple[Any, Any]:
    """Theano's scan that keeps only every `save_every_N`-th state for the
    gradient and recomputes the others.  Here it is `scan` itself: the values
    and gradients are the same, but every step's state is kept (no saving of
    memory), and `padding` has nothing to pad."""
    if not isinstance(save_every_N, int) or save_every_N < 1:
        raise ValueError(f"scan_checkpoints: save_every_N must be a positive int, "
                         f"got {save_every_N!r}")
    return scan(fn, sequences=sequences, outputs_info=outputs_info,
                non_sequences=non_sequences, n_steps=n_steps, name=name)


__all__ = ["clone", "scan", "scan_checkpoints", "until"]
