"""Blank and restore exercise regions without ever losing the reader's code (book: introduction).

`blank` replaces a region's body by `raise NotImplementedError(...)`; `restore` puts the
library's code back. Both keep what they take away, under `.exercises/` next to the package
(git-ignored), so neither needs git:

* `.exercises/ex-ch04-mul-grad.json`: the library's original code, saved by the first `blank`
  and never overwritten while it is there (a second `blank` keeps it); `restore` removes it.
* `.exercises/ex-ch04-mul-grad.attempt-N.py`: the reader's own code, whenever a `blank` or a
  `restore` finds the region holding something that is neither the original nor the stub.
  N counts up, so an earlier attempt is never overwritten.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

from minitheano.exercises.regions import PACKAGE, Region, select


@dataclass(frozen=True)
class Change:
    """One region that `blank` or `restore` rewrote, and where the reader's attempt went."""

    region: Region
    attempt: Path | None  # the file the reader's code was saved to, if there was any


def store(package: Path) -> Path:
    return package.parent / ".exercises"


def saved_original(region: Region, package: Path) -> Path:
    return store(package) / f"{region.name}.json"


def save_attempt(region: Region, body: list[str], package: Path) -> Path:
    """Write the reader's code to the next free `.attempt-N.py` file; return its path."""
    number = 1
    while (path := store(package) / f"{region.name}.attempt-{number}.py").exists():
        number += 1
    path.write_text(textwrap.dedent("".join(body)))
    return path


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


def _rewrite_all(bodies: dict[Region, list[str]]) -> None:
    per_file: dict[Path, dict[Region, list[str]]] = {}
    for region, body in bodies.items():
        per_file.setdefault(region.path, {})[region] = body
    for path, changes in per_file.items():
        _rewrite(path, changes)


def import_error(package: Path) -> str | None:
    """None if the package imports in a fresh interpreter, else the error's last line."""
    env = {**os.environ, "PYTHONPATH": str(package.parent)}
    result = subprocess.run([sys.executable, "-c", f"import {package.name}"],
                            cwd=package.parent, env=env, capture_output=True, text=True)
    return None if result.returncode == 0 else result.stderr.strip().splitlines()[-1]


def blank(selection: str | None, package: Path = PACKAGE,
          check_import: bool = True) -> list[Change]:
    """Replace the selected regions by a NotImplementedError, keeping what was there.

    If the package no longer imports afterwards (a region that runs at import time), every
    region is put back as it was and nothing is blanked: `restore` itself needs the package.
    """
    store(package).mkdir(exist_ok=True)
    before: dict[Region, list[str]] = {}
    changes, new_files = [], []
    for region in select(selection, package):
        body, saved = region.body(), saved_original(region, package)
        if body == [region.stub]:
            continue  # already blank: the saved original stays as it is
        attempt = None
        if not saved.exists():
            saved.write_text(json.dumps(body))
            new_files.append(saved)
        elif body != json.loads(saved.read_text()):
            attempt = save_attempt(region, body, package)
            new_files.append(attempt)
        before[region] = body
        changes.append(Change(region, attempt))
    _rewrite_all({region: [region.stub] for region in before})
    error = import_error(package) if check_import and changes else None
    if error:
        _rewrite_all(before)
        for path in new_files:
            path.unlink()
        names = ", ".join(change.region.short_name for change in changes)
        raise SystemExit(f"not blanked: with {names} blanked, `import {package.name}` fails "
                         f"({error}). An exercise region must be code that runs when a test "
                         f"calls it, not at import time.")
    return changes


def restore(selection: str | None, package: Path = PACKAGE) -> list[Change]:
    """Put the saved original code back; the reader's attempt, if any, goes to a new file."""
    originals: dict[Region, list[str]] = {}
    changes = []
    for region in select(selection, package):
        saved = saved_original(region, package)
        if not saved.exists():
            continue  # never blanked
        body, original = region.body(), json.loads(saved.read_text())
        attempt = None
        if body not in ([region.stub], original):
            attempt = save_attempt(region, body, package)
        originals[region] = original
        changes.append(Change(region, attempt))
    _rewrite_all(originals)
    for region in originals:
        saved_original(region, package).unlink()
    return changes
