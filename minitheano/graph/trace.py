"""Where in the user's code a variable was made (chapter 1).

Every Variable remembers the first stack frame outside this package: the line of
*user* code that built it.  Error messages quote that line, so a shape mismatch
found at call time points at `h = T.dot(x, W)` in the reader's script instead of
deep inside the virtual machine.
"""

from __future__ import annotations

import linecache
import os
import sys
from typing import NamedTuple

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


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


def user_line() -> UserLine | None:
    """The innermost frame of the call stack whose code is not part of minitheano."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith(_PACKAGE_DIR):
            return UserLine(filename, frame.f_lineno, frame.f_code.co_name)
        frame = frame.f_back
    return None
