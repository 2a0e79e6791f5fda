"""Windows over images as CUDA loops: im2col, col2im, pooling and its gradient
(chapters 6 and 8).

Chapter 8's conv2d and pool_2d describe their nodes like every other op
(tensor/kernel.py: `PatchesKernel`, `PoolKernel`), and `CudaPrinter` prints
them with the pieces it prints everything else with: a grid-stride loop over
the elements of the output (one thread per element, any grid covers any
count), the element's flat index split into coordinates as in a strided
elementwise kernel, and a reduction's fold (`fold`, `start_value`) for a
window's max or sum.  What this module adds is the one idea both layers
share, a window sliding over the last two axes, walked in two directions:

    window_taps       from an output position (i, j) to the pixels of its
                      window: y = i*SH + a*DH - PH for each tap a (pooling,
                      max-pool's search for the first max; im2col computes the
                      same y for the one tap its thread copies)
    windows_covering  from a pixel (y, z) back to the windows whose taps land
                      on it: i = (y + PH - a*DH) / SH where that divides
                      (col2im, the pooling gradients)

Gradients gather instead of scattering: one thread per pixel sums what lands
on it, so no two threads write one place (no atomics, and the same sum
whatever order the threads run in).

Both layers are launched with one geometry (`GEOMETRY`, conv_c's): batch,
channels, image, taps, output, pads, strides and dilations, as `long`
parameters; pooling is the case of one channel, every leading axis counted
as the batch, and dilation 1.  The host side is link/cuda/layer_launch.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from minitheano.link.loop import block
from minitheano.tensor.kernel import PatchesKernel, PoolKernel

if TYPE_CHECKING:
    from minitheano.link.cuda.printer import CudaFunction, CudaPrinter

# The numbers every window kernel is launched with, in this order (conv_c.GEOMETRY).
GEOMETRY = ("N", "C", "H", "W", "KH", "KW", "OH", "OW", "PH", "PW", "SH", "SW", "DH", "DW")

# Per spatial axis: (taps, pad, stride, dilation, image length, window count).
_AXES = (("KH", "PH", "SH", "DH", "H", "OH"), ("KW", "PW", "SW", "DW", "W", "OW"))


def coordinates(index: str, dims: list[tuple[str, str]]) -> list[str]:
    """`index` split into coordinates (name, length), the last varying fastest,
    as a strided elementwise kernel splits its flat index."""
    lines = [f"long rest = {index};"]
    for name, length in reversed(dims[1:]):
        lines.append(f"const long {name} = rest % {length}; rest /= {length};")
    return lines + [f"const long {dims[0][0]} = rest;"]


def window_taps(window: tuple[str, str], taps: tuple[str, str], pixel: tuple[str, str],
                body: list[str], while_: str | None = None) -> list[str]:
    """`body` for each tap of window (i, j) that lands inside the image, at pixel
    (y, z), row by row; `while_`: the walk goes on only while it holds."""
    (i, j), (a, b), (y, z) = window, taps, pixel
    (kh, ph, sh, dh, h, _), (kw, pw, sw, dw, w, _) = _AXES
    more = f" && {while_}" if while_ else ""
    inner = block(f"for (long {b} = 0; {b} < {kw}{more}; {b}++)",
                   [f"const long {z} = {j} * {sw} + {b} * {dw} - {pw};",
                    f"if ({z} < 0 || {z} >= {w}) continue;"] + body)
    return block(f"for (long {a} = 0; {a} < {kh}{more}; {a}++)",
                  [f"const long {y} = {i} * {sh} + {a} * {dh} - {ph};",
                   f"if ({y} < 0 || {y} >= {h}) continue;  /* padding: never read */"]
                  + inner)


def windows_covering(pixel: tuple[str, str], body: list[str]) -> list[str]:
    """`body` for each window (i, j) and tap (a, b) of it that lands on pixel (y, z):
    i*SH + a*DH - PH == y, so for each tap a, the window i = (y + PH - a*DH) / SH
    when that is a whole number of strides and a window that exists."""
    loops = body
    # The column axis innermost: built first, then wrapped in the row axis's loop.
    for (taps, pad, stride, dilation, _, count), coordinate, tap, window in reversed(
            list(zip(_AXES, pixel, ("a", "b"), ("i", "j")))):
        start = f"{window}_at"  # where window `window` starts: window * stride
        loops = block(f"for (long {tap} = 0; {tap} < {taps}; {tap}++)", [
            f"const long {start} = {coordinate} + {pad} - {tap} * {dilation};",
            f"if ({start} < 0 || {start} % {stride} || {start} / {stride} >= {count}) continue;",
            f"const long {window} = {start} / {stride};"] + loops)
    return loops


def _params(printer: CudaPrinter, dtype: str, arrays: list[tuple[bool, str]]
            ) -> list[tuple[str, str]]:
    """(total, the geometry, then the arrays: (is written, name))."""
    t = printer.ctype(dtype)
    return ([("long", "total")] + [("long", g) for g in GEOMETRY]
            + [(f"{t} *" if out else f"const {t} *", name) for out, name in arrays])


# -- conv2d ----------------------------------------------------------------------------
def patches(printer: CudaPrinter, name: str, k: PatchesKernel) -> CudaFunction:
    """im2col, one thread per entry (c, a, b; n, i, j) of the patch matrix;
    col2im (`k.inverse`), one thread per pixel (n, c, y, z) gathering the entries
    copied from it."""
    if k.inverse:
        return _unpatches(printer, name, k)
    t = printer.ctype(k.dtype)
    # A flipped filter: row (c, a, b) reads tap (KH-1-a, KW-1-b); the filters are used
    # as stored and the weights' gradient comes out unflipped.
    row_tap, col_tap = ("KH - 1 - a", "KW - 1 - b") if k.flip else ("a", "b")
    entry = coordinates("e", [("c", "C"), ("a", "KH"), ("b", "KW"), ("n", "N"), ("i", "OH"),
                              ("j", "OW")])
    entry += [f"const long y = i * SH + ({row_tap}) * DH - PH;",
              f"const long z = j * SW + ({col_tap}) * DW - PW;",
              "cols[e] = y >= 0 && y < H && z >= 0 && z < W",
              f"    ? x[((n * C + c) * H + y) * W + z] : ({t})0;  /* 0 in the padding */"]
    return printer._function(name, _params(printer, k.dtype, [(False, "x"), (True, "cols")]),
                             printer._grid_stride("total", entry, "e"))


def _unpatches(printer: CudaPrinter, name: str, k: PatchesKernel) -> CudaFunction:
    t = printer.ctype(k.dtype)
    row_tap, col_tap = ("KH - 1 - a", "KW - 1 - b") if k.flip else ("a", "b")
    gather = [f"sum += cols[((c * KH + ({row_tap})) * KW + ({col_tap})) * (N * OH * OW)",
              "            + (n * OH + i) * OW + j];"]
    pixel = coordinates("e", [("n", "N"), ("c", "C"), ("y", "H"), ("z", "W")])
    pixel += [f"{t} sum = 0;", *windows_covering(("y", "z"), gather), "x[e] = sum;"]
    return printer._function(name, _params(printer, k.dtype, [(False, "cols"), (True, "x")]),
                             printer._grid_stride("total", pixel, "e"))


# -- pool_2d ---------------------------------------------------------------------------
# What an average divides window i's sum by, along one axis: its pixels inside the
# padded image, or (average_exc_pad) inside the image itself.
_DIVISOR = """{qualifier} long {name}(long i, long size, long stride, long pad, long length)
{{
    long start = i * stride, end = start + size;
    if (end > length + 2 * pad) end = length + 2 * pad;
{exclude}    return end - start;
}}"""
_EXCLUDE_PAD = ("    if (start < pad) start = pad;\n"
                "    if (end > pad + length) end = pad + length;\n")


def _divisor(printer: CudaPrinter, mode: str) -> str:
    """The pixels window (i, j) averages over: a device helper, printed once per mode."""
    name = f"mt_pool_divisor_{mode}"
    text = _DIVISOR.format(qualifier=printer.qualifier, name=name,
                           exclude=_EXCLUDE_PAD if mode == "average_exc_pad" else "")
    printer.helpers[(name, "long")] = text
    return (f"({name}(i, KH, SH, PH, H) * {name}(j, KW, SW, PW, W))")


def pool(printer: CudaPrinter, name: str, k: PoolKernel) -> CudaFunction:
    """Pooling, one thread per window (m, i, j): a reduction's fold over the window's
    pixels (max: the fold of T.max, NaN winning; else the sum), then the average's
    division.  Its gradient: `pool_grad`."""
    if k.grad:
        return _pool_grad(printer, name, k)
    t = printer.ctype(k.dtype)
    op = "maximum" if k.mode == "max" else "add"
    fold = [f"const {t} p = image[y * W + z];", f"v = {printer.fold(op, 'v', 'p', k.dtype)};"]
    window = coordinates("e", [("m", "N"), ("i", "OH"), ("j", "OW")])
    window += [f"const {t} *image = x + m * H * W;",
               f"{t} v = {printer.start_value(op, k.dtype)};",
               *window_taps(("i", "j"), ("a", "b"), ("y", "z"), fold)]
    if k.mode.startswith("average"):
        window.append(f"v /= ({t}){_divisor(printer, k.mode)};")
    window.append("out[e] = v;")
    return printer._function(name, _params(printer, k.dtype, [(False, "x"), (True, "out")]),
                             printer._grid_stride("total", window, "e"))


def _pool_grad(printer: CudaPrinter, name: str, k: PoolKernel) -> CudaFunction:
    """One thread per pixel (m, y, z), summing the output gradient of each window
    covering it: for max, of the windows whose first largest pixel (row by row, the
    CPU's rule) it is; for an average, divided as the pooling divided."""
    t = printer.ctype(k.dtype)
    arrays = [(False, "x"), (False, "out"), (False, "gz"), (True, "gx")]
    if k.mode == "max":
        find = ["if (image[r * W + c] == out[w])", "    first = r * W + c;"]
        take = ["const long w = (m * OH + i) * OW + j;",
                "long first = -1;  /* the window's first pixel equal to its max */",
                *window_taps(("i", "j"), ("a2", "b2"), ("r", "c"), find, while_="first < 0"),
                "if (first == y * W + z)", "    sum += gz[w];"]
    else:
        arrays = [(False, "gz"), (True, "gx")]  # the gradient only: x gives just its shape
        share = "" if k.mode == "sum" else f" / ({t}){_divisor(printer, k.mode)}"
        take = [f"sum += gz[(m * OH + i) * OW + j]{share};"]
    pixel = coordinates("e", [("m", "N"), ("y", "H"), ("z", "W")])
    if k.mode == "max":
        pixel.append(f"const {t} *image = x + m * H * W;")
    pixel += [f"{t} sum = 0;", *windows_covering(("y", "z"), take), "gx[e] = sum;"]
    return printer._function(name, _params(printer, k.dtype, arrays),
                             printer._grid_stride("total", pixel, "e"))
