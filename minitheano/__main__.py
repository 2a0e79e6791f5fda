"""`python -m minitheano cache list|clear`: the compiled-module cache of chapter 5;
`python -m minitheano doctor`: what can run CUDA kernels here (chapter 6)."""

from __future__ import annotations

import sys
import time

from minitheano.config import config
from minitheano.link.c.build import cache_entries, clear_cache

USAGE = "usage: python -m minitheano cache list|clear | doctor"


def main(argv: list[str]) -> int:
    if argv == ["doctor"]:
        from minitheano.link.cuda.device import doctor

        print(doctor())
        return 0
    if len(argv) != 2 or argv[0] != "cache" or argv[1] not in ("list", "clear"):
        print(USAGE, file=sys.stderr)
        return 2
    if argv[1] == "clear":
        print(f"removed {clear_cache()} compiled module(s) from {config.compiledir}")
        return 0
    entries = cache_entries()
    print(f"{len(entries)} compiled module(s) in {config.compiledir}")
    for path, size, mtime, title in entries:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(mtime))
        title = title.removeprefix("/* minitheano module: ")
        print(f"{path.name}  {size // 1024:5d} KiB  {when}  {title[:60]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
