"""Compiling CUDA text with nvcc, to prove it is valid for real GPUs (chapter 6).

No GPU is needed to compile: `nvcc -cubin -arch=sm_80` turns a module into
machine code for an A100 (sm_90: an H100), and `-Xptxas -v` reports, for
each kernel, its registers, barriers and bytes of shared memory.  Those are
facts worth checking: an elementwise kernel uses no barrier; the tiled
matmul's two tiles of 16 x 16 floats are 2048 bytes of shared memory.

A refused module raises `CudaCompileError` with the source, numbered, and
nvcc's message: the first line of the message names a line of that listing.

nvcc takes a second or more per module: the facts of a module that compiled
are kept in the compile cache (config.compiledir, a small JSON file named by
a hash of the source, the architectures and nvcc's version), so checking the
same text again costs nothing.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from minitheano.config import config

ARCHS = ("sm_80", "sm_90")


class CudaCompileError(RuntimeError):
    """nvcc refused a generated module."""


@dataclass(frozen=True)
class KernelFacts:
    """What ptxas says about one compiled kernel."""
    registers: int
    barriers: int
    shared_bytes: int


def nvcc_problem() -> str | None:
    """Why nvcc cannot be used here, or None when it can."""
    if shutil.which("nvcc") is None:
        return "nvcc (the CUDA compiler) is not on the PATH"
    return None


_ENTRY = re.compile(r"Compiling entry function '(\w+)' for '(\w+)'")
_USED = re.compile(r"Used (\d+) registers(?:, used (\d+) barriers)?(?:, (\d+) bytes smem)?")


def parse_ptxas(text: str) -> dict[tuple[str, str], KernelFacts]:
    """{(kernel, arch): facts} from the output of `-Xptxas -v`."""
    facts, current = {}, None
    for line in text.splitlines():
        entry = _ENTRY.search(line)
        if entry:
            current = (entry.group(1), entry.group(2))
            continue
        used = _USED.search(line)
        if used and current is not None:
            facts[current] = KernelFacts(int(used.group(1)), int(used.group(2) or 0),
                                         int(used.group(3) or 0))
            current = None
    return facts


@functools.cache
def _nvcc_version() -> str:
    return subprocess.run(["nvcc", "--version"], capture_output=True, text=True).stdout


def _cached(path: Path) -> dict[tuple[str, str], KernelFacts] | None:
    try:
        entries = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return {(e["kernel"], e["arch"]): KernelFacts(**e["facts"]) for e in entries}


def compile_check(source: str,
                  archs: tuple[str, ...] = ARCHS) -> dict[tuple[str, str], KernelFacts]:
    """Compile `source` for each of `archs` (one nvcc run each, or none when the
    cache has this text's facts); the ptxas facts of every kernel.  Raises
    CudaCompileError with the numbered source on failure."""
    problem = nvcc_problem()
    if problem:
        raise RuntimeError(problem)
    key = hashlib.sha256("\0".join([source, *archs, _nvcc_version()]).encode()).hexdigest()
    path = Path(config.compiledir) / "nvcc" / f"{key[:32]}.json"
    cached = _cached(path)
    if cached is not None:
        return cached
    facts = _compile(source, archs)
    path.parent.mkdir(parents=True, exist_ok=True)
    entries = [{"kernel": k, "arch": a, "facts": asdict(f)} for (k, a), f in facts.items()]
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(entries))
    os.replace(tmp, path)  # whole or absent, for a reader in another process
    return facts


def _compile(source: str, archs: tuple[str, ...]) -> dict[tuple[str, str], KernelFacts]:
    facts: dict[tuple[str, str], KernelFacts] = {}
    with tempfile.TemporaryDirectory(prefix="mt-nvcc-") as tmp:
        (Path(tmp) / "module.cu").write_text(source)
        for arch in archs:
            cmd = ["nvcc", "-cubin", f"-arch={arch}", "-Xptxas", "-v", "module.cu",
                   "-o", f"module-{arch}.cubin"]
            result = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True,
                                    env={**os.environ, "LC_ALL": "C"})
            if result.returncode != 0:
                raise CudaCompileError(compile_error_message(source, cmd, result.stderr))
            facts.update(parse_ptxas(result.stdout + result.stderr))
    return facts


def compile_error_message(source: str, cmd: list[str], stderr: str) -> str:
    numbered = "\n".join(f"{n:5d}  {line}" for n, line in enumerate(source.splitlines(), 1))
    return (f"nvcc refused a generated CUDA module.\nCommand: {' '.join(cmd)}\n"
            f"nvcc's message (module.cu(LINE) names a line below):\n{stderr.rstrip()}\n"
            f"The module (module.cu):\n{numbered}")
