"""Descriptions of graphs and values that do not depend on where objects sit in
memory (Theano 1.0's printing.var_descriptor and friends), chapter 1.

Two runs of one program build equal graphs at different addresses; these
strings are equal for both, so they can name a computation in a cache key or
a log:

    var_descriptor(exp(x) + exp(x))  ->  'A=add(B=exp(C=x),B)'

Each variable gets a tag (A, B, ..., Z, AA, ...) where it first appears, and
is referred to by its tag after that, so shared subgraphs are written once.
"""

from __future__ import annotations

import hashlib
import string
from typing import Any

import numpy as np

from minitheano.graph.basic import Constant, Variable

LETTERS = string.ascii_uppercase


def hex_digest(x: np.ndarray) -> str:
    """A SHA-256 digest of an array's bytes, with its strides and shape (bytes
    alone do not say how they are arranged into an array)."""
    if not isinstance(x, np.ndarray):
        raise TypeError(f"hex_digest: expected a numpy array, got {type(x).__name__}")
    digest = hashlib.sha256(np.ascontiguousarray(x).tobytes()).hexdigest()
    strides = ",".join(str(s) for s in x.strides)
    shape = ",".join(str(s) for s in x.shape)
    return f"{digest}|strides=[{strides}]|shape=[{shape}]"


def position_independent_str(obj: Any) -> str:
    """A Variable described by its type alone, with no address in it."""
    if not isinstance(obj, Variable):
        raise NotImplementedError(f"position_independent_str: only Variables are described, "
                                  f"got {type(obj).__name__}")
    return f"theano_var{{type={obj.type}}}"


def _tag(k: int) -> str:
    """The k-th tag: A .. Z, then AA, AB, ... (as spreadsheet columns)."""
    tag = ""
    k += 1
    while k:
        k, r = divmod(k - 1, len(LETTERS))
        tag = LETTERS[r] + tag
    return tag


def var_descriptor(obj: Variable, _prev_obs: dict[Variable, str] | None = None) -> str:
    """One line saying fully how `obj` is computed, without memory addresses."""
    seen = {} if _prev_obs is None else _prev_obs
    if obj in seen:
        return seen[obj]
    tag = seen[obj] = _tag(len(seen))
    if obj.owner is not None:
        args = ",".join(var_descriptor(i, seen) for i in obj.owner.inputs)
        which = f"[{obj.index}]" if len(obj.owner.outputs) > 1 else ""
        body = f"{obj.owner.op}({args}){which}"
    elif isinstance(obj, Constant):
        body = f"constant{{type={obj.type},{hex_digest(np.asarray(obj.data))}}}"
    elif obj.name is not None:
        body = obj.name
    else:
        body = position_independent_str(obj)
    return f"{tag}={body}"
