"""Shared variables whose value lives in device memory (chapter 6).

With `device=cuda`, `theano.shared(array)` of floats gives a `GpuSharedVariable`:
its container holds a device array, so a function reads it on the device with
no transfer (the transfer rewrite sees `on_device` and leaves it there), and
host nodes that read it get an explicit `HostFromGpu`.  As in Theano:

* `get_value()` copies the value back to the host; so does
  `get_value(borrow=True)`: a device array is not a numpy array;
  `get_value(borrow=True, return_internal_type=True)` gives the device array
  itself;
* `set_value(v)` copies `v` to the device (`borrow` cannot alias host memory
  there), after the type's usual checks.

The container is a `DeviceCell`: whatever is stored into it (a function's
update, computed on the host or brought back by HostFromGpu) goes to the device.
"""

from __future__ import annotations

from typing import Any

from minitheano.tensor.sharedvar import TensorSharedVariable
from minitheano.tensor.type import TensorType


class DeviceCell(list):
    """A one-element storage cell whose value is always a device array."""

    def __init__(self, device: Any, value: Any) -> None:
        super().__init__([device.to_device(value)])
        self.device = device

    def __setitem__(self, index: Any, value: Any) -> None:
        super().__setitem__(index, self.device.to_device(value))


class GpuSharedVariable(TensorSharedVariable):
    """A shared tensor kept in device memory between calls."""

    on_device = True

    def __init__(self, type: TensorType, value: Any, device: Any, name: str | None = None,
                 strict: bool = False, allow_downcast: bool | None = None) -> None:
        super().__init__(type, value, name=name, strict=strict, allow_downcast=allow_downcast,
                         borrow=True)
        self.device = device
        self.container = DeviceCell(device, self.container[0])

    def get_value(self, borrow: bool = False, return_internal_type: bool = False) -> Any:
        if borrow and return_internal_type:
            return self.container[0]
        return self.device.to_host(self.container[0])

    def set_value(self, value: Any, borrow: bool = False) -> None:
        try:
            value = self.type.filter(value, strict=self.strict, allow_downcast=self.allow_downcast)
        except TypeError as e:
            raise TypeError(f"set_value of shared variable {self}: {e}") from None
        self.container[0] = value
