"""Test-suite wide settings.

* Each test is marked with its chapter from its folder name
  (tests/ch04_differentiation/... -> `ch04`), so `pytest -m ch04` runs one chapter,
  unless it carries a chapter marker of its own (a later chapter whose code it needs).
* Tests marked `slow` are skipped unless asked for (`pytest -m slow`, or any
  -m expression that names `slow`, or `--runslow`).
* hypothesis runs without deadlines (a cold C compile cache makes first
  examples slow) and prints the seed of a failing example.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import settings

settings.register_profile("minitheano", deadline=None, print_blob=True)
settings.load_profile("minitheano")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--runslow", action="store_true", help="also run tests marked slow")


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
