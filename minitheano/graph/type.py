"""Types: what values a Variable may hold (chapter 1).

A Type answers three questions about runtime values: is this value acceptable
(`filter`, which may also convert it), are two values equal (`values_eq`), and
what symbolic object stands for a value of this type (`__call__` makes a
Variable).  `TensorType` in `tensor/type.py` and `ScalarType` in
`scalar/basic.py` are the two that matter.
"""

from __future__ import annotations

from typing import Any

from minitheano.graph.basic import Constant, Variable


class Type:
    """Base class of all types.  Types are values: equal types compare equal."""

    variable_class: type[Variable] = Variable
    constant_class: type[Constant] = Constant
    # Whether None is a value of this type (a function refuses a None argument otherwise).
    holds_none: bool = False

    def filter(self, data: Any, strict: bool = False, allow_downcast: bool | None = None) -> Any:
        """Return `data` as a value of this type, or raise TypeError.

        strict: accept only values that already are of this type, unconverted.
        allow_downcast: also accept conversions that may lose precision.
        """
        raise NotImplementedError

    def is_valid_value(self, data: Any) -> bool:
        try:
            self.filter(data, strict=True)
            return True
        except (TypeError, ValueError):
            return False

    def __call__(self, name: str | None = None) -> Variable:
        """A new input Variable of this type: `T.dmatrix('x')`."""
        return self.variable_class(self, name=name)

    make_variable = __call__

    def make_constant(self, data: Any, name: str | None = None) -> Constant:
        return self.constant_class(self, data, name=name)

    def convert_variable(self, var: Variable) -> Variable | None:
        """`var` as a Variable of this type if that is possible without a
        computation, else None."""
        return var if var.type == self else None

    def values_eq(self, a: Any, b: Any) -> bool:
        return a == b

    def values_eq_approx(self, a: Any, b: Any) -> bool:
        return self.values_eq(a, b)

    def data_key(self, data: Any) -> Any:
        """A hashable stand-in for `data`, equal for equal values (merging constants)."""
        return data

    def short_str(self, data: Any) -> str:
        return str(data)


class Generic(Type):
    """Any Python object (Theano's `generic`): for ops that pass around values
    that are not arrays, such as a list or a dict.  Its values are never
    converted, and two are equal when `==` says so."""

    holds_none = True

    def filter(self, data: Any, strict: bool = False, allow_downcast: bool | None = None) -> Any:
        return data

    def values_eq(self, a: Any, b: Any) -> bool:
        try:
            return bool(a == b)
        except ValueError:  # numpy arrays compare elementwise
            return a is b

    def data_key(self, data: Any) -> Any:
        # Any object may be unhashable: constants merge only when they are one object.
        return (type(data), id(data))

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(Generic)

    def __str__(self) -> str:
        return "Generic"


generic = Generic()
