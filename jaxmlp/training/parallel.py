"""Data parallelism with ``jax.sharding``: one mesh axis ``"data"`` over the devices.

Each batch is split across the devices along its rows, while the params, the optimizer
state and the (small) dataset are replicated on every device; XLA inserts the all-reduce of
the gradients. The model code does not change. The same code runs on the devices of one
host or, after ``jax.distributed.initialize``, on the devices of many hosts.
"""

from __future__ import annotations

from collections.abc import Sequence

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

DATA_AXIS = "data"


def data_mesh(devices: Sequence[jax.Device] | int | None = None) -> Mesh:
    """A 1-D mesh with axis ``"data"``.

    Args:
      devices: the devices, their number (the first ``k`` of ``jax.devices()``), or ``None``
        for every device of every host.
    """
    all_devices = jax.devices()
    if devices is None:
        devices = all_devices
    elif isinstance(devices, int):
        if not 1 <= devices <= len(all_devices):
            raise ValueError(
                f"devices={devices} but {len(all_devices)} device(s) are available: "
                f"{[str(d) for d in all_devices]}"
            )
        devices = all_devices[:devices]
    devices = list(devices)
    if not devices:
        raise ValueError("devices must name at least one device")
    return Mesh(np.array(devices), (DATA_AXIS,))


def check_batch_divides(batch_size: int, mesh: Mesh) -> None:
    n_devices = mesh.shape[DATA_AXIS]
    if batch_size % n_devices:
        raise ValueError(
            f"batch_size={batch_size} does not divide across the {n_devices} devices of the "
            f"mesh; choose a multiple of {n_devices}"
        )


def replicated(mesh: Mesh) -> NamedSharding:
    return NamedSharding(mesh, PartitionSpec())


def batch_sharded(mesh: Mesh) -> NamedSharding:
    """Rows split across the ``"data"`` axis."""
    return NamedSharding(mesh, PartitionSpec(DATA_AXIS))


def replicate(tree, mesh: Mesh):
    """Every array of ``tree`` as a global array replicated on each device of ``mesh``.

    Works across hosts: each process passes the same values (as after loading the same data
    with the same seed), and each device gets its copy from its own host.
    """
    sharding = replicated(mesh)

    def put(leaf):
        if isinstance(leaf, jax.Array) and jax.dtypes.issubdtype(leaf.dtype, jax.dtypes.prng_key):
            data = replicate(jax.random.key_data(leaf), mesh)
            return jax.random.wrap_key_data(data, impl=jax.random.key_impl(leaf))
        if isinstance(leaf, jax.Array) and leaf.sharding == sharding:
            return leaf
        host = np.asarray(leaf)
        return jax.make_array_from_callback(host.shape, sharding, lambda index: host[index])

    return jax.tree.map(put, tree)
