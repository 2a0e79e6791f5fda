"""Exercise regions: the code between two snippet markers, found and checked (book: introduction).

The book shows a piece of the library on its page by naming a region of a source file:

    # --8<-- [start:ex-ch04-mul-grad]
    return [gz * y, gz * x]
    # --8<-- [end:ex-ch04-mul-grad]

A region whose name is `ex-chNN-short-name` is also an exercise of chapter NN. This module
finds the regions of a file and checks that they are well formed; a marker that is broken
(opened twice, never closed, closed at another indent) is a `MarkerError` that names the
file, the line and the region, so every command can report it in one line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

MARKER = re.compile(r"^(?P<indent>[ \t]*)# --8<-- \[(?P<kind>start|end):(?P<name>[\w-]+)\]\s*$")
EXERCISE = re.compile(r"^ex-(?P<chapter>ch\d\d)-[\w-]+$")
PACKAGE = Path(__file__).resolve().parents[1]
TOOL = Path(__file__).resolve().parent  # this tool's own files show markers in docstrings


class MarkerError(ValueError):
    """A broken or missing snippet marker; its message is one line: file, line, region."""


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
    def short_name(self) -> str:
        """The name readers type: `ch04-mul-grad` for the region `ex-ch04-mul-grad`."""
        return self.name.removeprefix("ex-")

    @property
    def stub(self) -> str:
        number = int(self.chapter[2:])
        return (f'{self.indent}raise NotImplementedError("exercise {self.short_name}: '
                f'see chapter {number}")\n')

    def body(self) -> list[str]:
        """The region's lines as they are in the file now."""
        return self.path.read_text().splitlines(keepends=True)[self.start:self.stop]

    def is_blank(self) -> bool:
        return self.body() == [self.stub]


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
                raise MarkerError(f"{path}:{number + 1}: region {name!r} opened twice")
            open_[name] = (number, indent)
        else:
            if name not in open_:
                raise MarkerError(f"{path}:{number + 1}: region {name!r} ends but never "
                                  f"started (its start marker is missing)")
            begin, start_indent = open_.pop(name)
            if indent != start_indent:
                raise MarkerError(f"{path}:{number + 1}: region {name!r} ends at another "
                                  f"indent than it starts (line {begin + 1})")
            found.append(Region(name, path, begin + 1, number, indent))
    if open_:
        name, (begin, _) = min(open_.items(), key=lambda item: item[1][0])
        raise MarkerError(f"{path}:{begin + 1}: region {name!r} never ends (its end marker "
                          f"`# --8<-- [end:{name}]` is missing)")
    return sorted(found, key=lambda r: r.start)


def exercises(package: Path = PACKAGE) -> list[Region]:
    """Every exercise region (`ex-chNN-...`) in the package, sorted by chapter and name."""
    tool = package / TOOL.name
    files = [p for p in sorted(package.rglob("*.py")) if tool not in p.parents]
    found = [r for path in files for r in regions(path) if EXERCISE.match(r.name)]
    names = [r.name for r in found]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise MarkerError(f"{package}: exercise names used twice: {duplicates}")
    for before, after in zip(found, found[1:]):
        if before.path == after.path and after.start <= before.stop:
            raise MarkerError(f"{after.path}:{after.start}: exercises {before.name} and "
                              f"{after.name} overlap")
    return sorted(found, key=lambda r: (r.chapter, r.name))


def select(selection: str | None, package: Path = PACKAGE) -> list[Region]:
    """Every exercise (None), a chapter's (`ch04`) or one exercise (`ch04-mul-grad`)."""
    chosen = [r for r in exercises(package)
              if selection in (None, r.chapter, r.short_name, r.name)]
    if not chosen:
        raise SystemExit(f"no exercise matches {selection!r}; see `python -m minitheano.exercises"
                         " list`")
    return chosen
