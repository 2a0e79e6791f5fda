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
import operator
import time
import weakref
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from minitheano.compile import fastcall
from minitheano.compile.io import Container, In, Out
from minitheano.compile.maker import FunctionMaker
from minitheano.compile.mode import Mode, get_mode
from minitheano.compile.monitormode import MonitorMode
from minitheano.compile.profiling import ProfileStats, print_at_exit
from minitheano.config import config
from minitheano.graph.basic import Variable
from minitheano.graph.shared import SharedVariable
from minitheano.graph.trace import user_line
from minitheano.link import link_graph
from minitheano.link.c import schedule


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
        if (type(arg) is np.ndarray and arg.dtype is fast_dtype and arg.ndim == fast_ndim
                and no_bcast):
            return arg
        if float_scalar and type(arg) is float:  # exact: a Python float is a float64
            return np.array(arg)
        try:
            if isinstance(arg, Variable):
                raise TypeError(f"got the symbolic variable {arg}, but a compiled function "
                                f"takes values (arrays, numbers); for a shared variable pass "
                                f".get_value(), to substitute a variable use givens")
            if arg is None and not vtype.holds_none:
                raise TypeError(f"got None, expected a value of type {vtype}")
            return filt(arg, strict=strict, allow_downcast=allow_downcast)
        except (TypeError, ValueError) as e:
            raise TypeError(f"Bad input argument {name!r} (index {index}, 0-based) to "
                            f"function {fname}: {e}") from None
    return check


