"""Where in the user's code a variable was made (chapter 1).

Every Variable remembers the first stack frame outside this package: the line of
*user* code that built it.  Error messages quote that line, so a shape mismatch
found at call time points at `h = T.dot(x, W)` in the reader's script instead of
deep inside the virtual machine.

Finding that frame walks the stack, which is most of the cost of making a
Variable.  Rewrites (chapter 3) make thousands of Variables whose line would
be the `function(...)` call anyway, and `FunctionGraph.replace` gives each the
line of the variable it replaces; so the rewriter makes them inside
`no_user_lines()`, where new Variables get `trace = None` without a walk.
"""

from __future__ import annotations

import linecache
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NamedTuple

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_capturing = True  # False inside no_user_lines()


class UserLine(NamedTuple):
    """A place in the user's code: file, line number and function name."""

    filename: str
    lineno: int
    function: str

    def __str__(self) -> str:
        return f"{self.filename}:{self.lineno}"

    def source(self) -> str:
        """The text of that line, if the file can still be read."""
        return linecache.getline(self.filename, self.lineno).strip()

    def describe(self) -> str:
        """`File "f.py", line 12, in main: h = T.dot(x, W)`, for error messages."""
        text = f'File "{self.filename}", line {self.lineno}, in {self.function}'
        src = self.source()
        return f"{text}: {src}" if src else text


@contextmanager
def no_user_lines() -> Iterator[None]:
    """Within this block, new Variables do not look up their user line."""
    global _capturing
    before, _capturing = _capturing, False
    try:
        yield
    finally:
        _capturing = before


def user_line() -> UserLine | None:
    """The innermost frame of the call stack whose code is not part of minitheano
    (None inside `no_user_lines()`)."""
    if not _capturing:
        return None
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith(_PACKAGE_DIR):
            return UserLine(filename, frame.f_lineno, frame.f_code.co_name)
        frame = frame.f_back
    return None
