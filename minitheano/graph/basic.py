"""The expression graph: Variables, Apply nodes and Constants (chapter 1).

A graph is two kinds of object pointing at each other:

* a `Variable` is a value that will exist when the function runs (`x`, `x + y`);
  it has a `type` (what values it may hold) and, if it was computed, an `owner`;
* an `Apply` node is one application of an `Op` to input Variables, producing
  output Variables.

    x ----\\
           Apply(op=add) ---> z        z.owner.inputs == [x, y]
    y ----/

Nothing is computed here: these objects only *describe* a computation.  The
walks at the bottom of the file (`toposort`, `graph_inputs`, `clone`) are the
few graph algorithms every later chapter needs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from minitheano.graph.trace import UserLine, user_line

if TYPE_CHECKING:
    from minitheano.graph.op import Op
    from minitheano.graph.type import Type


class Scratchpad(SimpleNamespace):
    """An object to hang attributes on: a Variable's `tag`."""


class TestValueError(AttributeError):
    """A Variable has no test value (chapter 9): no `tag.test_value`, not a
    constant, not a shared variable."""

    __test__ = False  # not a test class, whatever pytest thinks of its name


class VariableTag(Scratchpad):
    """A Variable's `tag`: `tag.test_value = v` is checked against the variable's
    type when it is set (chapter 9), as Theano's was, so a wrong test value is
    refused at the line that gives it, not at the first op that reads it."""

    def __init__(self, variable: Variable | None = None, **notes: Any) -> None:
        # (None only while unpickling: the state restored next brings the variable.)
        object.__setattr__(self, "_variable", variable)
        super().__init__(**notes)

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "test_value" and self._variable is not None:
            var = self._variable
            try:
                value = var.type.filter(value)
            except (TypeError, ValueError) as e:
                raise type(e)(f"the test value given for {var} ({var.type}) does not fit "
                              f"its type: {e}") from None
        super().__setattr__(name, value)

    def notes(self) -> dict[str, Any]:
        """The attributes hung on the tag (what a clone copies)."""
        return {k: v for k, v in vars(self).items() if k != "_variable"}


class Variable:
    """A symbolic value: its `type`, the `owner` Apply that computes it (None for
    an input), its position `index` among the owner's outputs, and a `name`."""

    def __init__(self, type: Type, owner: Apply | None = None, index: int | None = None,
                 name: str | None = None) -> None:
        self.type = type
        self.owner = owner
        self.index = index
        self.name = name
        self.trace: UserLine | None = user_line()

    @property
    def tag(self) -> Scratchpad:
        """Theano's free-form notes on a variable (`x.tag.test_value = ...`),
        made when first asked for: most variables never need one."""
        tag = self.__dict__.get("_tag")
        if tag is None:
            tag = self.__dict__["_tag"] = VariableTag(self)
        return tag

    def get_test_value(self) -> Any:
        """The value this variable stands for while the graph is being built
        (chapter 9): `tag.test_value`, given by the user or computed node by
        node when `config.compute_test_value` is on.  TestValueError if none."""
        tag = self.__dict__.get("_tag")
        if tag is None or not hasattr(tag, "test_value"):
            raise TestValueError(f"{self} has no test value (give one with "
                                 f"`{self.name or 'var'}.tag.test_value = ...`)")
        return tag.test_value

    def __str__(self) -> str:
        if self.name is not None:
            return self.name
        if self.owner is not None:
            return f"{self.owner.op}.{self.index}"
        return f"<{self.type}>"

    def __repr__(self) -> str:
        return str(self)

    def clone(self) -> Variable:
        """A new Variable of the same type and name, with no owner."""
        v = type(self)(self.type, name=self.name)
        v.trace = self.trace
        if "_tag" in self.__dict__:
            v.__dict__["_tag"] = VariableTag(v, **self._tag.notes())
        return v


