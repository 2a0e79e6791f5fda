"""The proof that every exercise is a real exercise (slow; `.ci/run` runs it on every change).

Always on a copy of the project, never on the checkout:

* blank one exercise: its own tests (tests/exercises.toml) fail; restore it: they pass;
* blank every exercise of chapters >= N: the tests of chapters < N still pass, for every N
  from 3 on (chapters 1 and 2 are the base: chapter 1's tests already call compiled
  functions, which is chapter 2's code, so blanking chapter 2 fails chapter 1);
* blank every exercise at once: collecting the tests still works (no test module runs
  exercise code at import time).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from minitheano import exercises as ex

ROOT = Path(__file__).resolve().parents[2]
ONE_PROCESS = ["-n", "0"] if importlib.util.find_spec("xdist") else []  # pytest-xdist's off

pytestmark = [pytest.mark.book, pytest.mark.slow]


def copy_project(tmp_path: Path) -> Path:
    """A copy of minitheano/, tests/ and pyproject.toml under tmp_path; returns the package."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "minitheano", tmp_path / "minitheano", ignore=ignore)
    shutil.copytree(ROOT / "tests", tmp_path / "tests", ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    return tmp_path / "minitheano"


def pytest_in(project: Path, arguments: list[str]) -> subprocess.CompletedProcess:
    """Run pytest in the copy, one process (the proof itself runs in parallel)."""
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--tb=line",
               *ONE_PROCESS, *arguments]
    env = {**os.environ, "PYTHONPATH": str(project)}  # the copy, never the real tree
    return subprocess.run(command, cwd=project, env=env, capture_output=True, text=True)


def outcome(result: subprocess.CompletedProcess) -> str:
    return result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr


@pytest.mark.parametrize("name", [r.short_name for r in ex.exercises()])
def test_blanking_an_exercise_fails_its_own_tests_and_restoring_passes(
        tmp_path: Path, name: str) -> None:
    package = copy_project(tmp_path)
    tests = ex.registry(package)[name].tests
    ex.blank(name, package)  # refused if the package would no longer import
    blanked = pytest_in(tmp_path, tests)
    assert blanked.returncode == 1, (
        f"with {name} blanked its tests did not fail: {outcome(blanked)}")
    assert re.search(r"\d+ (failed|errors?)\b", outcome(blanked))  # a test failed or erred
    ex.restore(name, package)
    restored = pytest_in(tmp_path, tests)
    assert restored.returncode == 0, f"with {name} restored: {outcome(restored)}"


def chapters_with_tests() -> list[str]:
    return sorted(m.group(1) for p in (ROOT / "tests").iterdir()
                  if (m := re.match(r"(ch\d\d)_", p.name)))


@pytest.mark.parametrize("first", [c for c in chapters_with_tests() if c >= "ch03"])
def test_blanking_chapters_from_n_on_keeps_the_earlier_chapters_passing(
        tmp_path: Path, first: str) -> None:
    package = copy_project(tmp_path)
    later = [c for c in sorted({r.chapter for r in ex.exercises(package)}) if c >= first]
    for chapter in later:
        ex.blank(chapter, package)
    earlier = " or ".join(c for c in chapters_with_tests() if c < first)
    result = pytest_in(tmp_path, ["-m", f"({earlier}) and not slow", "tests"])
    assert result.returncode == 0, (
        f"with {', '.join(later)} blanked, {earlier} fail: {outcome(result)}\n"
        + "\n".join(line for line in result.stdout.splitlines() if "Error" in line)[:3000])


def test_blanking_every_exercise_keeps_test_collection_working(tmp_path: Path) -> None:
    """Collection never runs exercise code, so blanking any exercise cannot break it."""
    package = copy_project(tmp_path)
    ex.blank(None, package)
    result = pytest_in(tmp_path, ["--collect-only", "tests"])
    assert result.returncode == 0, result.stdout[-3000:]
    assert "error" not in outcome(result)
