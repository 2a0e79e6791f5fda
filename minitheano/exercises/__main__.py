"""The command line of the exercises: `python -m minitheano.exercises list|blank|restore|check`.

A broken marker or registry entry is reported in one line (file, line, region) by every
command, `list` included, with exit code 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from minitheano.exercises import __doc__ as overview
from minitheano.exercises.check import check
from minitheano.exercises.regions import PACKAGE, MarkerError, exercises
from minitheano.exercises.store import Change, blank, restore


def describe(package: Path = PACKAGE) -> str:
    """The `list` command's text: each chapter's exercises, where they are, which are blank."""
    out, chapter = [], None
    for region in exercises(package):
        if region.chapter != chapter:
            chapter = region.chapter
            out.append(chapter)
        where = f"{region.path.relative_to(package.parent)}:{region.start}"
        state = "  (blank)" if region.is_blank() else ""
        out.append(f"  {region.short_name:34} {where}{state}")
    return "\n".join(out)


def say(changes: list[Change], verb: str, package: Path) -> None:
    for change in changes:
        region = change.region
        print(f"{verb} {region.short_name}  ({region.path.relative_to(package.parent)}:"
              f"{region.start})")
        if change.attempt is not None:
            print(f"  your code that was there is saved in "
                  f"{change.attempt.relative_to(package.parent)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m minitheano.exercises",
                                     description=overview.split("\n\n")[0])
    parser.add_argument("command", choices=["list", "blank", "restore", "check"])
    parser.add_argument("selection", nargs="?", help="an exercise (ch04-mul-grad), a chapter "
                        "(ch04), or nothing: every exercise")
    parser.add_argument("--package", type=Path, default=PACKAGE, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    package = args.package.resolve()
    try:
        if args.command == "list":
            print(describe(package))
            return 0
        if args.command == "check":
            return check(args.selection, package)
        if args.command == "blank":
            changes = blank(args.selection, package)
            say(changes, "blanked", package)
        else:
            changes = restore(args.selection, package)
            say(changes, "restored", package)
        if not changes:
            state = "blank" if args.command == "blank" else "as the library has it"
            print(f"nothing to do: {args.selection or 'every exercise'} is already {state}")
        return 0
    except MarkerError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
