"""The exercise tool (`python -m minitheano.exercises`), always on a copy of the package.

The slow tests keep the exercises honest: blanking any one exercise makes its chapter's tests
fail, and blanking the exercises of later chapters leaves earlier chapters passing.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from minitheano import exercises as ex

ROOT = Path(__file__).resolve().parents[2]
KNOWN = {"ex-ch02-apply-updates", "ex-ch02-bind-arguments", "ex-ch04-mul-grad",
         "ex-ch04-dimshuffle-grad", "ex-ch04-dot-grad", "ex-ch04-sum-grad"}

pytestmark = pytest.mark.book


def copy_project(tmp_path: Path, with_tests: bool = False) -> Path:
    """A copy of minitheano/ (and tests/, pyproject.toml) under tmp_path; returns the package."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "minitheano", tmp_path / "minitheano", ignore=ignore)
    if with_tests:
        shutil.copytree(ROOT / "tests", tmp_path / "tests", ignore=ignore)
        shutil.copy(ROOT / "pyproject.toml", tmp_path)
    return tmp_path / "minitheano"


def snapshot(package: Path) -> dict[Path, bytes]:
    return {p.relative_to(package): p.read_bytes() for p in sorted(package.rglob("*.py"))}


def chapters(package: Path) -> list[str]:
    return sorted({r.chapter for r in ex.exercises(package)})


def test_list_finds_the_known_regions() -> None:
    found = {r.name: r for r in ex.exercises()}
    assert KNOWN <= set(found)
    markers = (ROOT / "pyproject.toml").read_text()
    for region in found.values():
        assert re.fullmatch(r"ex-ch\d\d-[a-z0-9-]+", region.name)
        assert f'"{region.chapter}:' in markers, f"{region.name}: no pytest marker {region.chapter}"
        assert region.stop > region.start, f"{region.name} is empty"
    text = ex.describe()
    assert "ch04-mul-grad" in text and "minitheano/scalar/arithmetic.py" in text


def test_every_chapter_with_tests_has_at_least_four_exercises() -> None:
    counts: dict[str, int] = {}
    for region in ex.exercises():
        counts[region.chapter] = counts.get(region.chapter, 0) + 1
    with_tests = {m.group(1) for p in (ROOT / "tests").iterdir()
                  if (m := re.match(r"(ch\d\d)_", p.name))}
    for chapter in ("ch01", "ch02"):
        assert chapter in with_tests
        assert counts.get(chapter, 0) >= 4, f"{chapter} has {counts.get(chapter, 0)} exercises"


def test_blank_then_restore_is_byte_identical(tmp_path: Path) -> None:
    package = copy_project(tmp_path)
    before = snapshot(package)
    for chapter in chapters(package):  # the text round trip (importability: the slow tests)
        blanked = ex.blank(chapter, package, check_import=False)
        assert blanked and all(r.chapter == chapter for r in blanked)
        assert ex.blank(chapter, package) == []  # blanking twice keeps the saved originals
    after_blank = snapshot(package)
    changed = [path for path in before if before[path] != after_blank[path]]
    assert changed
    for path in changed:
        ast.parse(after_blank[path], filename=str(path))
    for region in ex.exercises(package):
        body = region.path.read_text().splitlines(keepends=True)
        assert body[region.start:region.stop] == [region.stub]
    assert "(blank)" in ex.describe(package)
    for chapter in chapters(package):
        assert ex.restore(chapter, package)
    assert snapshot(package) == before
    assert not list((tmp_path / ".exercises").glob("*.json"))


def test_one_exercise_is_blanked_and_restored_alone(tmp_path: Path) -> None:
    package = copy_project(tmp_path)
    before = snapshot(package)
    (region,) = ex.blank("ch04-mul-grad", package)
    assert region.name == "ex-ch04-mul-grad"
    text = (package / "scalar" / "arithmetic.py").read_text()
    assert 'raise NotImplementedError("exercise ch04-mul-grad: see chapter 4")' in text
    assert sum(before[p] != q for p, q in snapshot(package).items()) == 1
    ex.restore("ch04", package)  # only the blanked one has anything to restore
    assert snapshot(package) == before


