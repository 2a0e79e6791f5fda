"""Neighbourhoods of images as rows of a matrix (Theano's nnet.neighbours), chapter 8.

    images2neibs(x, (2, 2))   x of shape (batch, channels, h, w)  ->  a matrix with
                              one row per 2x2 patch: rows run over batch, channel,
                              patch row, patch column; each row is its patch, row-major.

`neib_step` (default: the patch shape, patches side by side) moves the patch.
`mode` says what happens at the borders:
    'valid'           the patches must tile the image exactly (else an error)
    'ignore_borders'  the rows and columns no patch reaches are left out
    'half'            zeros padded around (patch // 2 each side), then 'ignore_borders'
    'full'            zeros padded around (patch - 1 each side), then 'ignore_borders'
`neibs2images` puts non-overlapping patches back into images (zeros where
'ignore_borders' left some out).  Both are one operation read two ways: cutting
patches out, and adding patches back in, which is also the first one's gradient.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from minitheano.graph.basic import Apply
from minitheano.graph.null import disconnected_type
from minitheano.graph.op import Op
from minitheano.tensor.basic import as_tensor_variable
from minitheano.tensor.type import TensorType, TensorVariable

MODES = ("valid", "ignore_borders", "half", "full")


def _pair(who: str, what: str, value: Any) -> tuple[int, int]:
    if len(tuple(value)) != 2 or not all(int(v) == v and v > 0 for v in value):
        raise ValueError(f"{who}: {what} must be two positive ints, got {value!r}")
    return int(value[0]), int(value[1])


class _Patches:
    """The patch geometry of one op: shape, step, mode, and the padding it implies."""

    def __init__(self, who: str, neib_shape: Any, neib_step: Any, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"{who}: mode must be one of {MODES}, got {mode!r}")
        self.shape = _pair(who, "neib_shape", neib_shape)
        self.step = self.shape if neib_step is None else _pair(who, "neib_step", neib_step)
        self.mode = mode
        pads = {"half": [s // 2 for s in self.shape], "full": [s - 1 for s in self.shape]}
        self.pad = pads.get(mode, [0, 0])

    def grid(self, who: str, image_hw: tuple[int, int]) -> tuple[int, int]:
        """How many patches fit along the height and the width."""
        counts = []
        for length, size, step, pad in zip(image_hw, self.shape, self.step, self.pad):
            room = length + 2 * pad - size
            if room < 0:
                raise ValueError(f"{who}: a patch of {self.shape} does not fit in an image "
                                 f"of {tuple(image_hw)} (mode {self.mode!r})")
            if self.mode == "valid" and room % step:
                raise ValueError(f"{who}: patches of {self.shape} with step {self.step} do "
                                 f"not tile an image of {tuple(image_hw)}; use "
                                 f"mode='ignore_borders' to leave the rest out")
            counts.append(room // step + 1)
        return counts[0], counts[1]


class Images2Neibs(Op):
    """The patches of 4-d images as rows of a matrix."""

    __props__ = ("neib_shape", "neib_step", "mode")

    def __init__(self, neib_shape: Any, neib_step: Any = None, mode: str = "valid") -> None:
        self.patches = _Patches("images2neibs", neib_shape, neib_step, mode)
        self.neib_shape, self.neib_step, self.mode = self.patches.shape, self.patches.step, mode

    def make_node(self, ten4: Any) -> Apply:
        ten4 = as_tensor_variable(ten4)
        if ten4.ndim != 4:
            raise TypeError(f"images2neibs: expected 4-d images (batch, channel, row, "
                            f"column), got {ten4.type}")
        return Apply(self, [ten4], [TensorType(ten4.dtype, (False, False))()])

    def perform(self, node, inputs, output_storage):
        (x,) = inputs
        p = self.patches
        rows, cols = p.grid("images2neibs", x.shape[2:])
        x = np.pad(x, [(0, 0), (0, 0), (p.pad[0],) * 2, (p.pad[1],) * 2])
        windows = sliding_window_view(x, p.shape, axis=(2, 3))
        windows = windows[:, :, ::p.step[0], ::p.step[1]][:, :, :rows, :cols]
        output_storage[0][0] = np.ascontiguousarray(windows).reshape(-1, p.shape[0] * p.shape[1])

    def infer_shape(self, fgraph, node, input_shapes):
        b, c, h, w = input_shapes[0]
        (sh, sw), (th, tw), (ph, pw) = self.neib_shape, self.neib_step, self.patches.pad
        rows = (h + 2 * ph - sh) // th + 1
        cols = (w + 2 * pw - sw) // tw + 1
        return [(b * c * rows * cols, sh * sw)]

    def grad(self, inputs, output_grads):
        (x,), (gz,) = inputs, output_grads
        return [Neibs2Images(self.neib_shape, self.neib_step, self.mode)(gz, x.shape)]


class Neibs2Images(Op):
    """Patches (rows of a matrix) added back into 4-d images of `original_shape`:
    the transpose of Images2Neibs, and its inverse when patches do not overlap."""

    __props__ = ("neib_shape", "neib_step", "mode")

    def __init__(self, neib_shape: Any, neib_step: Any = None, mode: str = "valid") -> None:
        self.patches = _Patches("neibs2images", neib_shape, neib_step, mode)
        self.neib_shape, self.neib_step, self.mode = self.patches.shape, self.patches.step, mode

    def make_node(self, neibs: Any, original_shape: Any) -> Apply:
        neibs = as_tensor_variable(neibs)
        original_shape = as_tensor_variable(original_shape)
        if neibs.ndim != 2:
            raise TypeError(f"neibs2images: expected a matrix of patches, got {neibs.type}")
        if original_shape.ndim != 1 or not original_shape.dtype.startswith(("int", "uint")):
            raise TypeError("neibs2images: original_shape must be a vector of 4 ints, got "
                            f"{original_shape.type}")
        return Apply(self, [neibs, original_shape], [TensorType(neibs.dtype, (False,) * 4)()])

    def perform(self, node, inputs, output_storage):
        neibs, shape = inputs
        p = self.patches
        b, c, h, w = (int(s) for s in shape)
        rows, cols = p.grid("neibs2images", (h, w))
        expected = (b * c * rows * cols, p.shape[0] * p.shape[1])
        if neibs.shape != expected:
            raise ValueError(f"neibs2images: images of {(b, c, h, w)} cut into patches of "
                             f"{p.shape} make a matrix of {expected}, got {neibs.shape}")
        patches = neibs.reshape(b, c, rows, cols, *p.shape)
        out = np.zeros((b, c, h + 2 * p.pad[0], w + 2 * p.pad[1]), dtype=neibs.dtype)
        for i in range(p.shape[0]):  # one slice per position inside the patch
            for j in range(p.shape[1]):
                out[:, :, i:i + rows * p.step[0]:p.step[0],
                    j:j + cols * p.step[1]:p.step[1]] += patches[:, :, :, :, i, j]
        output_storage[0][0] = out[:, :, p.pad[0]:p.pad[0] + h, p.pad[1]:p.pad[1] + w]

    def infer_shape(self, fgraph, node, input_shapes):
        shape = node.inputs[1]
        return [tuple(shape[k] for k in range(4))]

    def grad(self, inputs, output_grads):
        (gz,) = output_grads
        return [Images2Neibs(self.neib_shape, self.neib_step, self.mode)(gz),
                disconnected_type()]

    def connection_pattern(self, node):
        return [[True], [False]]


def images2neibs(ten4: Any, neib_shape: Any, neib_step: Any = None,
                 mode: str = "valid") -> TensorVariable:
    """The neib_shape patches of 4-d images, one per row (see the module's docstring)."""
    return Images2Neibs(neib_shape, neib_step, mode)(ten4)


def neibs2images(neibs: Any, neib_shape: Any, original_shape: Any,
                 mode: str = "valid") -> TensorVariable:
    """Side-by-side patches put back into images of `original_shape`."""
    if mode not in ("valid", "ignore_borders"):
        raise ValueError(f"neibs2images: mode must be 'valid' or 'ignore_borders', got {mode!r}")
    return Neibs2Images(neib_shape, None, mode)(neibs, original_shape)
