"""Test-suite wide settings.

* Each test is marked with its chapter from its folder name
  (tests/ch04_differentiation/... -> `ch04`), so `pytest -m ch04` runs one chapter,
  unless it carries a chapter marker of its own (a later chapter whose code it needs).
* Tests marked `slow` are skipped unless asked for (`pytest -m slow`, or any
  -m expression that names `slow`, or `--runslow`).
* Chapters 1-4 test graphs, rewrites and gradients, not C: a function they
  compile in the default mode runs in the Python VM with every rewrite of
  FAST_RUN (`mode=Mode, linker=py`), which spares a cold run hundreds of C
  compiles (tests/README.md). C is chapter 5's subject and its tests': a test
  that asks for `mode='FAST_RUN'` still gets C, a test about the default mode
  itself is marked `default_mode`, `pytest --linker=c` runs every test's
  default mode in C, and MINITHEANO_FLAGS=mode=... is left alone.
* The C compiler optimizes at -O3 (link/c/build.py) only where that is what a test
  checks: chapter 5's tests (every op, every dtype, the loop versions, the vector
  math) and the differential tests (generated graphs against numpy). Elsewhere the
  tests compile with `gcc.cxxflags=-O1` (TEST_CXXFLAGS), in about two thirds of the
  compile time; GCC vectorizes the `omp simd` loops at -O1 too, so they pass alike
  (tests/README.md, fourth pass). `pytest --cxxflags=` compiles
  everything at -O3; MINITHEANO_FLAGS=gcc.cxxflags=... is left alone.
* hypothesis runs without deadlines (a cold C compile cache makes first
  examples slow) and prints the seed of a failing example. Its examples are new
  on each run (profile `minitheano`), except where HYPOTHESIS_PROFILE=ci (.ci/run):
  there they are derived from each test's source, so that a run of CI is
  repeatable and a rare example found on a later run is not a red CI for a
  change that did not touch it. The slow differential run explores at random.
* Python's cycle collector is told that what pytest collected lives to the end
  (`gc.freeze`) and to run less often (`GC_THRESHOLDS`): with its defaults it
  took up to a third of a chapter's CPU time (tests/README.md, 3 December).
"""

from __future__ import annotations

import gc
import os
import re

import pytest
from hypothesis import settings

from minitheano.config import config as theano_config

settings.register_profile("minitheano", deadline=None, print_blob=True)
settings.register_profile("ci", deadline=None, print_blob=True, derandomize=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "minitheano"))

# Compiling a function makes and drops thousands of small cyclic objects (a
# Variable and its Apply node point at each other), so Python's cycle collector
# runs often; each full pass walks every live object, pytest's thousands of test
# items included.  Python's defaults are (700, 10, 10): a young pass every 700 new
# objects, a middle one every 10 young ones, a full one every 10 middle ones.
# Fewer passes over a frozen heap cost less than half the collector's time
# (tests/README.md); nothing is leaked, garbage only waits a little longer.
GC_THRESHOLDS = (3000, 20, 50)
gc.set_threshold(*GC_THRESHOLDS)


# The chapters whose tests run their default-mode functions in the Python VM.
PYTHON_VM_CHAPTERS = ("ch01", "ch02", "ch03", "ch04")
# MINITHEANO_FLAGS (or THEANO_FLAGS) set the mode or the linker: the user's choice is kept.
USER_CHOSE_MODE = bool({"mode", "linker"} & theano_config._explicit)


# The folders whose tests compile at minitheano's own -O3; the others add TEST_CXXFLAGS.
O3_FOLDERS = ("ch05_c_code", "differential")
TEST_CXXFLAGS = "-O1"
USER_CHOSE_CXXFLAGS = "cxxflags" in theano_config.gcc._explicit


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--runslow", action="store_true", help="also run tests marked slow")
    parser.addoption("--linker", choices=("py", "c"), default="py",
                     help="the default mode's linker in the tests of chapters 1-4 "
                          "(py: the Python VM; c: FAST_RUN's C linker)")
    parser.addoption("--cxxflags", default=TEST_CXXFLAGS,
                     help="gcc.cxxflags of the tests outside tests/ch05_c_code and "
                          f"tests/differential (default {TEST_CXXFLAGS}; empty: -O3 everywhere)")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    """See the module docstring. A hook, not a fixture: the item's module-scoped
    fixtures compile with the same flags as the item itself."""
    if USER_CHOSE_CXXFLAGS or set(O3_FOLDERS) & set(item.path.parts):
        return (yield)
    with theano_config.change_flags({"gcc.cxxflags": item.config.getoption("--cxxflags")}):
        return (yield)


@pytest.fixture(autouse=True)
def _python_vm_in_chapters_1_to_4(request: pytest.FixtureRequest):
    """See the module docstring."""
    chapter = re.search(r"tests[/\\](ch\d\d)_", str(request.node.path))
    if (chapter is None or chapter.group(1) not in PYTHON_VM_CHAPTERS
            or request.config.getoption("--linker") == "c"
            or request.node.get_closest_marker("default_mode") is not None
            or USER_CHOSE_MODE):
        yield
        return
    with theano_config.change_flags(mode="Mode", linker="py"):
        yield


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "default_mode: a chapter 1-4 test about the default "
                                       "mode itself (FAST_RUN, C): not moved to the Python VM")


def pytest_collection_finish(session: pytest.Session) -> None:
    """What exists now (modules, test items, hypothesis's strategies) lives until the
    end: leave it out of every later full collection."""
    gc.collect()
    gc.freeze()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    run_slow = config.getoption("--runslow") or "slow" in (config.getoption("-m") or "")
    skip_slow = pytest.mark.skip(reason="slow: run with -m slow or --runslow")
    for item in items:
        match = re.search(r"tests[/\\](ch\d\d)_", str(item.path))
        # A test that needs a later chapter's code (a gradient in a chapter-2 test) is
        # marked with that chapter instead: blanking the later chapter leaves the earlier
        # chapter's selection passing.
        explicit = any(re.fullmatch(r"ch\d\d", m.name) for m in item.iter_markers())
        if match and not explicit:
            item.add_marker(getattr(pytest.mark, match.group(1)))
        if "slow" in item.keywords and not run_slow:
            item.add_marker(skip_slow)
