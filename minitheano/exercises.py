"""The book's exercises: blank a tagged region of the library, then make its tests pass again.

The heart of each teachable piece of minitheano sits between two snippet markers, the same
ones the book uses to show that code on its page:

    # --8<-- [start:ex-ch04-mul-grad]
    return [gz * y, gz * x]
    # --8<-- [end:ex-ch04-mul-grad]

    python -m minitheano.exercises list             every exercise, per chapter
    python -m minitheano.exercises blank ch04       replace chapter 4's regions by a raise
    python -m minitheano.exercises blank ch04-mul-grad        ... or just one of them
    python -m minitheano.exercises check ch04       run chapter 4's tests (pytest -m ch04)
    python -m minitheano.exercises restore ch04     bring the original code back

`blank` keeps the markers and saves the original code under `.exercises/` (next to the
package, git-ignored), so `restore` works without git and leaves the rest of the file alone.
Your own attempt, if any, is kept there too when you restore. See the book's introduction.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

MARKER = re.compile(r"^(?P<indent>[ \t]*)# --8<-- \[(?P<kind>start|end):(?P<name>[\w-]+)\]\s*$")
EXERCISE = re.compile(r"^ex-(?P<chapter>ch\d\d)-[\w-]+$")
PACKAGE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Region:
    """The lines strictly between a start and an end marker (0-based, end exclusive)."""

    name: str
    path: Path
    start: int  # first line of the body
    stop: int  # the end marker's line
    indent: str

    @property
    def chapter(self) -> str:
        return self.name.split("-")[1]

    @property
    def stub(self) -> str:
        tag = self.name.removeprefix("ex-")
        number = int(self.chapter[2:])
        return f'{self.indent}raise NotImplementedError("exercise {tag}: see chapter {number}")\n'


def regions(path: Path, lines: list[str] | None = None) -> list[Region]:
    """Every marked region of one file, checked to be well nested and closed."""
    lines = path.read_text().splitlines(keepends=True) if lines is None else lines
    found, open_ = [], {}
    for number, line in enumerate(lines):
        match = MARKER.match(line)
        if not match:
            continue
        name, indent = match["name"], match["indent"]
        if match["kind"] == "start":
            if name in open_:
                raise ValueError(f"{path}:{number + 1}: region {name!r} opened twice")
            open_[name] = (number, indent)
        else:
            if name not in open_:
                raise ValueError(f"{path}:{number + 1}: region {name!r} ends but never started")
            begin, start_indent = open_.pop(name)
            if indent != start_indent:
                raise ValueError(f"{path}:{number + 1}: region {name!r} ends at another indent")
            found.append(Region(name, path, begin + 1, number, indent))
    if open_:
        raise ValueError(f"{path}: region(s) {sorted(open_)} never end")
    return sorted(found, key=lambda r: r.start)


def exercises(package: Path = PACKAGE) -> list[Region]:
    """Every exercise region (`ex-chNN-...`) in the package, sorted by chapter and name."""
    files = [p for p in sorted(package.rglob("*.py")) if p.name != "exercises.py"]  # not us
    found = [r for path in files for r in regions(path) if EXERCISE.match(r.name)]
    names = [r.name for r in found]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"exercise names used twice: {duplicates}")
    for before, after in zip(found, found[1:]):
        if before.path == after.path and after.start <= before.stop:
            raise ValueError(f"{after.path}: exercises {before.name} and {after.name} overlap")
    return sorted(found, key=lambda r: (r.chapter, r.name))


def select(selection: str, package: Path = PACKAGE) -> list[Region]:
    """The exercises of a chapter (`ch04`) or one exercise (`ch04-mul-grad`)."""
    chosen = [r for r in exercises(package)
              if selection in (r.chapter, r.name.removeprefix("ex-"), r.name)]
    if not chosen:
        raise SystemExit(f"no exercise matches {selection!r}; see `python -m minitheano.exercises"
                         " list`")
    return chosen


def _store(package: Path) -> Path:
    return package.parent / ".exercises"


def _rewrite(path: Path, changes: dict[Region, list[str]]) -> None:
    """Replace the bodies of some regions of one file, refusing to write what does not parse."""
    lines = path.read_text().splitlines(keepends=True)
    for region in sorted(changes, key=lambda r: r.start, reverse=True):
        lines[region.start:region.stop] = changes[region]
    text = "".join(lines)
    try:
        ast.parse(text, filename=str(path))
    except SyntaxError as error:
        raise SystemExit(f"not written: {path} would not parse ({error})") from error
    path.write_text(text)


def _body(region: Region) -> list[str]:
    return region.path.read_text().splitlines(keepends=True)[region.start:region.stop]


def import_error(package: Path) -> str | None:
    """None if the package imports in a fresh interpreter, else the error's last line."""
    env = {**os.environ, "PYTHONPATH": str(package.parent)}
    result = subprocess.run([sys.executable, "-c", f"import {package.name}"],
                            cwd=package.parent, env=env, capture_output=True, text=True)
    return None if result.returncode == 0 else result.stderr.strip().splitlines()[-1]


