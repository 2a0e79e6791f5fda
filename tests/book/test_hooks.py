"""The mkdocs hook that makes `mkdocs serve` show fresh output after the library changes."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.book

SCRIPT = """
import sys
import minitheano.tensor
from markdown_exec._internal.formatters.python import _sessions_globals
_sessions_globals["ch01"]["x"] = 1
import book_hooks
book_hooks.on_pre_build(None)
print(sorted(n for n in sys.modules if n.split(".")[0] == "minitheano"), dict(_sessions_globals))
"""


def test_pre_build_forgets_the_library_and_the_sessions() -> None:
    pytest.importorskip("markdown_exec", reason="the book extra is not installed")
    out = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == "[] {}"
