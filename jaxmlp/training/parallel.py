"""Parallelism with ``jax.sharding``: mesh axes "data" for ``fit``, ("models", "data") for sweeps.

``fit``: each batch is split across the devices by rows; params, optimizer state and the
(small) dataset are replicated, and XLA all-reduces the gradients. ``fit_many``: the members
are split over the ``"models"`` axis and each member's batches over ``"data"``. Both run on one
host's devices or, after ``jax.distributed.initialize``, on many hosts'.
"""

from __future__ import annotations

from collections.abc import Sequence

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

DATA_AXIS = "data"
MODELS_AXIS = "models"


def data_mesh(devices: Sequence[jax.Device] | int | None = None) -> Mesh:
    """A 1-D mesh ``"data"`` over ``devices``, the first ``k`` of ``jax.devices()``, or all."""
    return Mesh(np.array(_devices(devices, "devices")), (DATA_AXIS,))


def sweep_mesh(models: int | None = None, data: int = 1) -> Mesh:
    """A 2-D mesh ``("models", "data")`` of ``models × data`` devices (``models=None``: all the
    devices that ``data`` divides), every process's after ``jax.distributed.initialize``."""
    n_devices = jax.device_count()
    if not isinstance(data, int) or isinstance(data, bool) or not 1 <= data <= n_devices:
        raise ValueError(f"data must be an int in [1, {n_devices}] (the devices), got {data!r}")
    if models is None:
        models = n_devices // data
    if not isinstance(models, int) or isinstance(models, bool) or models < 1:
        raise ValueError(f"models must be an int >= 1 (devices for the members), got {models!r}")
    devices = _devices(models * data, "models × data")
    return Mesh(np.array(devices).reshape(models, data), (MODELS_AXIS, DATA_AXIS))


def _devices(devices, name: str) -> list:
    all_devices = jax.devices()
    if devices is None:
        return all_devices
    if isinstance(devices, int) and not isinstance(devices, bool):
        if not 1 <= devices <= len(all_devices):
            raise ValueError(
                f"{name}={devices} but {len(all_devices)} device(s) are available: "
                f"{[str(d) for d in all_devices]}"
            )
        return all_devices[:devices]
    devices = list(devices)
    if not devices:
        raise ValueError(f"{name} must name at least one device")
    return devices


def data_size(mesh: Mesh | None) -> int:
    """The devices a batch is split over: the size of the mesh's ``"data"`` axis (1 without)."""
    return 1 if mesh is None else dict(mesh.shape).get(DATA_AXIS, 1)


def check_batch_divides(batch_size: int, mesh: Mesh) -> None:
    n_devices = data_size(mesh)
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


def members_sharded(mesh: Mesh) -> NamedSharding:
    """The leading (members) axis split across the ``"models"`` axis."""
    return NamedSharding(mesh, PartitionSpec(MODELS_AXIS))


def replicate(tree, mesh: Mesh):
    """Every array of ``tree`` replicated on each device of ``mesh``.
    Across hosts each process passes the same values; each device copies from its own host."""
    return place(tree, replicated(mesh))


def place(tree, sharding: NamedSharding):
    """Every array of ``tree`` laid out as ``sharding`` says, from the same values on each host."""

    def put(leaf):
        if isinstance(leaf, jax.Array) and jax.dtypes.issubdtype(leaf.dtype, jax.dtypes.prng_key):
            data = place(jax.random.key_data(leaf), sharding)
            return jax.random.wrap_key_data(data, impl=jax.random.key_impl(leaf))
        if isinstance(leaf, jax.Array) and leaf.sharding == sharding:
            return leaf
        host = np.asarray(leaf)  # every process holds the whole array: each takes its shards
        return jax.make_array_from_callback(host.shape, sharding, lambda index: host[index])

    return jax.tree.map(put, tree)


def check_sweep_mesh(mesh: Mesh | int, members_at_once=None) -> Mesh:
    """``fit_many``'s ``mesh``: a Mesh with a ``"models"`` axis, or that many devices for it."""
    if members_at_once is not None:
        raise ValueError("members_at_once must be None with a mesh: the mesh splits the members")
    if not isinstance(mesh, Mesh):
        return sweep_mesh(mesh)
    if MODELS_AXIS not in mesh.axis_names or set(mesh.axis_names) - {MODELS_AXIS, DATA_AXIS}:
        raise ValueError(
            f"mesh must have the axes ({MODELS_AXIS!r}, {DATA_AXIS!r}) or ({MODELS_AXIS!r},), "
            f"got {mesh.axis_names}"
        )
    return mesh


def pad_members(values: np.ndarray, mesh: Mesh) -> np.ndarray:
    """``values: (M, ...)`` with the last member repeated up to a multiple of the models axis."""
    missing = -len(values) % mesh.shape[MODELS_AXIS]
    return np.concatenate([values, np.repeat(values[-1:], missing, axis=0)])


def first_members(tree, M: int, mesh: Mesh):
    """The first ``M`` members of every array of ``tree``, replicated over ``mesh``."""
    return jax.jit(
        lambda tree: jax.tree.map(lambda x: x[:M], tree), out_shardings=replicated(mesh)
    )(tree)
