"""Data parallelism with ``jax.sharding``: one mesh axis ``"data"`` over the devices.

Each batch is split across the devices by rows; params, optimizer state and the (small) dataset
are replicated, and XLA all-reduces the gradients. It runs on one host's devices or, after
``jax.distributed.initialize``, on many hosts'.
"""

from __future__ import annotations

from collections.abc import Sequence

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

DATA_AXIS = "data"


def data_mesh(devices: Sequence[jax.Device] | int | None = None) -> Mesh:
    """A 1-D mesh ``"data"`` over ``devices``, the first ``k`` of ``jax.devices()``, or all."""
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
    """Every array of ``tree`` replicated on each device of ``mesh``.
    Across hosts each process passes the same values; each device copies from its own host."""
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
