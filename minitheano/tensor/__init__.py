"""Tensors: symbolic numpy arrays and the operations on them (chapter 1).

`from minitheano import tensor as T` gives what Theano's `theano.tensor` gave:
constructors (`T.dmatrix`), elementwise math (`T.exp`), reductions (`T.sum`),
shapes and indexing, `T.dot`, and `T.nnet`.
"""

from minitheano.tensor.type import TensorConstant, TensorType, TensorVariable  # noqa: I001
from minitheano.tensor.elemwise import DimShuffle, Elemwise
from minitheano.tensor.basic import *  # noqa: F403
from minitheano.tensor.basic import as_tensor_variable, constant, tensor_copy
from minitheano.tensor.math import *  # noqa: F403
from minitheano.tensor.math import abs_, and_, or_, pow, round  # noqa: A004
from minitheano.tensor.reduction import CAReduce, Sum, keep_dims, normalize_axis, sum  # noqa: A004
from minitheano.tensor.shape import *  # noqa: F403
from minitheano.tensor.join import *  # noqa: F403
from minitheano.tensor import subtensor
from minitheano.tensor.subtensor import *  # noqa: F403
from minitheano.tensor.advanced_subtensor import *  # noqa: F403
from minitheano.tensor.advanced_subtensor import advanced_getitem
from minitheano.scalar.basic import is_weak, weak_dtype
