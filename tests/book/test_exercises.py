"""The exercise tool (`python -m minitheano.exercises`), always on a copy of the package.

Fast tests: the regions and the registry of each exercise's tests, blank and restore (the
reader's code is never lost), one-line errors for broken markers, `check` on a small made-up
project. The proof that every exercise's tests fail when it is blanked is in
test_exercise_proof.py (slow; `.ci/run` runs it).
"""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from minitheano import exercises as ex
from minitheano.exercises.__main__ import describe, main

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
    text = describe()
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


def test_every_exercise_lists_tests_of_its_own_chapter_that_exist() -> None:
    entries = ex.registry()  # itself checks: one entry per exercise, each with tests
    assert {r.short_name for r in ex.exercises()} == set(entries)
    functions: dict[str, set[str]] = {}  # test file -> its test functions
    for name, entry in entries.items():
        assert entry.hint, f"{name}: no hint"
        for test in entry.tests:
            file, function = test.split("::")
            assert file.startswith(f"tests/{name[:4]}_"), f"{name}: {test} is not of its chapter"
            if file not in functions:
                tree = ast.parse((ROOT / file).read_text())
                functions[file] = {node.name for node in tree.body
                                   if isinstance(node, ast.FunctionDef)}
            assert function in functions[file], f"{name}: no test {test}"


def test_blank_then_restore_is_byte_identical(tmp_path: Path) -> None:
    package = copy_project(tmp_path)
    before = snapshot(package)
    for chapter in chapters(package):  # the text round trip (importability: the slow tests)
        blanked = ex.blank(chapter, package, check_import=False)
        assert blanked and all(c.region.chapter == chapter for c in blanked)
        assert ex.blank(chapter, package, check_import=False) == []  # the originals stay
    after_blank = snapshot(package)
    changed = [path for path in before if before[path] != after_blank[path]]
    assert changed
    for path in changed:
        ast.parse(after_blank[path], filename=str(path))
    for region in ex.exercises(package):
        assert region.is_blank()
    assert "(blank)" in describe(package)
    assert ex.restore(None, package)
    assert snapshot(package) == before
    assert not list((tmp_path / ".exercises").iterdir())


def test_one_exercise_is_blanked_and_restored_alone(tmp_path: Path) -> None:
    package = copy_project(tmp_path)
    before = snapshot(package)
    (change,) = ex.blank("ch04-mul-grad", package, check_import=False)
    assert change.region.name == "ex-ch04-mul-grad" and change.attempt is None
    text = (package / "scalar" / "arithmetic.py").read_text()
    assert 'raise NotImplementedError("exercise ch04-mul-grad: see chapter 4")' in text
    assert sum(before[p] != q for p, q in snapshot(package).items()) == 1
    ex.restore("ch04", package)  # only the blanked one has anything to restore
    assert snapshot(package) == before


def write_attempt(package: Path, code: str) -> None:
    """Type `code` into the region of ch04-mul-grad, as a reader would."""
    (region,) = ex.select("ch04-mul-grad", package)  # where it is now
    lines = region.path.read_text().splitlines(keepends=True)
    lines[region.start:region.stop] = [region.indent + code + "\n"]
    region.path.write_text("".join(lines))


def test_the_readers_attempts_are_numbered_and_never_lost(tmp_path: Path) -> None:
    package = copy_project(tmp_path)
    before = snapshot(package)
    store = tmp_path / ".exercises"
    (change,) = ex.blank("ch04-mul-grad", package, check_import=False)
    original = json.loads((store / "ex-ch04-mul-grad.json").read_text())
    write_attempt(package, "return [gz, gz]")
    # A second blank keeps the attempt and the saved original.
    (change,) = ex.blank("ch04-mul-grad", package, check_import=False)
    assert change.attempt == store / "ex-ch04-mul-grad.attempt-1.py"
    assert change.attempt.read_text() == "return [gz, gz]\n"
    assert json.loads((store / "ex-ch04-mul-grad.json").read_text()) == original
    assert ex.select("ch04-mul-grad", package)[0].is_blank()
    # A second attempt, then restore: the attempt goes to a new file, the original comes back.
    write_attempt(package, "return [gz * 2, gz]")
    (change,) = ex.restore("ch04-mul-grad", package)
    assert change.attempt == store / "ex-ch04-mul-grad.attempt-2.py"
    assert change.attempt.read_text() == "return [gz * 2, gz]\n"
    assert (store / "ex-ch04-mul-grad.attempt-1.py").read_text() == "return [gz, gz]\n"
    assert snapshot(package) == before
    # A third cycle: blank, attempt, restore -> attempt-3; nothing earlier overwritten.
    (change,) = ex.blank("ch04-mul-grad", package, check_import=False)
    write_attempt(package, "return [gz * 3, gz]")
    (change,) = ex.restore("ch04-mul-grad", package)
    assert change.attempt.name == "ex-ch04-mul-grad.attempt-3.py"
    assert len(list(store.glob("*.attempt-*.py"))) == 3
    assert snapshot(package) == before


def test_restore_says_where_the_attempt_went(tmp_path: Path,
                                             capsys: pytest.CaptureFixture) -> None:
    package = copy_project(tmp_path)
    ex.blank("ch04-mul-grad", package, check_import=False)
    write_attempt(package, "return [gz, gz]")
    assert main(["restore", "ch04-mul-grad", "--package", str(package)]) == 0
    out = capsys.readouterr().out
    assert "restored ch04-mul-grad" in out
    assert "saved in .exercises/ex-ch04-mul-grad.attempt-1.py" in out


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
    assert not list((tmp_path / ".exercises").iterdir())  # and nothing left saved
    assert [c.region.name for c in ex.blank("ch01-in-f", package)] == ["ex-ch01-in-f"]


