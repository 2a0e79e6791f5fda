"""TensorType and TensorVariable: symbolic numpy arrays (chapter 1).

A `TensorType` is a dtype and a *broadcastable* pattern: one flag per dimension,
True where the length is known to be 1 (so it can be stretched against any
length, as numpy broadcasting does).  `T.dmatrix` is `TensorType('float64',
(False, False))`; `T.row` has pattern (True, False).

`filter` is Theano's input check: it decides which runtime values a function
input of this type accepts, converting Python lists and numbers when nothing
is lost, and refusing a wider numpy dtype (float64 data for an `fvector`)
unless the user allows the downcast.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from minitheano.config import config
from minitheano.graph.basic import Constant, Variable
from minitheano.graph.type import Type
from minitheano.scalar.basic import FLOAT_DTYPES, check_dtype, upcast
from minitheano.scalar.logic import _Comparison

_PATTERN_NAMES = {(): "scalar", (False,): "vector", (False, False): "matrix",
                  (True, False): "row", (False, True): "col",
                  (False,) * 3: "3D", (False,) * 4: "4D", (False,) * 5: "5D"}


def _same_values(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal shape and values, NaN equal to NaN."""
    if a.shape != b.shape:
        return False
    nan_ok = a.dtype.kind in "fc" and b.dtype.kind in "fc"
    return bool(np.array_equal(a, b, equal_nan=nan_ok))


class TensorType(Type):
    """The type of an n-dimensional array of one dtype."""

    def __init__(self, dtype: str, broadcastable: Sequence[bool] = ()) -> None:
        self.dtype = check_dtype(dtype)
        self.broadcastable = tuple(bool(b) for b in broadcastable)
        self.ndim = len(self.broadcastable)
        self.numpy_dtype = np.dtype(self.dtype)

    # Pickling: numpy's dtype objects come back from a pickle as copies, not as
    # numpy's own `np.dtype('float64')`; the C kernels of chapter 5 recognise an
    # array's dtype by that object, so it is made again rather than unpickled.
    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        del state["numpy_dtype"]
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self.numpy_dtype = np.dtype(self.dtype)

    # -- which values belong to this type ---------------------------------
    def filter(self, data: Any, strict: bool = False, allow_downcast: bool | None = None) -> Any:
        # --8<-- [start:ex-ch02-filter]
        if type(data) is np.ndarray and data.dtype == self.numpy_dtype:
            pass  # the common case: nothing to convert
        elif strict:
            raise TypeError(f"{self} expected a numpy.ndarray of dtype {self.dtype}, "
                            f"got {type(data).__name__} {getattr(data, 'dtype', '')}".rstrip())
        elif isinstance(data, np.ndarray):
            if allow_downcast or upcast(self.dtype, data.dtype.name) == self.dtype:
                data = np.asarray(data, dtype=self.dtype)
            else:
                raise TypeError(
                    f"{self} cannot store a value of dtype {data.dtype} without risking loss "
                    f"of precision. If you do not mind this loss, you can: 1) explicitly cast "
                    f"your data to {self.dtype}, or 2) set allow_input_downcast=True when "
                    f"calling function.")
        elif allow_downcast or (allow_downcast is None and type(data) is float
                                and self.dtype == config.floatX):
            data = self._convert(data)
        else:
            converted = self._convert(data)
            original = np.asarray(data)
            if original.dtype == object or not _same_values(original, converted):
                raise TypeError(
                    f"{self} cannot store accurately the value {data!r}: it would be "
                    f"represented as {converted!r}. If you do not mind this loss, you can: "
                    f"1) explicitly convert your data to a numpy array of dtype {self.dtype}, "
                    f"or 2) set allow_input_downcast=True when calling function.")
            data = converted
        # --8<-- [end:ex-ch02-filter]
        if data.dtype is not self.numpy_dtype:  # an equal dtype object (from a pickle)
            data = data.view(self.numpy_dtype)  # numpy's own, which C kernels recognise
        if data.ndim != self.ndim:
            raise TypeError(f"Wrong number of dimensions: expected {self.ndim}, "
                            f"got {data.ndim} with shape {data.shape}.")
        for dim, (length, bcast) in enumerate(zip(data.shape, self.broadcastable)):
            if bcast and length != 1:
                raise TypeError(f"Non-unit length {length} in dimension {dim}, which {self} "
                                f"declares broadcastable (length 1).")
        return data

    def _convert(self, data: Any) -> np.ndarray:
        try:
            return np.asarray(data, dtype=self.dtype)
        except (ValueError, TypeError, OverflowError) as e:
            raise TypeError(f"{self} cannot store the value {data!r}: {e}") from None

    def convert_variable(self, var: Variable) -> Variable | None:
        """`var` as this type, if only its broadcastable flags are less precise.

        A (False,) variable may stand where (False,) is expected; a (True,) one
        too (length 1 is a length).  The reverse needs a runtime check, so it
        is refused.
        """
        if var.type == self:
            return var
        other = var.type
        if (isinstance(other, TensorType) and other.dtype == self.dtype
                and other.ndim == self.ndim
                and all(o or not s for o, s in zip(other.broadcastable, self.broadcastable))):
            from minitheano.tensor.shape import patternbroadcast

            return patternbroadcast(var, self.broadcastable)
        return None

    # -- comparing values --------------------------------------------------
    def values_eq(self, a: Any, b: Any) -> bool:
        return _same_values(np.asarray(a), np.asarray(b))

    def values_eq_approx(self, a: Any, b: Any, rtol: float | None = None,
                         atol: float | None = None) -> bool:
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape:
            return False
        if self.dtype not in FLOAT_DTYPES:
            return _same_values(a, b)
        loose = self.dtype == "float32"
        rtol = rtol if rtol is not None else (1e-4 if loose else 1e-7)
        atol = atol if atol is not None else (1e-5 if loose else 1e-8)
        return bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True))

    def data_key(self, data: Any) -> Any:
        return (data.dtype.str, data.shape, data.tobytes())

    def short_str(self, data: Any) -> str:
        if data.size == 0:
            return f"{data.shape} of {self.dtype}"
        if data.size > 1 and np.all(data == data.flat[0]):
            return f"{data.shape} of {data.flat[0]}"
        if data.size > 8:
            return f"{data.shape} of {self.dtype}"
        return np.array2string(data, separator=", ") if data.ndim else str(data.item())

    # -- identity and printing --------------------------------------------
    def __eq__(self, other: object) -> bool:
        return (type(other) is type(self) and other.dtype == self.dtype
                and other.broadcastable == self.broadcastable)

    def __hash__(self) -> int:
        return hash((TensorType, self.dtype, self.broadcastable))

    def __str__(self) -> str:
        pattern = _PATTERN_NAMES.get(self.broadcastable, str(self.broadcastable))
        return f"TensorType({self.dtype}, {pattern})"

    def __repr__(self) -> str:
        return str(self)

    def clone(self, dtype: str | None = None,
              broadcastable: Sequence[bool] | None = None) -> TensorType:
        return TensorType(dtype or self.dtype,
                          self.broadcastable if broadcastable is None else broadcastable)


