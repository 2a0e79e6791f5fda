"""Plain-loop references for chapter 8's ops: conv2d and pool_2d written the
slowest, most obvious way (one output element at a time, straight from the
definition), so that the library's im2col and window code have something
independent to agree with."""

from __future__ import annotations

import numpy as np


def conv2d_reference(x: np.ndarray, w: np.ndarray, pad: tuple[int, int],
                     stride: tuple[int, int] = (1, 1), dilation: tuple[int, int] = (1, 1),
                     flip: bool = True) -> np.ndarray:
    """out[n, k, i, j] = sum over c, a, b of x[n, c, i*s + a*d - p, j*s + b*d - p] * w'[k, c, a, b],
    x read as 0 outside the image, w' = w flipped in both spatial axes when `flip`."""
    n_img, channels, height, width = x.shape
    n_filt, _, kh, kw = w.shape
    if flip:
        w = w[:, :, ::-1, ::-1]
    oh = (height + 2 * pad[0] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (width + 2 * pad[1] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((n_img, n_filt, oh, ow), dtype=np.float64)
    for n in range(n_img):
        for k in range(n_filt):
            for i in range(oh):
                for j in range(ow):
                    total = 0.0
                    for c in range(channels):
                        for a in range(kh):
                            for b in range(kw):
                                y = i * stride[0] + a * dilation[0] - pad[0]
                                z = j * stride[1] + b * dilation[1] - pad[1]
                                if 0 <= y < height and 0 <= z < width:
                                    total += float(x[n, c, y, z]) * float(w[k, c, a, b])
                    out[n, k, i, j] = total
    return out


def pads_of(border_mode, kshape: tuple[int, int], dilation: tuple[int, int]) -> tuple[int, int]:
    """The padding each border mode means, from its definition."""
    covered = [dilation[d] * (kshape[d] - 1) + 1 for d in range(2)]
    if border_mode == "valid":
        return (0, 0)
    if border_mode == "full":
        return (covered[0] - 1, covered[1] - 1)
    if border_mode == "half":
        return (dilation[0] * (kshape[0] // 2), dilation[1] * (kshape[1] // 2))
    if isinstance(border_mode, int):
        return (border_mode, border_mode)
    return tuple(border_mode)


def pool_out_length(length: int, ws: int, stride: int, pad: int, ignore_border: bool) -> int:
    """Theano's count of windows along one axis."""
    padded = length + 2 * pad
    if ignore_border:
        return max((padded - ws) // stride + 1, 0)
    if stride >= ws:
        return (padded - 1) // stride + 1
    return max(0, (padded - 1 - ws + stride) // stride) + 1


def pool_reference(x: np.ndarray, ws, ignore_border: bool, stride, pad, mode: str) -> np.ndarray:
    """Each window of each image reduced by `mode`, one window at a time.  A
    window runs from i*stride in the padded image, clipped to the padded image;
    except for average_inc_pad, only its pixels inside the real image count."""
    *lead, height, width = x.shape
    oh = pool_out_length(height, ws[0], stride[0], pad[0], ignore_border)
    ow = pool_out_length(width, ws[1], stride[1], pad[1], ignore_border)
    flat = x.reshape(-1, height, width)
    out = np.zeros((flat.shape[0], oh, ow), dtype=np.float64)
    padded_h, padded_w = height + 2 * pad[0], width + 2 * pad[1]
    for m in range(flat.shape[0]):
        for i in range(oh):
            for j in range(ow):
                r0, r1 = i * stride[0], min(i * stride[0] + ws[0], padded_h)
                c0, c1 = j * stride[1], min(j * stride[1] + ws[1], padded_w)
                cells = [(r, c) for r in range(r0, r1) for c in range(c0, c1)]
                inside = [float(flat[m, r - pad[0], c - pad[1]]) for r, c in cells
                          if pad[0] <= r < pad[0] + height and pad[1] <= c < pad[1] + width]
                if mode == "max":
                    out[m, i, j] = max(inside)
                elif mode == "sum":
                    out[m, i, j] = sum(inside)
                elif mode == "average_inc_pad":
                    out[m, i, j] = sum(inside) / len(cells)
                else:
                    out[m, i, j] = sum(inside) / len(inside)
    return out.reshape(*lead, oh, ow)