class Function:
    """A compiled function.  `f.maker.fgraph` is the graph it runs.

    Everything a call needs is prepared here, once: the input cells and their
    checks, the VM, which cells hold the outputs and where the updates go.
    """

    def __init__(self, maker: FunctionMaker, name: str | None, spec: dict,
                 swap: dict | None = None, input_cells: list[list] | None = None,
                 profile: ProfileStats | None = None) -> None:
        self.maker = maker
        self.name = name
        self.profile = profile  # see compile/profiling.py; None when not profiled
        self._spec = spec  # what `function` was called with, for copy(delete_updates=True)
        self._label = name or spec["label"]  # how error messages call this function
        fg, inputs = maker.fgraph, maker.inputs
        # Cells: one per explicit input (holding its default, if any); the
        # shared variables' own containers, so every function sees one value.
        if input_cells is None:
            input_cells = [self._initial_cell(i) for i in inputs]
        self._input_cells = input_cells
        # A default is put back before each call that does not give the argument
        # (a call may have stored another value in the input's cell); it is kept
        # in a cell of its own, which `f[x] = value` changes.  An input whose value
        # is another function's Container, or that has an update, keeps its cell.
        self._defaults = [(k, [copy.deepcopy(cell[0])])
                          for k, (cell, i) in enumerate(zip(input_cells, inputs))
                          if i.value is not None and i.update is None
                          and not isinstance(i.value, Container)]
        swap = swap or {}
        state = [swap.get(sv, sv) for sv in maker.shared]
        given = dict(zip(fg.inputs, input_cells + [sv.container for sv in state]))
        keep = set(fg.inputs) | set(fg.outputs)
        self._vm = link_graph(fg, maker.mode.linker, given, keep, config.allow_gc,
                              profile.instrument if profile is not None else None,
                              maker.mode.monitor if isinstance(maker.mode, MonitorMode) else None)
        # The VM's loop, or the same loop in C where the nodes have C kernels (chapter 5).
        run = schedule.c_run(self._vm) if profile is None else None
        self._run = run or (self._vm.run if profile is None else profile.timed_run(self._vm.run))
        self._output_cells = [self._vm.storage[v] for v in fg.outputs]
        # After a call the function lets go of the results it computed (not of
        # inputs, shared values or constants that an output may be, when borrowed).
        self._owned_output_cells = ([self._vm.storage[v] for v in fg.outputs
                                     if v.owner is not None] if config.allow_gc else [])
        self._n_out = maker.n_outputs
        # Where each update's new value goes, in the order of fg.outputs.
        self._update_cells = ([swap.get(sv, sv).container for sv, _ in maker.updates]
                              + [c for c, i in zip(input_cells, inputs) if i.update is not None])
        self._filters = [_input_filter(i.variable, k, i.name or f"input {k}", self._label,
                                       i.strict, i.allow_downcast)
                         for k, i in enumerate(inputs)]
        # Keyword arguments: by In name first, then by variable name.
        self._names: dict[str, int] = {}
        for k, i in enumerate(inputs):
            if i.name is not None:
                self._names.setdefault(i.name, k)
        for k, i in enumerate(inputs):
            if i.variable.name is not None:
                self._names.setdefault(i.variable.name, k)
        self._required = [k for k, i in enumerate(inputs) if i.value is None]
        self._single = spec["single_output"]
        self._one_result = self._single and len(self._output_cells) == 1
        # The C call path (compile/fastcall.py) where it can be built; not for a function
        # with updates (a training step, whose call is a small part of its time): its
        # updates are stored by _call_python, as chapter 2 teaches (and asks, exercise 2.2).
        fast = (fastcall.fast_call(self, self._weak_call_python())
                if not self._update_cells else None)
        self._call = fast or self._call_python

    def _weak_call_python(self) -> Callable[..., Any]:
        """`_call_python` for the FastCall this function holds, holding the function
        weakly: with `self._call_python` the two would hold each other, and a
        function dropped by its user would keep its arrays (its kept intermediates
        among them) until Python's cycle collector next ran."""
        function = weakref.ref(self)

        def call(*args: Any, **kwargs: Any) -> Any:
            return function()._call_python(*args, **kwargs)
        return call

    def _initial_cell(self, inp: In) -> list:
        if isinstance(inp.value, Container):
            return inp.value.storage
        return [None if inp.value is None else self._filter_default(inp)]

    def _filter_default(self, inp: In) -> Any:
        try:
            return inp.variable.type.filter(inp.value, strict=inp.strict,
                                            allow_downcast=inp.allow_downcast)
        except (TypeError, ValueError) as e:
            raise TypeError(f"the default value of input {inp.name} is not a valid "
                            f"{inp.variable.type}: {e}") from None

    # What `f(...)` runs: the C call path (compile/fastcall.py) where it could be
    # built and the function has no updates, else `_call_python`.  A property whose
    # getter is C (attrgetter): `f(...)` looks up `__call__` on the class and calls
    # what it gets, with no Python frame in between.
    __call__ = property(operator.attrgetter("_call"))

    def _call_python(self, *args: Any, **kwargs: Any) -> Any:
        """A call, in Python: the readable version, and the C path's fallback."""
        cells = self._input_cells
        if kwargs or len(args) != len(cells):
            self._set_arguments(args, kwargs)
        else:  # the common case: every input given, in order
            for cell, check, arg in zip(cells, self._filters, args):
                cell[0] = check(arg)
        self._run()
        if self._one_result:  # one output, no update: skip building lists
            cell = self._output_cells[0]
            out = cell[0]
            if self._owned_output_cells:
                cell[0] = None
            return out
        outs = [cell[0] for cell in self._output_cells]
        if self._update_cells:
            # --8<-- [start:ex-ch02-apply-updates]
            # All new values were computed from the old ones: only now are they stored.
            for cell, value in zip(self._update_cells, outs[self._n_out:]):
                cell[0] = value
            del outs[self._n_out:]
            # --8<-- [end:ex-ch02-apply-updates]
        for cell in self._owned_output_cells:
            cell[0] = None
        return outs[0] if self._single else outs

    def _set_arguments(self, args: Sequence[Any], kwargs: dict) -> None:
        """Store positional and keyword arguments; fill in defaults; complain."""
        cells, n = self._input_cells, len(self._input_cells)
        if len(args) > n:
            raise TypeError(f"function {self._label} takes at most {n} argument(s), "
                            f"got {len(args)}")
        # --8<-- [start:ex-ch02-bind-arguments]
        given = set(range(len(args)))
        for key in kwargs:
            k = self._names.get(key)
            if k is None:
                known = ", ".join(sorted(self._names)) or "none"
                raise TypeError(f"function {self._label} has no input named {key!r} "
                                f"(named inputs: {known})")
            if k in given:
                raise TypeError(f"function {self._label}: input {key!r} (index {k}) is given "
                                f"twice")
            given.add(k)
        missing = [k for k in self._required if k not in given]
        if missing:
            names = ", ".join(f"{self.maker.inputs[k].variable} (index {k})" for k in missing)
            raise TypeError(f"function {self._label} is missing required input(s): {names}; "
                            f"it takes {n} argument(s), {len(self._required)} without default")
        for k, default in self._defaults:
            if k not in given:
                cells[k][0] = default[0]
        for k, arg in enumerate(args):
            cells[k][0] = self._filters[k](arg)
        for key, arg in kwargs.items():
            k = self._names[key]
            cells[k][0] = self._filters[k](arg)
        # --8<-- [end:ex-ch02-bind-arguments]

    def copy(self, share_memory: bool = False, swap: dict | None = None,
             delete_updates: bool = False, name: str | None = None) -> Function:
        """A new function computing the same thing.

        swap: {old shared variable: new shared variable}: the copy reads and
            updates the new ones instead (same type required).
        delete_updates: the copy updates nothing.
        share_memory: the copy shares the cells of inputs that have a value
            (defaults and internal state, `In(..., update=...)`); otherwise its
            cells start from the values given at compile time.
        name: the copy's name (default: this one's + " copy").
        """
        swap = dict(swap or {})
        for old, new in swap.items():
            if old not in self.maker.shared:
                raise ValueError(f"swap: shared variable {old} is not used by function "
                                 f"{self._label}")
            if not isinstance(new, SharedVariable):
                raise TypeError(f"swap: {old} must be replaced by a shared variable, got {new!r}")
            if old.type != new.type:
                raise TypeError(f"swap: {old} ({old.type}) and {new} ({new.type}) differ in "
                                f"type")
        if name is None and self.name is not None:
            name = self.name + " copy"
        maker, spec = self.maker, self._spec
        if delete_updates:
            spec = dict(spec, updates=None, no_default_updates=True, on_unused_input="ignore",
                        inputs=[_without_update(i) for i in spec["inputs"]])
            maker = _make(spec)
        cells = None
        if share_memory:
            cells = [[None] for _ in maker.inputs]
            for k, inp in enumerate(self.maker.inputs):
                if inp.value is not None:
                    cells[k] = self._input_cells[k]
            for k, inp in enumerate(maker.inputs):
                if inp.value is not None and cells[k][0] is None:
                    cells[k][0] = self._filter_default(inp)
        return Function(maker, name, spec, swap, cells)

    # -- the inputs' containers, as in Theano's library/compile/io ----------------
    def _index(self, key: Any) -> int:
        """The position of an input given by position, name or variable."""
        inputs = self.maker.inputs
        if isinstance(key, str) and key in self._names:
            return self._names[key]
        if isinstance(key, Variable):
            for k, i in enumerate(inputs):
                if i.variable is key:
                    return k
        if isinstance(key, int) and -len(inputs) <= key < len(inputs):
            return key % len(inputs)
        known = ", ".join(sorted(self._names)) or "none"
        raise KeyError(f"function {self._label} has no input {key!r} (named inputs: {known}; "
                       f"or give the variable or the position)")

    @property
    def container(self) -> _Containers:
        """`f.container[x]` (or `['name']`, or `[0]`): the Container of an input."""
        return _Containers(self)

    @property
    def input_storage(self) -> list[Container]:
        """The containers of the explicit inputs, then of the shared variables used."""
        own = [self.container[k] for k in range(len(self._input_cells))]
        return own + [Container(sv, sv.container, sv.name) for sv in self.maker.shared]

    def __getitem__(self, key: Any) -> Any:
        """The value an input has when a call does not give it (its default)."""
        return self.container[key].value

    def __setitem__(self, key: Any, value: Any) -> None:
        self.container[key].value = value

    # -- pickling and deep copies: compile again from what `function` was given ----
    def __reduce__(self) -> tuple:
        values = [cell[0] for cell in self._input_cells]
        defaults = [(k, cell[0]) for k, cell in self._defaults]
        return (_unpickle_function, (self._spec, self.name, values, defaults))

    def __repr__(self) -> str:
        return f"<minitheano Function {self._label}>"


