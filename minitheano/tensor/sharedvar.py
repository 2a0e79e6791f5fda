"""TensorSharedVariable: a shared numpy array, usable anywhere a tensor is (chapter 2)."""

from minitheano.graph.shared import SharedVariable
from minitheano.tensor.type import TensorVariable


class TensorSharedVariable(SharedVariable, TensorVariable):
    """A shared variable of a TensorType: it has the operators of a TensorVariable."""