class Constant(Variable):
    """A Variable whose value is known when the graph is built.

    Two constants with equal type and data are interchangeable, which is what
    `signature` is for: chapter 3 merges them into one.
    """

    def __init__(self, type: Type, data: Any, name: str | None = None) -> None:
        super().__init__(type, name=name)
        self.data = type.filter(data)

    def signature(self) -> tuple:
        return (self.type, self.type.data_key(self.data))

    def get_test_value(self) -> Any:
        """A constant's test value is its value."""
        return self.data

    def __str__(self) -> str:
        if self.name is not None:
            return self.name
        return f"{type(self).__name__}{{{self.type.short_str(self.data)}}}"

    def clone(self) -> Constant:
        c = type(self)(self.type, self.data, name=self.name)
        c.trace = self.trace
        return c


class Apply:
    """One application of `op` to `inputs`, producing `outputs`.

    The constructor makes each output point back at this node, so from any
    Variable one can walk up the whole computation that produces it.
    """

    def __init__(self, op: Op, inputs: Sequence[Variable], outputs: Sequence[Variable]) -> None:
        self.op = op
        self.inputs = list(inputs)
        self.outputs = list(outputs)
        # --8<-- [start:ex-ch01-apply-owner]
        for i, out in enumerate(self.outputs):
            if out.owner is not None and out.owner is not self:
                raise ValueError(f"output {i} of {op} already belongs to another node")
            out.owner = self
            out.index = i
        # --8<-- [end:ex-ch01-apply-owner]

    @property
    def out(self) -> Variable:
        """The only output (an error if there are several)."""
        if len(self.outputs) != 1:
            raise AttributeError(f"{self.op} has {len(self.outputs)} outputs, not one")
        return self.outputs[0]

    def __str__(self) -> str:
        return f"{self.op}({', '.join(map(str, self.inputs))})"

    def __repr__(self) -> str:
        return str(self)

    def clone_with_new_inputs(self, inputs: Sequence[Variable]) -> Apply:
        """The same computation applied to other inputs.

        If every new input has the type of the one it replaces, the node is
        copied as it is; otherwise `op.make_node` is asked again, so types
        (and broadcasting) are re-derived.
        """
        if all(new.type == old.type for new, old in zip(inputs, self.inputs, strict=True)):
            outputs = [out.clone() for out in self.outputs]
            for new, old in zip(outputs, self.outputs, strict=True):
                new.owner = None
                new.trace = old.trace
            return Apply(self.op, inputs, outputs)
        node = self.op.make_node(*inputs)
        for new, old in zip(node.outputs, self.outputs, strict=True):
            new.name, new.trace = old.name, old.trace
        return node


def as_list(x: Any) -> list:
    """`x` if it is a list or tuple (as a list), else `[x]`."""
    return list(x) if isinstance(x, (list, tuple)) else [x]


# ---------------------------------------------------------------------------
# Graph walks
# ---------------------------------------------------------------------------

def toposort(outputs: Iterable[Variable], stop_at: Iterable[Variable] = ()) -> list[Apply]:
    """The Apply nodes that compute `outputs`, each after the nodes it depends on.

    The walk is depth-first over inputs, written with an explicit stack so a
    graph built by a 10 000-step loop does not hit Python's recursion limit.
    Variables in `stop_at` are treated as inputs: their owners are not visited.
    """
    # --8<-- [start:ex-ch01-toposort]
    stop = set(stop_at)
    order: list[Apply] = []
    done: set[Apply] = set()
    for out in outputs:
        stack: list[tuple[Apply, int]] = []
        if out.owner is not None and out not in stop and out.owner not in done:
            stack.append((out.owner, 0))
        while stack:
            node, i = stack.pop()
            if node in done:
                continue
            # Find the next input whose owner has not been visited yet.
            while i < len(node.inputs):
                inp = node.inputs[i]
                i += 1
                if inp.owner is not None and inp not in stop and inp.owner not in done:
                    stack.append((node, i))
                    stack.append((inp.owner, 0))
                    break
            else:
                done.add(node)
                order.append(node)
    return order
    # --8<-- [end:ex-ch01-toposort]


