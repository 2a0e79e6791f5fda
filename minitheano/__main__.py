"""`python -m minitheano COMMAND ...`: the package's command-line tools.

    python -m minitheano cache list|clear|check   the compiled-module cache (chapter 5)
"""

from __future__ import annotations

import sys

from minitheano.link.c import cache

COMMANDS = {"cache": cache.command}
USAGE = "usage: python -m minitheano " + "|".join(COMMANDS) + " ..."


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print(USAGE, file=sys.stderr)
        return 2
    return COMMANDS[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
