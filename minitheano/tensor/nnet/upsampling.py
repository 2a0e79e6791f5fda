"""Bilinear upsampling of images, Theano 1.0's `abstract_conv.bilinear_upsampling` (chapter 8).

    bigger = bilinear_upsampling(images, ratio=2)   # (b, c, h, w) -> (b, c, 2h, 2w)

Keras's `UpSampling2D(interpolation='bilinear')` calls it.  Each output pixel is
interpolated between the two nearest input pixels along the rows, then along the
columns.  Theano computed it as a transposed convolution with a triangular kernel over
the image with its border rows and columns repeated; written out, output position j
of an axis of n pixels reads input position

    (j - (ratio - 1) // 2) / ratio,  clamped to [0, n - 1],

between the pixels on either side of it, weighted by the distance.  Here that is the
graph: two gathers and a weighted sum per axis, so the gradient comes with it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import minitheano.tensor as T
from minitheano.tensor.type import TensorVariable

IMAGE_NDIM = 4  # (batch, channels, rows, columns)


def bilinear_upsampling(input: Any, ratio: int | None = None, frac_ratio: Any = None,
                        batch_size: Any = None, num_input_channels: Any = None,
                        use_1D_kernel: bool = True) -> TensorVariable:
    """`input` (batch, channels, rows, cols) upsampled by the integer `ratio` on both image
    axes.  `batch_size`, `num_input_channels` and `use_1D_kernel` were hints for Theano's
    convolution; they are accepted and change nothing."""
    if frac_ratio is not None:
        raise NotImplementedError("bilinear_upsampling: frac_ratio (fractional ratios) is not "
                                  "provided; give an integer ratio")
    if not isinstance(ratio, (int, np.integer)) or isinstance(ratio, bool) or ratio < 1:
        raise ValueError(f"bilinear_upsampling: ratio must be a positive int, got {ratio!r}")
    images = T.as_tensor_variable(input)
    if images.ndim != IMAGE_NDIM:
        raise ValueError(f"bilinear_upsampling: the input must be 4-d (batch, channels, rows, "
                         f"columns), got {images.ndim}-d {images.type}")
    if images.dtype not in ("float32", "float64"):
        raise TypeError(f"bilinear_upsampling: the input must be float32 or float64, got "
                        f"{images.dtype}")
    return _upsample_axis(_upsample_axis(images, 2, int(ratio)), 3, int(ratio))


def _upsample_axis(images: TensorVariable, axis: int, ratio: int) -> TensorVariable:
    """Interpolate `ratio` outputs per input pixel along `axis` (2: rows, 3: columns)."""
    n = images.shape[axis]
    where = T.clip((T.arange(n * ratio) - (ratio - 1) // 2) / ratio, 0, n - 1)
    below = T.cast(T.floor(where), "int64")
    above = T.minimum(below + 1, n - 1)
    weight = T.cast(where - below, images.dtype)
    if axis == 2:
        low, high = images[:, :, below, :], images[:, :, above, :]
        weight = weight.dimshuffle("x", "x", 0, "x")
    else:
        low, high = images[:, :, :, below], images[:, :, :, above]
        weight = weight.dimshuffle("x", "x", "x", 0)
    return low + weight * (high - low)
