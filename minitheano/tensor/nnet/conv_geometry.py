"""Where a 2-d convolution's filter lands: padding, strides, dilation (chapter 8).

A convolution layer is described by a few numbers, and every part of it (the
output's shape, the forward pass, both gradients, the checks on bad shapes)
needs the same arithmetic on them.  It is written once here, on plain ints.

With the filter's taps `dilation` apart, a filter of `k` rows covers
`dilation * (k - 1) + 1` rows of the image; the image gets `pad` zero rows
above and below, and the filter moves `stride` rows at a time, so

    out = (rows + 2 pad - covered) // stride + 1

`border_mode` names the usual paddings: 'valid' none (the filter stays
inside the image), 'full' every position where the filter touches the image
(covered - 1), 'half' half a filter (covered // 2: the output keeps the
image's size for odd filters and stride 1), or explicit ints.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

BORDER_MODES = ("valid", "full", "half")


def _pair(value: Any, what: str) -> tuple[int, int]:
    """`value` as a pair of ints: an int is used for both axes."""
    if isinstance(value, int) and not isinstance(value, bool):
        return (value, value)
    try:
        first, second = value
        return (int(first), int(second))
    except (TypeError, ValueError):
        raise ValueError(f"conv2d: {what} must be an int or a pair of ints, "
                         f"got {value!r}") from None


def check_border_mode(border_mode: Any) -> str | tuple[int, int]:
    """'valid', 'full', 'half', or a pair of non-negative ints (an int means both)."""
    if isinstance(border_mode, str):
        if border_mode not in BORDER_MODES:
            raise ValueError(f"conv2d: border_mode must be one of {BORDER_MODES}, an int or a "
                             f"pair of ints, got {border_mode!r}")
        return border_mode
    pads = _pair(border_mode, "border_mode")
    if min(pads) < 0:
        raise ValueError(f"conv2d: padding must be >= 0, got border_mode={border_mode!r}")
    return pads


def check_positive_pair(value: Any, what: str) -> tuple[int, int]:
    pair = _pair(value, what)
    if min(pair) < 1:
        raise ValueError(f"conv2d: {what} must be >= 1, got {value!r}")
    return pair


@dataclass(frozen=True)
class Axis:
    """One spatial axis of a convolution: the filter's `taps`, `pad`, `stride`, `dilation`."""
    taps: int
    pad: int
    stride: int
    dilation: int

    @property
    def covered(self) -> int:
        """How many image rows one placement of the filter spans."""
        return self.dilation * (self.taps - 1) + 1

    def out_length(self, length: int) -> int:
        """The output's length for an input of `length` (< 1: the filter does not fit)."""
        return out_length(length, self.taps, self.pad, self.stride, self.dilation)


def axes(border_mode: str | tuple[int, int], subsample: tuple[int, int],
         dilation: tuple[int, int], filter_size: tuple[int, int]) -> tuple[Axis, Axis]:
    """The two spatial axes (rows, columns) of a convolution with filters of
    `filter_size` (rows, columns)."""
    return tuple(Axis(filter_size[d], pad(border_mode, filter_size[d], dilation[d], d),
                      subsample[d], dilation[d]) for d in range(2))


def pad(border_mode: str | tuple[int, int], taps: Any, dilation: int, d: int) -> Any:
    """The zeros added on each side of axis `d` (0 rows, 1 columns) for filters
    of `taps` taps (an int, or a symbolic length: the same arithmetic works)."""
    if border_mode == "valid":
        return 0
    if border_mode == "full":
        return dilation * (taps - 1)
    if border_mode == "half":
        return dilation * (taps // 2)
    return border_mode[d]


def out_length(length: Any, taps: Any, pad: Any, stride: int, dilation: int) -> Any:
    """The output's length along one axis; ints or symbolic lengths alike."""
    return (length + 2 * pad - (dilation * (taps - 1) + 1)) // stride + 1


def check_shapes(image_shape: tuple, filter_shape: tuple, rows: Axis | None,
                 cols: Axis | None, where: str) -> None:
    """Raise a ValueError naming what does not fit, when the (possibly partly
    unknown: None) shapes of the input and the filters cannot be convolved."""
    both = f"(input shape {_show(image_shape)}, filters shape {_show(filter_shape)})"
    if len(image_shape) != 4:
        raise ValueError(f"{where}: the input must be 4-d (batch, channels, rows, columns), "
                         f"got {len(image_shape)}-d {both}")
    if len(filter_shape) != 4:
        raise ValueError(f"{where}: the filters must be 4-d (output channels, input channels, "
                         f"rows, columns), got {len(filter_shape)}-d {both}")
    channels, wanted = image_shape[1], filter_shape[1]
    if channels is not None and wanted is not None and channels != wanted:
        raise ValueError(f"{where}: the input has {channels} channels but the filters expect "
                         f"{wanted} {both}")
    for axis, name, d in ((rows, "rows", 2), (cols, "columns", 3)):
        if axis is None or image_shape[d] is None:
            continue
        if axis.out_length(image_shape[d]) < 1:
            raise ValueError(f"{where}: the input's {image_shape[d]} {name} (padded by "
                             f"{axis.pad} on each side) are fewer than the {axis.covered} "
                             f"that one filter covers {both}")


def check_top(where: str, top_shape: tuple, expected: tuple) -> None:
    """A gradient op's output gradient must have the convolution's output shape."""
    if tuple(top_shape) != tuple(expected):
        raise ValueError(f"{where}: the output gradient has shape {tuple(top_shape)}, but "
                         f"the convolution's output has shape {tuple(expected)}")


def _show(shape: tuple) -> str:
    return "(" + ", ".join("?" if s is None else str(s) for s in shape) + ("," if len(shape) == 1
                                                                         else "") + ")"