def graph_inputs(outputs: Iterable[Variable], stop_at: Iterable[Variable] = ()) -> list[Variable]:
    """The Variables with no owner (inputs and constants) that `outputs` depend on,
    in the order they are first met."""
    # --8<-- [start:ex-ch01-graph-inputs]
    stop = set(stop_at)
    seen: set[Variable] = set()
    result: list[Variable] = []
    outputs = list(outputs)
    for v in outputs:
        if (v.owner is None or v in stop) and v not in seen:
            seen.add(v)
            result.append(v)
    for node in toposort(outputs, stop):
        for v in node.inputs:
            if (v.owner is None or v in stop) and v not in seen:
                seen.add(v)
                result.append(v)
    return result
    # --8<-- [end:ex-ch01-graph-inputs]


def variables(outputs: Iterable[Variable]) -> list[Variable]:
    """Every Variable in the graph of `outputs`: inputs, intermediates, outputs."""
    outputs = list(outputs)
    result = graph_inputs(outputs)
    for node in toposort(outputs):
        result.extend(node.outputs)
    return result


def clone_get_equiv(inputs: Sequence[Variable], outputs: Sequence[Variable],
                    copy_inputs: bool = True, copy_nodes: bool = True,
                    memo: dict[Variable, Variable] | None = None) -> dict[Variable, Variable]:
    """A copy of the graph between `inputs` and `outputs`, as a map old -> new.

    Variables already in `memo` are used as they are: that is how `clone_replace`
    substitutes one subgraph for another.  Constants are shared, not copied.
    With `copy_nodes=False` a node whose inputs are unchanged is kept, not copied.
    """
    equiv: dict[Variable, Variable] = dict(memo or {})
    for v in inputs:
        if v not in equiv:
            equiv[v] = v.clone() if copy_inputs else v
    for node in toposort(outputs, stop_at=list(equiv)):
        new_inputs = []
        for v in node.inputs:
            if v not in equiv:
                # An input the caller did not list: a constant or a free variable.
                equiv[v] = v if isinstance(v, Constant) or not copy_inputs else v.clone()
            new_inputs.append(equiv[v])
        if not copy_nodes and all(a is b for a, b in zip(new_inputs, node.inputs)):
            for out in node.outputs:
                equiv.setdefault(out, out)
            continue
        new_node = node.clone_with_new_inputs(new_inputs)
        for old, new in zip(node.outputs, new_node.outputs, strict=True):
            equiv.setdefault(old, new)
    for v in outputs:
        equiv.setdefault(v, v)
    return equiv


def clone(inputs: Sequence[Variable], outputs: Sequence[Variable],
          copy_inputs: bool = True) -> tuple[list[Variable], list[Variable]]:
    """A fresh copy of a graph: (new inputs, new outputs)."""
    equiv = clone_get_equiv(inputs, outputs, copy_inputs)
    return [equiv[v] for v in inputs], [equiv[v] for v in outputs]


def clone_replace(outputs: Any, replace: dict[Variable, Variable] | Iterable | None = None) -> Any:
    """A copy of `outputs` in which each key of `replace` is replaced by its value.

    The user's graph is not touched: nodes below a replaced variable are copied.
    Accepts one Variable or a list, and returns the same shape.
    """
    pairs = list(replace.items()) if isinstance(replace, dict) else list(replace or [])
    outs = as_list(outputs)
    memo = {}
    for old, new in pairs:
        if old.type != new.type:
            new = old.type.convert_variable(new)
            if new is None:
                raise TypeError(f"cannot replace {old} ({old.type}) by a value of another "
                                f"type ({dict(pairs)[old].type})")
        memo[old] = new
    # Walk only what depends on a replaced variable; the rest stays shared.
    inputs = graph_inputs(outs, stop_at=memo)
    equiv = clone_get_equiv(inputs, outs, copy_inputs=False, copy_nodes=False, memo=memo)
    new_outs = [equiv[o] for o in outs]
    return new_outs if isinstance(outputs, (list, tuple)) else new_outs[0]
