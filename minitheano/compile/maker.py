"""From what the user wrote to a graph ready to run (chapter 2).

`FunctionMaker` does, in order:

1. check the inputs, outputs, updates and givens the user passed, with errors
   that name what was wrong;
2. substitute the `givens` (in a copy: the user's graph is never changed);
3. add the default updates of shared variables (random generators);
4. build one FunctionGraph whose outputs are the user's outputs followed by
   the new values of updated variables, and whose inputs are the user's
   inputs followed by the shared variables used;
5. rewrite it (chapter 3), then protect the outputs: a DeepCopyOp in front of
   any output that would otherwise alias an input, a shared value, a
   constant or another output;
6. link it: storage cells and thunks (chapter 2's VM, chapter 5's C).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from typing import Any

from minitheano.compile.io import In, Out
from minitheano.compile.mode import Mode
from minitheano.compile.ops import deep_copy_op
from minitheano.graph.basic import Constant, Variable, clone_replace, graph_inputs
from minitheano.graph.destroy import alias_root
from minitheano.graph.fg import FunctionGraph, MissingInputError
from minitheano.graph.shared import SharedVariable
from minitheano.rewrite import rewrite_graph
from minitheano.tensor.basic import as_variable_like


class UnusedInputError(ValueError):
    """An input of the function is not needed to compute any output or update."""


def _as_pairs(pairs: Any, what: str) -> list[tuple[Any, Any]]:
    if pairs is None:
        return []
    if isinstance(pairs, dict):
        return list(pairs.items())
    # Any iterable of pairs, as in Theano: Keras passes `dict.items()`, others a
    # generator.  A lone Variable or a string is iterable too, but not of pairs.
    if isinstance(pairs, (Variable, str, bytes)) or not isinstance(pairs, Iterable):
        raise TypeError(f"{what} must be a dict or a list of (variable, value) pairs; "
                        f"got {pairs!r}")
    pairs = list(pairs)
    for p in pairs:
        if not (isinstance(p, (tuple, list)) and len(p) == 2):
            raise TypeError(f"{what} must be a dict or a list of (variable, value) pairs; "
                            f"got the element {p!r}")
    return [tuple(p) for p in pairs]


class FunctionMaker:
    """Turns (inputs, outputs, updates, givens, mode) into a linked, rewritten graph."""

    def __init__(self, inputs: Sequence[In], outputs: Sequence[Out], mode: Mode,
                 updates: Any = None, givens: Any = None, no_default_updates: Any = False,
                 on_unused_input: str = "raise") -> None:
        if on_unused_input not in ("raise", "warn", "ignore"):
            raise ValueError(f"on_unused_input must be 'raise', 'warn' or 'ignore', "
                             f"got {on_unused_input!r}")
        self.inputs = list(inputs)
        self.outputs = list(outputs)
        self.mode = mode
        input_updates = self._check_inputs()
        updates = self._check_updates(updates)
        givens = self._check_givens(givens)

        # Substitute givens in everything that will be computed.
        exprs = [o.variable for o in self.outputs] + [new for _, new in updates]
        exprs += input_updates
        if givens:
            exprs = clone_replace(exprs, givens)
        n_out, n_upd = len(self.outputs), len(updates)
        out_exprs = exprs[:n_out]
        updates = [(sv, e) for (sv, _), e in zip(updates, exprs[n_out:n_out + n_upd])]
        input_updates = exprs[n_out + n_upd:]
        updates += self._default_updates(out_exprs + [e for _, e in updates] + input_updates,
                                         updates, no_default_updates, givens)
        # `(W, W)` changes nothing: drop it rather than copy W into itself.
        self.updates = updates = [(sv, e) for sv, e in updates if e is not sv]

        input_vars = [i.variable for i in self.inputs]
        all_exprs = out_exprs + [e for _, e in updates] + input_updates
        self._check_used(input_vars, all_exprs, givens, on_unused_input)
        needed = graph_inputs(all_exprs)
        self.shared = [v for v in needed if isinstance(v, SharedVariable)]
        for sv, _ in updates:
            if sv not in self.shared:
                self.shared.append(sv)
        self._check_missing(needed, input_vars)

        self.n_outputs = n_out
        self.n_updates = len(updates)
        self.fgraph = FunctionGraph(input_vars + self.shared,
                                    out_exprs + [e for _, e in updates] + input_updates)
        # Which output is the new value of which shared variable (the CUDA linker
        # leaves those on the device when the variable lives there, chapter 6).
        self.fgraph.update_targets = {n_out + k: sv for k, (sv, _) in enumerate(updates)}
        n_in = len(self.inputs)
        self.fgraph.protected = {v for v, i in zip(self.fgraph.inputs, self.inputs)
                                 if not i.mutable}
        self.fgraph.protected.update(self.fgraph.inputs[n_in:])
        # The same, from the graph's own inputs (a clone's): a rewrite may let an update
        # overwrite its variable's old value in place (rewrite/blas.py).
        cloned = dict(zip(self.shared, self.fgraph.inputs[n_in:]))
        self.fgraph.update_of = {cloned[sv]: k for k, sv in self.fgraph.update_targets.items()}
        rewrite_graph(self.fgraph, mode)
        self._protect_outputs()

    # -- checks ---------------------------------------------------------------
    def _check_inputs(self) -> list[Variable]:
        """Check the inputs; return the new values of those with an update."""
        seen, updates = set(), []
        for k, i in enumerate(self.inputs):
            v = i.variable
            if isinstance(v, SharedVariable):
                raise TypeError(f"input {k} ({v}) is a shared variable, which a function "
                                f"reads by itself; to feed another value in its place, use "
                                f"givens={{{v}: other_variable}}")
            if isinstance(v, Constant):
                raise TypeError(f"input {k} ({v}) is a constant; inputs must be symbolic "
                                f"variables like T.dscalar('x')")
            if v.owner is not None:
                raise TypeError(f"input {k} ({v}) is computed from other variables (by "
                                f"{v.owner.op}); a function's inputs must be free variables "
                                f"(made by T.dscalar(), T.matrix(), ...)")
            if v in seen:
                raise ValueError(f"input {k} ({v}) is given twice")
            seen.add(v)
            if i.update is not None:
                if i.value is None:
                    raise ValueError(f"input {k} ({v}) has an update but no value to start "
                                     f"from")
                updates.append(as_variable_like(i.update, v, f"the update of input {k}"))
        return updates

    def _check_updates(self, updates: Any) -> list[tuple[SharedVariable, Variable]]:
        result, targets = [], set()
        for target, value in _as_pairs(updates, "updates"):
            if not isinstance(target, SharedVariable):
                raise TypeError(f"updates: {target} is not a shared variable; only shared "
                                f"variables (theano.shared(...)) can be updated")
            if target in targets:
                raise ValueError(f"updates: {target} is updated twice")
            targets.add(target)
            result.append((target, as_variable_like(value, target, "update")))
        return result

    def _check_givens(self, givens: Any) -> list[tuple[Variable, Variable]]:
        result = []
        for old, new in _as_pairs(givens, "givens"):
            if not isinstance(old, Variable):
                raise TypeError(f"givens: the key {old!r} is not a symbolic variable")
            result.append((old, as_variable_like(new, old, "givens")))
        return result

    def _default_updates(self, exprs: list[Variable], updates: list, no_default_updates: Any,
                         givens: list) -> list[tuple[SharedVariable, Variable]]:
        """Updates that shared variables ask for themselves (random generators)."""
        if no_default_updates is True:
            return []
        skip = set(no_default_updates or [])
        done = {sv for sv, _ in updates}
        added: list[tuple[SharedVariable, Variable]] = []
        pending = exprs
        while pending:  # a default update may itself use shared variables with one
            new_exprs = []
            for v in graph_inputs(pending):
                if (isinstance(v, SharedVariable) and v.default_update is not None
                        and v not in done and v not in skip):
                    done.add(v)
                    new = v.default_update
                    if givens:
                        new = clone_replace(new, givens)
                    new = as_variable_like(new, v, "default update")
                    added.append((v, new))
                    new_exprs.append(new)
            pending = new_exprs
        return added

    def _check_used(self, input_vars: list[Variable], exprs: list[Variable],
                    givens: list, on_unused_input: str) -> None:
        used = set(graph_inputs(exprs))
        for e in exprs:  # a tangent made by Rop counts its forward graph's inputs as used
            used.update(getattr(e.tag, "derived_from", ()))
        for k, v in enumerate(input_vars):
            if v in used or on_unused_input == "ignore":
                continue
            msg = (f"input {k} ({v}) of the function is not needed to compute any output or "
                   f"update. To make this error a warning, pass on_unused_input='warn' to "
                   f"function; to silence it, on_unused_input='ignore'.")
            if on_unused_input == "raise":
                raise UnusedInputError(msg)
            warnings.warn(msg, stacklevel=4)

    def _check_missing(self, needed: list[Variable], input_vars: list[Variable]) -> None:
        given = set(input_vars)
        for v in needed:
            if v in given or isinstance(v, (Constant, SharedVariable)):
                continue
            raise MissingInputError(v)

    # -- protecting outputs ---------------------------------------------------
    def _protect_outputs(self) -> None:
        """A DeepCopyOp in front of each output that would share a buffer with an
        input, a shared value, a constant or an earlier output.

        As in Theano, borrowing skips the copy: an output may be a shared value
        or a constant if `Out(borrow=True)`, an explicit input if also
        `In(borrow=True)`, an earlier output if both are borrowed.  Updates
        never borrow: a new shared value must not alias anything else.
        """
        fg = self.fgraph
        n_out = self.n_outputs
        out_borrow = [o.borrow for o in self.outputs] + [False] * (len(fg.outputs) - n_out)
        for sv, k in getattr(fg, "update_of", {}).items():
            # An update written into its own variable's buffer (in place) is no alias.
            out_borrow[k] = alias_root(fg.outputs[k]) is sv
        # For each variable an output may alias: may a borrowed output keep it?
        lendable: dict[Variable, bool] = {v: i.borrow for v, i in zip(fg.inputs, self.inputs)}
        lendable.update((v, True) for v in fg.inputs[len(self.inputs):])
        # --8<-- [start:ex-ch02-protect-outputs]
        for i, out in enumerate(list(fg.outputs)):
            root = alias_root(out)
            if root in lendable or isinstance(root, Constant):
                allowed = out_borrow[i] and lendable.get(root, True)
            else:
                allowed = True
            if not allowed:
                fg.change_input("output", i, deep_copy_op(out), reason="protect outputs")
            # Later outputs must not alias this one (unless both are borrowed).
            lendable.setdefault(root, out_borrow[i])
        # --8<-- [end:ex-ch02-protect-outputs]
