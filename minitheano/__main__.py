"""`python -m minitheano COMMAND ...`: the package's command-line tools.

    python -m minitheano cache list|clear|check   the compiled-module cache (chapter 5)
    python -m minitheano doctor                   what can run CUDA kernels here (chapter 6)
"""

from __future__ import annotations

import sys

from minitheano.link.c import cache


def doctor(argv: list[str]) -> int:
    if argv:
        print("usage: python -m minitheano doctor", file=sys.stderr)
        return 2
    from minitheano.link.cuda.device import doctor as report  # CUDA is imported on demand

    print(report())
    return 0


COMMANDS = {"cache": cache.command, "doctor": doctor}
USAGE = "usage: python -m minitheano " + "|".join(COMMANDS) + " ..."


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print(USAGE, file=sys.stderr)
        return 2
    return COMMANDS[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
