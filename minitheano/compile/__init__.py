"""Compiling graphs into callables: function, In, Out, shared, modes (chapter 2)."""

from minitheano.compile.as_op import FromFunctionOp, as_op
from minitheano.compile.builders import OpFromGraph
from minitheano.compile.function import Function, function
from minitheano.compile.io import In, Out
from minitheano.compile.maker import FunctionMaker, UnusedInputError
from minitheano.compile.mode import DebugMode, Mode, ProfileMode, get_mode
from minitheano.compile.monitormode import MonitorMode
from minitheano.compile.ops import DeepCopyOp, ViewOp, deep_copy_op, view_op
from minitheano.compile.sharedvalue import shared, shared_constructor
from minitheano.graph.fg import MissingInputError
from minitheano.graph.shared import SharedVariable
from minitheano.tensor.sharedvar import TensorSharedVariable

__all__ = ["DebugMode", "DeepCopyOp", "FromFunctionOp", "Function", "FunctionMaker", "In",
           "MissingInputError", "Mode", "MonitorMode", "OpFromGraph", "Out", "ProfileMode",
           "SharedVariable",
           "TensorSharedVariable", "UnusedInputError", "ViewOp", "as_op", "deep_copy_op",
           "function", "get_mode", "shared", "shared_constructor", "view_op"]