def blank(selection: str, package: Path = PACKAGE, check_import: bool = True) -> list[Region]:
    """Replace the selected regions by a NotImplementedError; save the originals first.

    If the package no longer imports afterwards (a region that runs at import time), the
    regions are put back and nothing is blanked: `restore` itself needs the package.
    """
    store = _store(package)
    store.mkdir(exist_ok=True)
    blanked, per_file = [], {}
    for region in select(selection, package):
        body = _body(region)
        if body == [region.stub]:
            continue  # already blank: keep the saved original, never overwrite it with the stub
        (store / f"{region.name}.json").write_text(json.dumps(body))
        per_file.setdefault(region.path, {})[region] = [region.stub]
        blanked.append(region)
    for path, changes in per_file.items():
        _rewrite(path, changes)
    error = import_error(package) if check_import and blanked else None
    if error:
        for region in blanked:
            restore(region.name, package)
        names = ", ".join(r.name.removeprefix("ex-") for r in blanked)
        raise SystemExit(f"not blanked: with {names} blanked, `import {package.name}` fails "
                         f"({error}). An exercise region must be code that runs when a test "
                         f"calls it, not at import time.")
    return blanked


def restore(selection: str, package: Path = PACKAGE) -> list[Region]:
    """Put the saved original code back into the selected blank (or attempted) regions."""
    store = _store(package)
    restored, per_file = [], {}
    for region in select(selection, package):
        saved = store / f"{region.name}.json"
        if not saved.exists():
            continue  # never blanked
        body, original = _body(region), json.loads(saved.read_text())
        if body not in ([region.stub], original):  # the reader's attempt: keep a copy
            attempt = textwrap.dedent("".join(body))
            (store / f"{region.name}.attempt.py").write_text(attempt)
        per_file.setdefault(region.path, {})[region] = original
        restored.append(region)
    for path, changes in per_file.items():
        _rewrite(path, changes)
    for region in restored:
        (store / f"{region.name}.json").unlink()
    return restored


def check(chapter: str, package: Path = PACKAGE) -> int:
    """Run a chapter's tests; a selection that collects no test is an error (exit code 5)."""
    if not re.fullmatch(r"ch\d\d", chapter):
        raise SystemExit(f"check takes a chapter like ch04, not {chapter!r}")
    root = package.parent
    command = [sys.executable, "-m", "pytest", "-q", "-m", chapter, str(root / "tests")]
    code = subprocess.call(command, cwd=root)
    if code == 0:
        print(f"{chapter}: all tests pass")
    elif code == 1:
        print(f"{chapter}: some tests fail")
    elif code == 5:
        print(f"error: no test of {chapter} was collected", file=sys.stderr)
    else:
        print(f"error: pytest could not run the tests of {chapter} (exit code {code})",
              file=sys.stderr)
    return code


def describe(package: Path = PACKAGE) -> str:
    """The `list` command's text: each chapter's exercises, where they are, which are blank."""
    out, chapter = [], None
    for region in exercises(package):
        if region.chapter != chapter:
            chapter = region.chapter
            out.append(chapter)
        where = f"{region.path.relative_to(package.parent)}:{region.start}"
        state = "  (blank)" if _body(region) == [region.stub] else ""
        out.append(f"  {region.name.removeprefix('ex-'):34} {where}{state}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m minitheano.exercises",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["list", "blank", "restore", "check"])
    parser.add_argument("selection", nargs="?", help="a chapter (ch04) or an exercise "
                        "(ch04-mul-grad)")
    parser.add_argument("--package", type=Path, default=PACKAGE, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.command == "list":
        print(describe(args.package))
        return 0
    if not args.selection:
        parser.error(f"{args.command} needs a chapter, e.g. ch04")
    if args.command == "check":
        return check(args.selection, args.package)
    done = (blank if args.command == "blank" else restore)(args.selection, args.package)
    verb = "blanked" if args.command == "blank" else "restored"
    for region in done:
        print(f"{verb} {region.name.removeprefix('ex-')}  "
              f"({region.path.relative_to(args.package.parent)}:{region.start})")
    if not done:
        print(f"nothing to do: {args.selection} is already {verb}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
