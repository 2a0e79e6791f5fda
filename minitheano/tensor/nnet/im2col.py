"""A convolution as one matrix product: im2col and col2im, in numpy (chapter 8).

Every output pixel of a convolution is a dot product between one filter and
the patch of the image under it.  Copy every patch into a column of a matrix
(*im2col*) and the whole layer, every filter at every position of every
image, is a single matrix product, which BLAS computes at nearly the
machine's peak:

    out[k, (n, i, j)] = sum over (c, a, b) of  w[k, (c, a, b)] * cols[(c, a, b), (n, i, j)]
    cols[c, a, b, n, i, j] = x_padded[n, c, i * stride + a * dilation, j * stride + b * dilation]

The gradient with respect to the image runs the other way: a product gives
the gradient of every column, and *col2im* adds each column back onto the
patch it came from (patches overlap, so pixels collect several terms).

`im2col` fills the matrix one filter tap (a, b) at a time: for a fixed tap,
the image pixels it meets, over all positions (i, j), are one strided slice
of the padded image.  So the copy is kh * kw numpy slice copies, and col2im
is the same loop with `+=`.  conv_c.py has both in C, for FAST_RUN.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from minitheano.tensor.nnet.conv_geometry import Axis


@dataclass(frozen=True)
class Kit:
    """How one call of a conv op copies patches and gets scratch arrays: numpy
    and fresh arrays in `perform` (abstract_conv.NUMPY_KIT), C and arrays kept
    between calls in FAST_RUN (conv_c.kit)."""
    patches: Callable      # (x, rows, cols, oh, ow, out) -> the patch matrix, in out
    unpatches: Callable    # (columns, image shape, rows, cols, oh, ow) -> the image
    scratch: Callable      # (name, shape, dtype) -> an array to overwrite


def fresh(name: str, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """A Kit's scratch that keeps nothing: a new array every time."""
    return np.empty(shape, dtype)


def pad_image(x: np.ndarray, rows: Axis, cols: Axis) -> np.ndarray:
    """`x` (batch, channels, rows, columns) with `pad` zeros around each image."""
    if rows.pad == 0 and cols.pad == 0:
        return x
    n, c, h, w = x.shape
    padded = np.zeros((n, c, h + 2 * rows.pad, w + 2 * cols.pad), dtype=x.dtype)
    padded[:, :, rows.pad:rows.pad + h, cols.pad:cols.pad + w] = x
    return padded


def tap_slices(a: int, b: int, rows: Axis, cols: Axis, out_rows: int,
               out_cols: int) -> tuple[slice, slice]:
    """The pixels of the padded image that filter tap (a, b) meets, over all
    output positions: one strided slice per axis."""
    top, left = a * rows.dilation, b * cols.dilation
    return (slice(top, top + rows.stride * (out_rows - 1) + 1, rows.stride),
            slice(left, left + cols.stride * (out_cols - 1) + 1, cols.stride))


def im2col(padded: np.ndarray, rows: Axis, cols: Axis, out_rows: int, out_cols: int,
           out: np.ndarray) -> np.ndarray:
    """The patches of `padded` as columns, written into `out` and returned:
    shape (channels * kh * kw, batch * oh * ow)."""
    n, c = padded.shape[:2]
    columns = out.reshape(c, rows.taps, cols.taps, n, out_rows, out_cols)
    # --8<-- [start:ex-ch08-im2col]
    for a in range(rows.taps):
        for b in range(cols.taps):
            r, s = tap_slices(a, b, rows, cols, out_rows, out_cols)
            # columns[c, a, b, n, i, j] = padded[n, c, i * stride + a * dilation, ...]
            columns[:, a, b] = padded[:, :, r, s].transpose(1, 0, 2, 3)
    # --8<-- [end:ex-ch08-im2col]
    return out


def col2im(columns: np.ndarray, padded_shape: tuple[int, ...], rows: Axis, cols: Axis,
           out_rows: int, out_cols: int) -> np.ndarray:
    """The inverse scatter of im2col: each column added back onto its patch of a
    zero image of `padded_shape`."""
    n, c = padded_shape[:2]
    columns = columns.reshape(c, rows.taps, cols.taps, n, out_rows, out_cols)
    image = np.zeros(padded_shape, dtype=columns.dtype)
    # --8<-- [start:ex-ch08-col2im]
    for a in range(rows.taps):
        for b in range(cols.taps):
            r, s = tap_slices(a, b, rows, cols, out_rows, out_cols)
            image[:, :, r, s] += columns[:, a, b].transpose(1, 0, 2, 3)
    # --8<-- [end:ex-ch08-col2im]
    return image


def unpad(image: np.ndarray, rows: Axis, cols: Axis) -> np.ndarray:
    """The inside of a padded image: what pad_image added, removed."""
    h = image.shape[2] - 2 * rows.pad
    w = image.shape[3] - 2 * cols.pad
    return image[:, :, rows.pad:rows.pad + h, cols.pad:cols.pad + w]