class TensorVariable(Variable):
    """A symbolic array: numpy's operators and methods build graph instead of computing."""

    # `numpy_array * x` would otherwise let numpy loop over the array, multiplying each
    # element by `x` into an object array; with no __array_ufunc__ numpy's operators
    # step aside and Python calls x.__rmul__, which builds graph (Theano set
    # __array_priority__ for the same reason).
    __array_ufunc__ = None

    # -- what kind of array ------------------------------------------------
    @property
    def dtype(self) -> str:
        return self.type.dtype

    @property
    def ndim(self) -> int:
        return self.type.ndim

    @property
    def broadcastable(self) -> tuple[bool, ...]:
        return self.type.broadcastable

    @property
    def shape(self) -> TensorVariable:
        return _T.shape(self)

    @property
    def size(self) -> TensorVariable:
        return _T.prod(self.shape)

    @property
    def T(self) -> TensorVariable:
        return _T.transpose(self)

    # -- arithmetic --------------------------------------------------------
    def __add__(self, other): return _T.add(self, other)
    def __radd__(self, other): return _T.add(other, self)
    def __sub__(self, other): return _T.sub(self, other)
    def __rsub__(self, other): return _T.sub(other, self)
    def __mul__(self, other): return _T.mul(self, other)
    def __rmul__(self, other): return _T.mul(other, self)
    def __truediv__(self, other): return _T.true_div(self, other)
    def __rtruediv__(self, other): return _T.true_div(other, self)
    def __floordiv__(self, other): return _T.int_div(self, other)
    def __rfloordiv__(self, other): return _T.int_div(other, self)
    def __mod__(self, other): return _T.mod(self, other)
    def __rmod__(self, other): return _T.mod(other, self)
    def __pow__(self, other): return _T.pow(self, other)
    def __rpow__(self, other): return _T.pow(other, self)
    def __neg__(self): return _T.neg(self)
    def __abs__(self): return _T.abs_(self)
    def __lt__(self, other): return _T.lt(self, other)
    def __le__(self, other): return _T.le(self, other)
    def __gt__(self, other): return _T.gt(self, other)
    def __ge__(self, other): return _T.ge(self, other)
    def __and__(self, other): return _T.and_(self, other)
    def __rand__(self, other): return _T.and_(other, self)
    def __or__(self, other): return _T.or_(self, other)
    def __ror__(self, other): return _T.or_(other, self)
    def __xor__(self, other): return _T.xor(self, other)
    def __rxor__(self, other): return _T.xor(other, self)
    def __invert__(self): return _T.invert(self)

    # `==` stays identity, as in Theano: graphs are keys of dicts everywhere.
    # Use T.eq(a, b) for the elementwise comparison.
    __hash__ = Variable.__hash__

    def __bool__(self) -> bool:
        # As in Theano 1.0: every variable is true (so `if not W:` tests for a
        # missing W), except the result of a comparison, whose truth is only
        # known when the function runs; raising there forbids `a < b < c`,
        # which Python evaluates as `(a < b) and (b < c)`.
        owner = self.owner
        if owner is not None and isinstance(getattr(owner.op, "scalar_op", None), _Comparison):
            raise TypeError(
                f"the truth value of the comparison {self} is not known until the "
                f"function runs; use T.switch or theano.ifelse.ifelse for a condition, "
                f"and T.and_ to chain comparisons (not a < b < c)")
        return True

    def __iter__(self):
        # A vector whose length is known when the graph is built can be unpacked,
        # as in Theano: `n, m = x.shape`.
        try:
            length = _T.get_vector_length(self)
        except (TypeError, ValueError):
            raise TypeError(f"cannot iterate over the symbolic variable {self}: its length is "
                            f"not known until the function runs (index it instead: x[0], "
                            f"x[1])") from None
        return (self[i] for i in range(length))

    def __len__(self) -> int:
        raise TypeError(f"len() of the symbolic variable {self} is not known; use {self}.shape[0]")

    # -- indexing and shape ------------------------------------------------
    def __getitem__(self, index):
        return _T.subtensor.getitem(self, index)

    def reshape(self, shape, ndim=None):
        return _T.reshape(self, shape, ndim=ndim)

    def flatten(self, ndim=1):
        return _T.flatten(self, ndim)

    def dimshuffle(self, *pattern):
        if len(pattern) == 1 and isinstance(pattern[0], (list, tuple)):
            pattern = pattern[0]
        return _T.dimshuffle(self, pattern)

    def transpose(self, *axes):
        return _T.transpose(self, axes or None)

    def astype(self, dtype):
        return _T.cast(self, dtype)

    def copy(self, name=None):
        return _T.tensor_copy(self, name=name)

    # -- reductions and friends --------------------------------------------
    def sum(self, axis=None, dtype=None, keepdims=False):
        return _T.sum(self, axis=axis, dtype=dtype, keepdims=keepdims)

    def prod(self, axis=None, dtype=None, keepdims=False):
        return _T.prod(self, axis=axis, dtype=dtype, keepdims=keepdims)

    def mean(self, axis=None, dtype=None, keepdims=False):
        return _T.mean(self, axis=axis, dtype=dtype, keepdims=keepdims)

    def var(self, axis=None, ddof=0, keepdims=False):
        return _T.var(self, axis=axis, ddof=ddof, keepdims=keepdims)

    def std(self, axis=None, ddof=0, keepdims=False):
        return _T.std(self, axis=axis, ddof=ddof, keepdims=keepdims)

    def max(self, axis=None, keepdims=False):
        return _T.max(self, axis=axis, keepdims=keepdims)

    def min(self, axis=None, keepdims=False):
        return _T.min(self, axis=axis, keepdims=keepdims)

    def argmax(self, axis=None, keepdims=False):
        return _T.argmax(self, axis=axis, keepdims=keepdims)

    def argmin(self, axis=None, keepdims=False):
        return _T.argmin(self, axis=axis, keepdims=keepdims)

    def dot(self, other):
        return _T.dot(self, other)

    def __matmul__(self, other):
        return _T.dot(self, other)

    def __rmatmul__(self, other):
        return _T.dot(other, self)

    def clip(self, a_min, a_max):
        return _T.clip(self, a_min, a_max)

    def nonzero(self):
        return _T.nonzero(self)

    def zeros_like(self, dtype=None):
        return _T.zeros_like(self, dtype=dtype)

    def ones_like(self, dtype=None):
        return _T.ones_like(self, dtype=dtype)

    # -- evaluating --------------------------------------------------------
    def eval(self, inputs_to_values: dict | None = None) -> np.ndarray:
        """Compile a function for this variable and run it: `z.eval({x: 1, y: 2})`.

        A convenience for the interpreter.  It calls forward into compile/,
        which is why the import is here and not at the top: building graphs
        does not depend on compiling them.
        """
        from minitheano.compile.function import function

        inputs_to_values = inputs_to_values or {}
        key = (tuple(inputs_to_values), )
        cache = self.__dict__.setdefault("_eval_cache", {})
        if key not in cache:
            cache[key] = function(list(inputs_to_values), self)
        return cache[key](*inputs_to_values.values())


class TensorConstant(Constant, TensorVariable):
    """An array known when the graph is built: `TensorConstant{1.0}`."""

    def __init__(self, type: TensorType, data: Any, name: str | None = None) -> None:
        super().__init__(type, data, name=name)
        # A constant is shared by every function that uses it: make it read-only,
        # so an in-place bug shows up as an error instead of a changed constant.
        self.data = self.data.view()
        self.data.flags.writeable = False


TensorType.variable_class = TensorVariable
TensorType.constant_class = TensorConstant

# TensorVariable's operators and methods build graphs with functions from the
# whole tensor package, which itself needs the classes above: importing it
# last breaks the cycle.
import minitheano.tensor as _T  # noqa: E402
