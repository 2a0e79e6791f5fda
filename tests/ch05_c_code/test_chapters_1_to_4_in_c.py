"""Chapters 1-4's tests with their functions in C (slow: `pytest -m slow`).

By default the tests of chapters 1-4 run the functions they compile in the Python VM
(tests/conftest.py): they test graphs, rewrites and gradients, and a cold run would
otherwise spend most of its time compiling their C. This test runs them once more with
`--linker=c`, every function through chapter 5's C linker, so each kernel they build is
still checked against numpy in C, compiled at -O3 as a user's is (`--cxxflags=`: not the
-O1 that tests outside chapter 5 compile with).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = ["tests/ch01_expressions", "tests/ch02_functions_and_state", "tests/ch03_rewriting",
            "tests/ch04_differentiation"]


@pytest.mark.slow
def test_chapters_1_to_4_pass_with_the_c_linker() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--linker=c",
         "--cxxflags=", "-n", "0", *CHAPTERS], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
