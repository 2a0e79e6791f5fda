"""Where values cross between host and GPU, made visible in the graph (chapter 6).

Before the CUDA linker gives nodes thunks, `insert_transfers` rewrites the
function's graph: each node that has a CUDA kernel is replaced by a `Gpu`
node (a `GpuKernelOp` holding the op) reading and writing device arrays
(`GpuArrayType`); `GpuFromHost` moves a value onto the device, `HostFromGpu`
brings one back.  The rewrite walks the nodes in order and merges as it
goes: a value already on the device is read there (no HostFromGpu followed
by GpuFromHost), and a host value is moved once however many GPU nodes read
it.  So a chain of GPU nodes moves only its inputs in and its results out,
and `debugprint` of a compiled function shows each transfer, as Theano's
did.  Nodes without a CUDA kernel run on the host between transfers.  A
shared variable kept on the device (link/cuda/sharedvar.py) is read there
directly; host nodes reading it get a HostFromGpu copy.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from minitheano.graph.basic import Apply, Variable
from minitheano.graph.fg import FunctionGraph
from minitheano.graph.op import Op
from minitheano.tensor.type import TensorType


class GpuArrayType(TensorType):
    """An array that lives in the device's memory."""

    def __str__(self) -> str:
        return "Gpu" + super().__str__()

    def clone(self, dtype: str | None = None, broadcastable: Any = None) -> GpuArrayType:
        return GpuArrayType(dtype or self.dtype,
                            self.broadcastable if broadcastable is None else broadcastable)


def host_type(t: TensorType) -> TensorType:
    return TensorType(t.dtype, t.broadcastable)


class GpuFromHost(Op):
    """Copy a host array to the device."""

    def make_node(self, x: Variable) -> Apply:
        return Apply(self, [x], [GpuArrayType(x.type.dtype, x.type.broadcastable)()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = np.array(inputs[0], dtype=node.outputs[0].type.dtype)

    def infer_shape(self, fgraph, node, input_shapes):
        return list(input_shapes)


class HostFromGpu(Op):
    """Copy a device array back to the host."""

    def make_node(self, x: Variable) -> Apply:
        return Apply(self, [x], [host_type(x.type)()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = np.array(inputs[0])

    def infer_shape(self, fgraph, node, input_shapes):
        return list(input_shapes)


gpu_from_host = GpuFromHost()
host_from_gpu = HostFromGpu()


class GpuKernelOp(Op):
    """`op`, run by its CUDA kernel on device arrays (printed as Gpu<op>)."""

    __props__ = ("op",)

    def __init__(self, op: Op) -> None:
        self.op = op

    def host_node(self, node: Apply) -> Apply:
        """The op's own node for host variables of the same types."""
        return self.op.make_node(*[host_type(v.type)() for v in node.inputs])

    def make_node(self, *inputs: Variable) -> Apply:
        probe = self.op.make_node(*[host_type(v.type)() for v in inputs])
        outputs = [GpuArrayType(o.type.dtype, o.type.broadcastable)() for o in probe.outputs]
        return Apply(self, list(inputs), outputs)

    def kernel(self, node: Apply) -> Any:
        return self.op.kernel(self.host_node(node))

    def perform(self, node, inputs, output_storage):
        self.op.perform(self.host_node(node), inputs, output_storage)

    def infer_shape(self, fgraph, node, input_shapes):
        return self.op.infer_shape(fgraph, self.host_node(node), input_shapes)

    def __str__(self) -> str:
        return f"Gpu{self.op}"


def is_on_device(v: Variable) -> bool:
    """Is `v` a device value: a shared variable kept there, a Gpu node's result
    (seen through the HostFromGpu the rewrite put after it), or a GpuArrayType?"""
    return getattr(v, "on_device", False) or isinstance(v.type, GpuArrayType) or (
        v.owner is not None and isinstance(v.owner.op, HostFromGpu))


def insert_transfers(fgraph: FunctionGraph,
                     on_gpu: Callable[[Apply, Callable[[Variable], bool]], bool]) -> int:
    """Move each node for which `on_gpu(node, on_device)` holds onto the device,
    with the transfers it needs (merged); the number of nodes moved.
    `on_device(v)` tells whether v is on the device already (or moved there)."""
    moved: dict[Variable, Variable] = {}  # host variable -> the same value on the device
    count = 0
    for node in fgraph.toposort():
        if not on_gpu(node, lambda v: is_on_device(v) or v in moved):
            continue
        # Each input as a device value: one already on the device is read there
        # (no HostFromGpu then GpuFromHost); a host value is moved once (`moved`).
        # --8<-- [start:ex-ch06-transfers]
        inputs = []
        for v in node.inputs:
            if getattr(v, "on_device", False):  # a shared variable kept on the device
                inputs.append(v)
            elif v.owner is not None and isinstance(v.owner.op, HostFromGpu):
                inputs.append(v.owner.inputs[0])
            else:
                if v not in moved:
                    moved[v] = gpu_from_host(v)
                inputs.append(moved[v])
        # --8<-- [end:ex-ch06-transfers]
        gpu_node = GpuKernelOp(node.op).make_node(*inputs)
        fgraph.replace_all([(out, host_from_gpu(g)) for out, g in
                            zip(node.outputs, gpu_node.outputs)], reason="insert_transfers")
        count += 1
    _host_readers(fgraph)
    keep_updates_on_device(fgraph)
    return count


def keep_updates_on_device(fgraph: FunctionGraph) -> None:
    """An update of a shared variable kept on the device, computed on the device,
    is stored there directly: its output skips the HostFromGpu (the variable's
    cell copies it on the device)."""
    for k, shared in getattr(fgraph, "update_targets", {}).items():
        out = fgraph.outputs[k]
        if getattr(shared, "on_device", False) and out.owner is not None \
                and isinstance(out.owner.op, HostFromGpu):
            fgraph.change_input("output", k, out.owner.inputs[0], reason="insert_transfers")


def _host_readers(fgraph: FunctionGraph) -> None:
    """Host nodes (and outputs) reading a shared variable kept on the device read
    a copy made by one HostFromGpu."""
    for v in fgraph.inputs:
        if not getattr(v, "on_device", False):
            continue
        host = [(client, i) for client, i in fgraph.clients[v]
                if client == "output" or not isinstance(client.op, GpuKernelOp)]
        if host:
            copy = host_from_gpu(v)
            for client, i in host:
                fgraph.change_input(client, i, copy, reason="insert_transfers")
