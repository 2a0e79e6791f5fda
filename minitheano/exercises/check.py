"""`check`: run an exercise's own tests and say which fail, with a hint (book: introduction).

Each exercise names the tests that check it in `tests/exercises.toml`, beside the tests:

    ["ch04-mul-grad"]
    tests = ["tests/ch04_differentiation/test_elemwise_grads.py::test_binary_gradients"]
    hint = "d(x*y)/dx = y: ..."

`check ch04-mul-grad` runs exactly those tests (seconds); `check ch04` runs chapter 4's
tests; `check` alone runs every exercise's tests. The last two end with a table: each
exercise, whether it is blank, and whether its tests pass. The outcome of every test comes
back from pytest through `outcomes.py`, a small pytest plugin.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

from minitheano.exercises.regions import PACKAGE, MarkerError, Region, exercises, select

REGISTRY = Path("tests") / "exercises.toml"


@dataclass(frozen=True)
class Entry:
    """One exercise's line in the registry: the tests that check it and a hint."""

    tests: list[str]  # pytest node ids: "tests/.../test_file.py::test_name"
    hint: str


def registry(package: Path = PACKAGE) -> dict[str, Entry]:
    """The registry, checked against the exercises: one entry each, each with tests."""
    path = package.parent / REGISTRY
    if not path.exists():
        raise MarkerError(f"{path}: missing (each exercise's tests are listed there)")
    try:
        table = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as error:
        raise MarkerError(f"{path}: not valid TOML ({error})") from error
    entries = {}
    for name, fields in table.items():
        tests, hint = fields.get("tests"), fields.get("hint", "")
        if not tests or not all(isinstance(t, str) and "::" in t for t in tests):
            raise MarkerError(f"{path}: [{name!r}] needs `tests`, a list of pytest node ids "
                              f"like 'tests/ch04_x/test_y.py::test_z'")
        entries[name] = Entry(list(tests), hint)
    names = {r.short_name for r in exercises(package)}
    if names - set(entries):
        raise MarkerError(f"{path}: no tests listed for {sorted(names - set(entries))}")
    if set(entries) - names:
        raise MarkerError(f"{path}: lists {sorted(set(entries) - names)}, which no region "
                          f"of {package.name} marks")
    return entries


def belongs(node_id: str, selection: str) -> bool:
    """Whether a test's node id is one of the tests a registry node id selects."""
    return node_id == selection or node_id.startswith((selection + "[", selection + "::"))


def run_pytest(root: Path, arguments: list[str],
               parallel: bool = True) -> tuple[int, dict[str, str]]:
    """Run pytest in `root`; its exit code and each test's outcome (passed/failed/skipped).

    `parallel=False` keeps it to one process: for a few tests, starting a process per core
    (pytest-xdist's `-n auto`, the project's default) costs more than it saves."""
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "outcomes.json"
        path = os.pathsep.join(dict.fromkeys([str(root), str(PACKAGE.parent)]))  # + the plugin
        env = {**os.environ, "PYTHONPATH": path, "MINITHEANO_EXERCISE_REPORT": str(report)}
        one = ["-n", "0"] if not parallel and importlib.util.find_spec("xdist") else []
        command = [sys.executable, "-m", "pytest", "-p", "minitheano.exercises.outcomes",
                   "-p", "no:cacheprovider", *one, *arguments]
        code = subprocess.call(command, cwd=root, env=env)
        outcomes = json.loads(report.read_text()) if report.exists() else {}
    return code, outcomes


@dataclass(frozen=True)
class Result:
    """How one exercise stands: blank or not, and its tests' outcomes."""

    region: Region
    entry: Entry
    outcomes: dict[str, str]  # node id -> passed / failed / skipped

    @property
    def failed(self) -> list[str]:
        return [node for node, outcome in self.outcomes.items() if outcome == "failed"]

    @property
    def passing(self) -> bool:
        return bool(self.outcomes) and not self.failed


def results(regions: list[Region], entries: dict[str, Entry],
            outcomes: dict[str, str]) -> list[Result]:
    found = []
    for region in regions:
        entry = entries[region.short_name]
        mine = {node: outcome for node, outcome in outcomes.items()
                if any(belongs(node, test) for test in entry.tests)}
        found.append(Result(region, entry, mine))
    return found


def table(found: list[Result]) -> str:
    """The progress table: exercise, blank or not, its tests passing or not."""
    rows = [("exercise", "blank", "tests passing", "")]
    for result in found:
        passed = sum(outcome == "passed" for outcome in result.outcomes.values())
        verdict = "ok" if result.passing else ("not run" if not result.outcomes else "FAIL")
        rows.append((result.region.short_name, "yes" if result.region.is_blank() else "no",
                     f"{passed}/{len(result.outcomes)}", verdict))
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip()
                     for row in rows)


def report(result: Result, package: Path) -> str:
    """What `check` says about one exercise: its failing tests and the hint."""
    where = f"{result.region.path.relative_to(package.parent)}:{result.region.start}"
    blank = ", blank" if result.region.is_blank() else ""
    name = result.region.short_name
    if not result.outcomes:
        return f"{name}: its tests did not run ({where}{blank})"
    if result.passing:
        return f"{name}: all {len(result.outcomes)} tests pass ({where}{blank})"
    lines = [f"{name}: {len(result.failed)} of {len(result.outcomes)} tests fail "
             f"({where}{blank})"]
    lines += [f"  FAILED {node}" for node in result.failed]
    if result.entry.hint:
        lines.append(f"  hint: {result.entry.hint}")
    return "\n".join(lines)


def check(selection: str | None, package: Path = PACKAGE) -> int:
    """Run the selected exercises' tests; print what fails (and a table for many)."""
    chosen, entries = select(selection, package), registry(package)
    root = package.parent
    if selection is not None and re.fullmatch(r"ch\d\d", selection):
        arguments = ["-q", "--tb=line", "-m", selection, "tests"]
    else:
        tests = sorted({test for region in chosen for test in entries[region.short_name].tests})
        arguments = ["-q", "--tb=short" if len(chosen) == 1 else "--tb=line", *tests]
    code, outcomes = run_pytest(root, arguments, parallel=len(chosen) > 1)
    found = results(chosen, entries, outcomes)
    print()
    for result in found:
        if not result.passing or len(found) == 1:
            print(report(result, package))
    if len(found) > 1:
        print(table(found))
    if code not in (0, 1) or not outcomes:
        print(f"error: pytest could not run the tests (exit code {code})", file=sys.stderr)
        return code or 1
    return 0 if all(result.passing for result in found) and code == 0 else 1
