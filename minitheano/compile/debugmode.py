"""`theano.compile.debugmode`: the module path of Theano's DebugMode (chapter 5).

`DebugMode(...)` is the mode `mode='DebugMode'` names: every node run in
Python and in C and checked (minitheano/link/debug.py).  The class itself
lives with the other modes in compile/mode.py; this module is where Theano
programs import it from.
"""

from minitheano.compile.mode import DebugMode
from minitheano.link.debug import DebugModeError

__all__ = ["DebugMode", "DebugModeError"]
