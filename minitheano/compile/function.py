"""`theano.function`: compile a graph into a Python callable (chapter 2).

    f = theano.function([x, y], x + y)
    f(1.5, 2.5)          # array(4.0)

`function` normalizes its arguments and hands them to `FunctionMaker`
(compile/maker.py), which builds and rewrites the graph; `Function` is the
callable it returns.  A call does as little as possible: check and store each
argument in its input cell, run the VM, collect the outputs, write the
updates.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from minitheano.compile.io import In, Out
from minitheano.compile.maker import FunctionMaker
from minitheano.compile.mode import Mode, get_mode
from minitheano.config import config
from minitheano.graph.basic import Variable
from minitheano.graph.shared import SharedVariable
from minitheano.graph.trace import user_line
from minitheano.link import link_graph


def _input_filter(var: Variable, index: int, name: str, fname: str, strict: bool,
                  allow_downcast: bool | None) -> Callable[[Any], Any]:
    """A function that checks and converts one argument, naming it when it fails."""
    vtype = var.type
    filt = vtype.filter
    fast_dtype = getattr(vtype, "numpy_dtype", None)
    fast_ndim = getattr(vtype, "ndim", None)
    no_bcast = not any(getattr(vtype, "broadcastable", ()))

    float_scalar = fast_dtype == np.float64 and fast_ndim == 0

    def check(arg: Any) -> Any:
        if (type(arg) is np.ndarray and arg.dtype == fast_dtype and arg.ndim == fast_ndim
                and no_bcast):
            return arg
        if float_scalar and type(arg) is float:  # exact: a Python float is a float64
            return np.array(arg)
        try:
            return filt(arg, strict=strict, allow_downcast=allow_downcast)
        except (TypeError, ValueError) as e:
            raise TypeError(f"Bad input argument {name!r} to function {fname} at index "
                            f"{index} (0-based), expected {vtype}: {e}") from None
    return check


class Function:
    """A compiled function.  `f.maker.fgraph` is the graph it runs."""

    def __init__(self, maker: FunctionMaker, name: str, spec: dict) -> None:
        self.maker = maker
        self.name = name
        self._spec = spec  # what `function` was called with, for copy()
        fg = maker.fgraph
        n_in = len(maker.inputs)
        # Cells: one per explicit input, the shared variables' own containers.
        self._input_cells = [[None] for _ in maker.inputs]
        for cell, inp in zip(self._input_cells, maker.inputs):
            if inp.value is not None:
                cell[0] = self._filter_default(inp)
        self._defaults = [copy.deepcopy(c[0]) if i.update is None else None
                          for c, i in zip(self._input_cells, maker.inputs)]
        given = dict(zip(fg.inputs[:n_in], self._input_cells))
        for shared_var, fg_var in zip(maker.shared, fg.inputs[n_in:]):
            given[fg_var] = shared_var.container
        keep = set(fg.inputs) | set(fg.outputs)
        self._vm = link_graph(fg, maker.mode.linker, given, keep, config.allow_gc)
        self._run = self._vm.run
        self._output_cells = [self._vm.storage[v] for v in fg.outputs]
        self._n_out = maker.n_outputs
        # Where each update's new value goes.
        self._update_targets = [sv.container for sv, _ in maker.updates]
        self._input_update_cells = [c for c, i in zip(self._input_cells, maker.inputs)
                                    if i.update is not None]
        self._filters = [_input_filter(i.variable, k, i.name or f"input {k}", name, i.strict,
                                       i.allow_downcast)
                         for k, i in enumerate(maker.inputs)]
        self._names = {}
        for k, i in enumerate(maker.inputs):
            for key in (i.name, i.variable.name):
                if key is not None:
                    self._names.setdefault(key, k)
        self._required = [k for k, i in enumerate(maker.inputs) if i.value is None]
        self._single = spec["single_output"]
        self._fast = not any(i.value is not None for i in maker.inputs)

    def _filter_default(self, inp: In) -> Any:
        try:
            return inp.variable.type.filter(inp.value, strict=inp.strict,
                                            allow_downcast=inp.allow_downcast)
        except (TypeError, ValueError) as e:
            raise TypeError(f"the default value of input {inp.name} is not a valid "
                            f"{inp.variable.type}: {e}") from None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        cells, filters = self._input_cells, self._filters
        if self._fast and not kwargs and len(args) == len(cells):
            for cell, check, arg in zip(cells, filters, args):
                cell[0] = check(arg)
        else:
            self._set_arguments(args, kwargs)
        self._run()
        outs = [cell[0] for cell in self._output_cells]
        if len(outs) > self._n_out:
            self._apply_updates(outs)
            outs = outs[:self._n_out]
        if self._defaults and not self._fast:
            for cell, default, inp in zip(cells, self._defaults, self.maker.inputs):
                if inp.value is not None and inp.update is None:
                    cell[0] = default
        if config.allow_gc:
            for cell in self._output_cells:
                cell[0] = None
        if self._single:
            return outs[0]
        return outs

    def _set_arguments(self, args: Sequence[Any], kwargs: dict) -> None:
        n = len(self._input_cells)
        if len(args) > n:
            raise TypeError(f"function {self.name} takes at most {n} arguments, "
                            f"got {len(args)}")
        given = set()
        for k, arg in enumerate(args):
            self._input_cells[k][0] = self._filters[k](arg)
            given.add(k)
        for key, arg in kwargs.items():
            k = self._names.get(key)
            if k is None:
                known = ", ".join(sorted(self._names)) or "none"
                raise TypeError(f"function {self.name} has no input named {key!r} "
                                f"(named inputs: {known})")
            if k in given:
                raise TypeError(f"function {self.name}: input {key!r} given twice")
            self._input_cells[k][0] = self._filters[k](arg)
            given.add(k)
        missing = [k for k in self._required if k not in given]
        if missing:
            names = ", ".join(str(self.maker.inputs[k].variable) for k in missing)
            raise TypeError(f"function {self.name} is missing required input(s): {names} "
                            f"(it takes {n} arguments, {len(self._required)} without default)")

    def _apply_updates(self, outs: list[Any]) -> None:
        # All new values were computed from the old ones: only now are they stored.
        k = self._n_out
        for target in self._update_targets:
            target[0] = outs[k]
            k += 1
        for cell in self._input_update_cells:
            cell[0] = outs[k]
            k += 1

    def copy(self, share_memory: bool = False, swap: dict | None = None,
             delete_updates: bool = False, name: str | None = None) -> Function:
        """A new function computing the same thing.

        swap: {old shared variable: new shared variable} to run on other state.
        delete_updates: the copy does not update anything.
        share_memory: the copy shares the default-value storage of the original.
        """
        spec = dict(self._spec)
        if swap:
            for old, new in swap.items():
                if not (isinstance(old, SharedVariable) and isinstance(new, SharedVariable)):
                    raise TypeError("swap maps shared variables to shared variables")
                if old.type != new.type:
                    raise TypeError(f"swap: {old} ({old.type}) and {new} ({new.type}) differ "
                                    f"in type")
            spec["givens"] = list(spec["givens"] or []) + list(swap.items())
            spec["updates"] = [(swap.get(sv, sv), e) for sv, e in spec["updates"] or []]
        if delete_updates:
            spec["updates"] = []
            spec["no_default_updates"] = True
        spec["name"] = name or self.name
        new = _compile(**spec)
        if share_memory:
            for k, inp in enumerate(self.maker.inputs):
                if inp.value is not None:
                    new._input_cells[k] = self._input_cells[k]
        return new

    def __repr__(self) -> str:
        return f"<minitheano Function {self.name}>"


def _compile(inputs: list[In], outputs: list[Out], single_output: bool, mode: Mode,
             updates: Any, givens: Any, no_default_updates: Any, name: str,
             on_unused_input: str) -> Function:
    maker = FunctionMaker(inputs, outputs, mode, updates, givens, no_default_updates,
                          on_unused_input)
    spec = dict(inputs=inputs, outputs=outputs, single_output=single_output, mode=mode,
                updates=updates, givens=givens, no_default_updates=no_default_updates,
                name=name, on_unused_input=on_unused_input)
    return Function(maker, name, spec)


def function(inputs: Sequence[Variable | In], outputs: Any = None, mode: str | Mode | None = None,
             updates: Any = None, givens: Any = None, no_default_updates: Any = False,
             accept_inplace: bool = False, name: str | None = None, rebuild_strict: bool = True,
             allow_input_downcast: bool | None = None, profile: Any = None,
             on_unused_input: str | None = None) -> Function:
    """Compile `outputs` as a function of `inputs` (Theano's signature).

    inputs: a list of Variables or `In`s.  outputs: a Variable (the call returns
    an array), a list (it returns a list), or None.  updates: (shared, new
    value) pairs, applied after all outputs are computed.  givens: (variable,
    replacement) pairs substituted in the graph.
    """
    if not isinstance(inputs, (list, tuple)):
        raise TypeError("the inputs of a function must be given in a list, even when there "
                        f"is only one: function([x], ...), not function(x, ...) (got {inputs})")
    where = user_line()
    name = name or (str(where) if where else "<function>")
    ins = []
    for i in inputs:
        if isinstance(i, In):
            if allow_input_downcast is not None and i.allow_downcast is None:
                i = copy.copy(i)
                i.allow_downcast = allow_input_downcast
            ins.append(i)
        elif isinstance(i, Variable):
            ins.append(In(i, allow_downcast=allow_input_downcast))
        else:
            raise TypeError(f"function inputs must be symbolic variables, got {i!r}")
    single = outputs is not None and not isinstance(outputs, (list, tuple))
    outs = []
    for o in ([] if outputs is None else [outputs] if single else list(outputs)):
        if isinstance(o, Out):
            outs.append(o)
        elif isinstance(o, Variable):
            outs.append(Out(o))
        else:
            raise TypeError(f"function outputs must be symbolic variables, got {o!r}")
    return _compile(ins, outs, single, get_mode(mode), updates, givens, no_default_updates,
                    name, on_unused_input or "raise")