def test_restore_keeps_the_readers_attempt(tmp_path: Path) -> None:
    package = copy_project(tmp_path)
    before = snapshot(package)
    (region,) = ex.blank("ch04-mul-grad", package)
    path = package / "scalar" / "arithmetic.py"
    path.write_text(path.read_text().replace(region.stub, region.indent + "return [gz, gz]\n"))
    ex.restore("ch04-mul-grad", package)
    assert snapshot(package) == before
    assert (tmp_path / ".exercises" / "ex-ch04-mul-grad.attempt.py").read_text() == (
        "return [gz, gz]\n")


def test_blank_refuses_to_write_what_would_not_parse(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    source = ("NUMBERS = [\n"
              "    # --8<-- [start:ex-ch01-in-a-list]\n"
              "    1,\n"
              "    # --8<-- [end:ex-ch01-in-a-list]\n"
              "]\n")
    (package / "bad.py").write_text(source)
    with pytest.raises(SystemExit, match="would not parse"):
        ex.blank("ch01", package)
    assert (package / "bad.py").read_text() == source


def test_blank_refuses_a_region_that_runs_at_import_time(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    source = ("# --8<-- [start:ex-ch01-at-import]\n"
              "TABLE = [1, 2]\n"
              "# --8<-- [end:ex-ch01-at-import]\n"
              "def f():\n"
              "    # --8<-- [start:ex-ch01-in-f]\n"
              "    return TABLE\n"
              "    # --8<-- [end:ex-ch01-in-f]\n")
    (package / "__init__.py").write_text(source)
    with pytest.raises(SystemExit, match="at-import, ch01-in-f blanked, `import pkg` fails"):
        ex.blank("ch01", package)
    assert (package / "__init__.py").read_text() == source  # both put back
    assert [r.name for r in ex.blank("ch01-in-f", package)] == ["ex-ch01-in-f"]


def test_unknown_selection_and_broken_markers_are_errors(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="no exercise matches"):
        ex.select("ch99")
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "open.py").write_text("def f():\n    # --8<-- [start:ex-ch01-open]\n    pass\n")
    with pytest.raises(ValueError, match="never end"):
        ex.exercises(package)


def test_command_line_list() -> None:
    out = subprocess.run([sys.executable, "-m", "minitheano.exercises", "list"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    assert "ch02\n" in out and "ch04-dot-grad" in out


def run_tests(project: Path, selection: str) -> int:
    command = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
               "-m", selection, "tests"]
    env = {**os.environ, "PYTHONPATH": str(project)}  # the copy, never the real tree
    return subprocess.run(command, cwd=project, env=env, capture_output=True).returncode


@pytest.mark.slow
@pytest.mark.parametrize("name", [r.name for r in ex.exercises()])
def test_blanking_an_exercise_fails_its_chapter(tmp_path: Path, name: str) -> None:
    package = copy_project(tmp_path, with_tests=True)
    (region,) = ex.blank(name, package)  # refused if the package would no longer import
    code = run_tests(tmp_path, region.chapter)
    assert code != 5, f"no test of {region.chapter} collected"
    assert code == 1, f"blanking {name} left {region.chapter}'s tests passing (exit {code})"


def chapters_with_tests() -> list[str]:
    return sorted(m.group(1) for p in (ROOT / "tests").iterdir()
                  if (m := re.match(r"(ch\d\d)_", p.name)))


# Chapter 1's examples already run compiled functions (chapter 2's code), so the first cut
# is after chapter 2: chapters 1 and 2 are the base every later chapter builds on.
@pytest.mark.slow
@pytest.mark.parametrize("chapter", [c for c in chapters_with_tests() if c >= "ch02"])
def test_blanking_later_chapters_keeps_earlier_ones_passing(tmp_path: Path, chapter: str) -> None:
    package = copy_project(tmp_path, with_tests=True)
    for later in [c for c in chapters(package) if c > chapter]:
        ex.blank(later, package)
    earlier = " or ".join(f"ch{n:02d}" for n in range(1, int(chapter[2:]) + 1))
    assert run_tests(tmp_path, f"({earlier}) and not slow") == 0


def test_check_of_a_chapter_without_tests_is_an_error(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "minitheano").mkdir()
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_other.py").write_text("def test_other():\n    pass\n")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\nmarkers = ["ch01: chapter 1"]\n')
    assert ex.check("ch01", tmp_path / "minitheano") == 5
    assert "no test of ch01 was collected" in capsys.readouterr().err
    with pytest.raises(SystemExit, match="a chapter like ch04"):
        ex.check("ch04-mul-grad")