class _Containers:
    """`f.container`: indexing it gives an input's Container."""

    def __init__(self, function: Function) -> None:
        self._function = function

    def __getitem__(self, key: Any) -> Container:
        f = self._function
        k = f._index(key)
        inp = f.maker.inputs[k]
        storage = dict(f._defaults).get(k, f._input_cells[k])
        return Container(inp.variable, storage, inp.name, inp.strict, inp.allow_downcast)


def _unpickle_function(spec: dict, name: str | None, values: list, defaults: list) -> Function:
    f = Function(_make(spec), name, spec)
    for cell, value in zip(f._input_cells, values):
        cell[0] = value
    for (_, cell), (_, value) in zip(f._defaults, defaults):
        cell[0] = value
    return f


def _without_update(inp: In) -> In:
    if inp.update is None:
        return inp
    new = copy.copy(inp)
    new.update = None
    return new


def _make(spec: dict) -> FunctionMaker:
    return FunctionMaker(spec["inputs"], spec["outputs"], spec["mode"], spec["updates"],
                         spec["givens"], spec["no_default_updates"], spec["on_unused_input"])


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
    # Any iterable of pairs (Keras passes dict.items()), kept as a list: the
    # function may be made again from them (a copy, a pickle).
    if updates is not None and not isinstance(updates, (dict, list, tuple, Variable)):
        updates = list(updates)
    if givens is not None and not isinstance(givens, (dict, list, tuple, Variable)):
        givens = list(givens)
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
    spec = dict(inputs=ins, outputs=outs, single_output=single, mode=get_mode(mode),
                updates=updates, givens=givens, no_default_updates=no_default_updates,
                on_unused_input=on_unused_input or "raise",
                label=f"defined at {where}" if where else "<unnamed>")
    stats = _profile_stats(profile, name or spec["label"])
    if stats is None:
        return Function(_make(spec), name, spec)
    start = time.perf_counter()
    f = Function(_make(spec), name, spec, profile=stats)
    stats.compile_seconds += time.perf_counter() - start
    return f


def _profile_stats(profile: Any, message: str) -> ProfileStats | None:
    """`profile=` of `function`: True, a ProfileStats to add to, or None/False
    (then `config.profile` decides, and its profiles print at exit)."""
    if isinstance(profile, ProfileStats):
        return profile
    if profile:
        return ProfileStats(message)
    if profile is None and config.profile:
        stats = ProfileStats(message)
        print_at_exit(stats)
        return stats
    return None
