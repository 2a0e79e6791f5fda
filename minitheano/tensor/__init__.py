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
from minitheano.tensor.shape import *  # noqa: F403
from minitheano.tensor.join import *  # noqa: F403
from minitheano.tensor import subtensor
from minitheano.tensor.subtensor import *  # noqa: F403
from minitheano.tensor.advanced_subtensor import *  # noqa: F403
from minitheano.tensor.advanced_subtensor import advanced_getitem
from minitheano.tensor.reduction import (  # noqa: A004
    All, Any, Argmax, Argmin, CAReduce, Max, Min, Prod, Sum, all, any, argmax, argmin,
    keep_dims, max, max_and_argmax, mean, min, normalize_axis, prod, std, sum, var)
from minitheano.scalar.basic import is_weak, weak_dtype

# Submodules that build on the names above: T.nnet, T.shared_randomstreams, ...
from minitheano.tensor import extra_ops, nnet, random, shared_randomstreams  # noqa: E402
from minitheano.tensor.extra_ops import cumprod, cumsum, diff, repeat, squeeze  # noqa: E402
# More of Theano 1.0's names (the book's appendix lists them all). `T.sort` is
# the function, as in Theano, not the module tensor/sort.py.
from minitheano.tensor import nlinalg, slinalg  # noqa: E402
from minitheano.tensor.extra_ops import bincount  # noqa: E402
from minitheano.tensor.nlinalg import diag, diagonal  # noqa: E402
from minitheano.tensor.diagonal import (  # noqa: E402
    eye, fill_diagonal, fill_diagonal_offset, identity_like, tri, tril, triu)
from minitheano.tensor.sort import argsort, argtopk, sort, topk, topk_and_argtopk  # noqa: E402
from minitheano.tensor.indexing_ops import (  # noqa: E402
    bartlett, ravel_multi_index, unravel_index)
from minitheano.tensor.special import (  # noqa: E402
    erf, erfc, gamma, gammaln, psi, tri_gamma)
from minitheano.tensor.choose import Choose, choose  # noqa: E402
from minitheano.tensor.default import Default, default  # noqa: E402
from minitheano.tensor.constant_value import (  # noqa: E402
    NotScalarConstantError, get_scalar_constant_value)
from minitheano.tensor.rearrange import (  # noqa: E402
    horizontal_stack, roll, stacklists, swapaxes, vertical_stack)
from minitheano.tensor.contraction import batched_tensordot  # noqa: E402
from minitheano.tensor.nlinalg import AllocDiag, ExtractDiag  # noqa: E402
from minitheano.tensor.more_types import *  # noqa: E402, F403
from minitheano.tensor.numpy_names import (  # noqa: E402
    Split, allclose, arccosh, arcsinh, arctanh, as_tensor, ceil_intdiv, cov, deg2rad, divmod,
    inverse_permutation, iround, isclose, largest, mgrid, ogrid, permute_row_elements, power,
    ptp, rad2deg, round_half_away_from_zero, smallest, split, square, trunc)
from minitheano.tensor import xlogx  # noqa: E402
from minitheano.tensor.batched_dot import batched_dot  # noqa: E402
from minitheano.tensor.tile import tile  # noqa: E402

# T.grad, T.jacobian, ... live in minitheano.gradient, which builds on this
# package: they are looked up there when first asked for.
_FROM_GRADIENT = ("grad", "jacobian", "hessian", "Rop", "Lop", "verify_grad", "numeric_grad",
                  "consider_constant")


def __getattr__(name: str):
    if name in _FROM_GRADIENT:
        from minitheano import gradient
        return getattr(gradient, name)
    from minitheano.api_reference import missing_name  # says why, for Theano's names
    raise missing_name(__name__, name)