BROKEN = {
    "no end": ("def f():\n    # --8<-- [start:ex-ch01-open]\n    pass\n",
               r"open\.py:2: region 'ex-ch01-open' never ends"),
    "no start": ("def f():\n    pass\n    # --8<-- [end:ex-ch01-shut]\n",
                 r"shut\.py:3: region 'ex-ch01-shut' ends but never started"),
    "twice": ("def f():\n    # --8<-- [start:ex-ch01-two]\n    # --8<-- [start:ex-ch01-two]\n"
              "    pass\n    # --8<-- [end:ex-ch01-two]\n",
              r"twice\.py:3: region 'ex-ch01-two' opened twice"),
}


@pytest.mark.parametrize("case", BROKEN)
@pytest.mark.parametrize("command", ["list", "blank", "restore", "check"])
def test_a_broken_marker_is_one_line_naming_file_and_region(
        tmp_path: Path, capsys: pytest.CaptureFixture, case: str, command: str) -> None:
    source, message = BROKEN[case]
    package = tmp_path / "pkg"
    package.mkdir()
    file = {"no end": "open.py", "no start": "shut.py", "twice": "twice.py"}[case]
    (package / file).write_text(source)
    assert main([command, "ch01", "--package", str(package)]) == 2
    captured = capsys.readouterr()
    (line,) = captured.err.strip().splitlines()
    assert re.search(message, line) and line.startswith("error: ")
    assert str(package / file) in line
    assert (package / file).read_text() == source  # nothing written


def test_a_broken_marker_from_the_command_line_has_no_traceback(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "open.py").write_text(BROKEN["no end"][0])
    result = subprocess.run([sys.executable, "-m", "minitheano.exercises", "list",
                             "--package", str(package)],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1
    assert "open.py:2: region 'ex-ch01-open' never ends" in result.stderr


def test_unknown_selection_is_an_error() -> None:
    with pytest.raises(SystemExit, match="no exercise matches"):
        ex.select("ch99")


def test_command_line_list() -> None:
    out = subprocess.run([sys.executable, "-m", "minitheano.exercises", "list"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    assert "ch02\n" in out and "ch04-dot-grad" in out


# `check` on a small made-up project: a package `toy` with two exercises and their tests.
TOY = {
    "toy/__init__.py": """
        def double(x):
            # --8<-- [start:ex-ch01-double]
            return 2 * x
            # --8<-- [end:ex-ch01-double]


        def square(x):
            # --8<-- [start:ex-ch01-square]
            return x * x
            # --8<-- [end:ex-ch01-square]
        """,
    "tests/ch01_toy/test_toy.py": """
        import pytest
        import toy

        @pytest.mark.parametrize("x", [1, 2])
        def test_double(x):
            assert toy.double(x) == x + x

        def test_square():
            assert toy.square(3) == 9
        """,
    "tests/exercises.toml": """
        ["ch01-double"]
        tests = ["tests/ch01_toy/test_toy.py::test_double"]
        hint = "twice x"

        ["ch01-square"]
        tests = ["tests/ch01_toy/test_toy.py::test_square"]
        hint = "x times itself"
        """,
    "tests/conftest.py": """
        import pytest

        def pytest_collection_modifyitems(items):
            for item in items:
                item.add_marker(pytest.mark.ch01)
        """,
    "pyproject.toml": """
        [tool.pytest.ini_options]
        markers = ["ch01: chapter 1"]
        """,
}


@pytest.fixture
def toy(tmp_path: Path) -> Path:
    for name, text in TOY.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(textwrap.dedent(text).lstrip())
    return tmp_path / "toy"


def test_check_one_exercise_runs_its_tests_and_names_the_failures(
        toy: Path, capfd: pytest.CaptureFixture) -> None:
    assert ex.check("ch01-double", toy) == 0
    out = capfd.readouterr().out
    assert "ch01-double: all 2 tests pass" in out
    assert "test_square" not in out  # exactly its own tests ran
    ex.blank("ch01-double", toy)
    assert ex.check("ch01-double", toy) == 1
    out = capfd.readouterr().out
    assert "ch01-double: 2 of 2 tests fail (toy/__init__.py:2, blank)" in out
    assert "FAILED tests/ch01_toy/test_toy.py::test_double[1]" in out
    assert "hint: twice x" in out


def test_check_of_a_chapter_and_of_everything_end_with_a_table(
        toy: Path, capfd: pytest.CaptureFixture) -> None:
    ex.blank("ch01-square", toy)
    for selection in ("ch01", None):
        assert ex.check(selection, toy) == 1
        out = capfd.readouterr().out
        table = out[out.index("exercise  "):].splitlines()
        assert re.fullmatch(r"exercise\s+blank\s+tests passing", table[0])
        assert re.fullmatch(r"ch01-double\s+no\s+2/2\s+ok", table[1])
        assert re.fullmatch(r"ch01-square\s+yes\s+0/1\s+FAIL", table[2])
        assert "hint: x times itself" in out


def test_the_registry_must_match_the_exercises(toy: Path) -> None:
    registry = toy.parent / "tests" / "exercises.toml"
    text = registry.read_text()
    registry.write_text(text.replace('["ch01-square"]', '["ch01-cube"]'))
    with pytest.raises(ex.MarkerError, match=r"no tests listed for \['ch01-square'\]"):
        ex.registry(toy)
    registry.write_text(text.replace('tests = ["tests/ch01_toy/test_toy.py::test_square"]',
                                     "tests = []"))
    with pytest.raises(ex.MarkerError, match="'ch01-square'.* needs `tests`"):
        ex.registry(toy)
