"""Checkpoints: a whole training state in one ``.npz`` file, without pickle, verified on load.

Format version 1, a plain ``.npz`` (``np.load(path, allow_pickle=False)`` reads it): one entry
per leaf, named ``"state" + jax.tree_util.keystr(path)`` (a typed PRNG key as its ``uint32`` key
data), and ``__checkpoint__``, a ``uint8`` array of UTF-8 JSON, the header::

    {"format": "jaxmlp-checkpoint", "version": 1, "jaxmlp": "0.1.0", "metadata": {...},
     "leaves": [{"name": "state.params[0]['W']", "dtype": "<f4", "shape": [784, 256]}, ...,
                {"name": "state.key", "dtype": "<u4", "shape": [2], "key_impl": "threefry2x32"}],
     "sha256": "..."}

``leaves`` is in the state's flattening order; ``sha256`` covers the rest of the header as
canonical JSON (sorted keys, no spaces), then each entry's name, dtype, shape and bytes. Saves
replace the file atomically (``jaxmlp.io.atomic``); the checksum reports later damage on disk.

Example:
  >>> import os, tempfile
  >>> import jax, jax.numpy as jnp
  >>> from jaxmlp.io.checkpoint import load_checkpoint, save_checkpoint
  >>> state = {"W": jnp.ones((2, 3)), "key": jax.random.key(0), "step": jnp.int32(7)}
  >>> path = os.path.join(tempfile.mkdtemp(), "checkpoint.npz")
  >>> save_checkpoint(path, state, metadata={"sizes": [2, 3]})
  >>> restored, metadata = load_checkpoint(path, template=state)
  >>> int(restored["step"]), metadata
  (7, {'sizes': [2, 3]})
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .atomic import atomic_writer

FORMAT = "jaxmlp-checkpoint"
# The format version this module writes, and the newest it reads.
VERSION = 1
_HEADER = "__checkpoint__"
_STATE = "state"


class CheckpointError(ValueError):
    """A file that is damaged, not a checkpoint, too new, or does not fit the template."""


def save_checkpoint(
    path: str | os.PathLike, state: Any, metadata: dict[str, Any] | None = None
) -> None:
    """Saves ``state`` and ``metadata`` to ``path`` atomically, replacing any file there.

    Args:
      path: the checkpoint file, e.g. ``runs/a/checkpoint.npz``; its directory must exist.
      state: a pytree of JAX or NumPy numeric arrays, typed PRNG keys, or Python scalars.
      metadata: JSON-serialisable data, loaded back as JSON gives it (tuples as lists).

    Raises:
      TypeError: a leaf that is not a numeric array or key (named), or metadata not JSON.
      OSError: the file cannot be written (e.g. a full disk); the previous file is unchanged.
    """
    arrays, leaves = _encode_state(state)
    header = {
        "format": FORMAT,
        "version": VERSION,
        "jaxmlp": _library_version(),
        "leaves": leaves,
        "metadata": _normalise_metadata(metadata),
    }
    header["sha256"] = _digest(header, arrays)
    header_array = np.frombuffer(_canonical_json(header).encode("ascii"), np.uint8)
    with atomic_writer(path) as file:
        np.savez(file, allow_pickle=False, **{_HEADER: header_array}, **arrays)


def load_checkpoint(path: str | os.PathLike, template: Any) -> tuple[Any, dict[str, Any]]:
    """Loads the state saved at ``path`` into the structure of ``template``, after checking it.

    Each leaf comes back bit for bit as the type of the template's leaf: a JAX array (on its
    sharding, weak type kept; the default device for a ``jax.ShapeDtypeStruct``), a NumPy array,
    or a Python scalar.

    Args:
      path: a file written by ``save_checkpoint``.
      template: a pytree of the saved structure, dtypes and shapes (e.g. ``jax.eval_shape``).

    Returns:
      ``(state, metadata)``; the metadata is ``{}`` when none was saved.

    Raises:
      CheckpointError: a damaged file, not a checkpoint, a newer version, or leaves that do
        not fit ``template`` (every missing, extra and mismatched leaf is named).
      FileNotFoundError: there is no file at ``path``.
    """
    path = Path(path)
    header, arrays = _read_verified(path)
    keys = {leaf["name"]: leaf["key_impl"] for leaf in header["leaves"] if "key_impl" in leaf}
    for name, impl in keys.items():
        try:
            arrays[name] = jax.random.wrap_key_data(arrays[name], impl=impl)
        except (TypeError, ValueError) as error:
            raise CheckpointError(
                f"cannot load checkpoint {path}: PRNG key {name} cannot be rebuilt as a "
                f"{impl!r} key: {error}"
            ) from error
    return _restore(path, arrays, template), header["metadata"]


def load_checkpoint_metadata(path: str | os.PathLike) -> dict[str, Any]:
    """The metadata saved at ``path``, verified as by ``load_checkpoint``; ``{}`` if none."""
    header, _ = _read_verified(Path(path))
    return header["metadata"]


def _encode_state(state) -> tuple[dict[str, np.ndarray], list[dict[str, Any]]]:
    """The arrays to store, by entry name, and the header's description of each."""
    arrays, leaves = {}, []
    for key_path, leaf in jax.tree_util.tree_flatten_with_path(state)[0]:
        name = _entry_name(key_path)
        if name in arrays:
            raise TypeError(f"state has two leaves named {name}; a checkpoint needs unique paths")
        description = {}
        if isinstance(leaf, jax.Array) and jax.dtypes.issubdtype(leaf.dtype, jax.dtypes.prng_key):
            description["key_impl"] = str(jax.random.key_impl(leaf))
            array = np.asarray(jax.random.key_data(leaf))
        else:
            array = np.asarray(leaf)
            if array.dtype.kind not in "biufc":
                raise TypeError(
                    f"state leaf {name} is a {type(leaf).__name__} of dtype {array.dtype}; a "
                    "checkpoint stores bool, integer, float and complex arrays and typed PRNG "
                    "keys (put other values in metadata)"
                )
        arrays[name] = array
        leaves.append(
            {"name": name, "dtype": array.dtype.str, "shape": list(array.shape), **description}
        )
    return arrays, leaves


def _normalise_metadata(metadata) -> dict[str, Any]:
    """``metadata`` as it will be loaded back, so the checksum covers exactly that."""
    if metadata is None:
        return {}
    if not isinstance(metadata, dict):
        raise TypeError(f"metadata must be a dict or None, got {type(metadata).__name__}")
    try:
        return json.loads(_canonical_json(metadata))
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"metadata must be JSON-serialisable (dicts, lists, strings, numbers, booleans, "
            f"None): {error}"
        ) from error


def _library_version() -> str:
    # At call time: the package imports this module before it sets __version__.
    from .. import __version__

    return __version__


def _read_verified(path: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The header and the arrays of the checkpoint at ``path``, after verifying its checksum."""
    with open(path, "rb") as file:
        _check_is_zip(path, file.read(4))
        file.seek(0)
        try:
            with np.load(file, allow_pickle=False) as npz:
                header, arrays = _read_entries(path, npz)
            digest = _digest(header, arrays)
        except CheckpointError:
            raise
        except Exception as error:
            # A damaged archive fails in many ways inside zipfile and numpy (BadZipFile,
            # EOFError, zlib.error, ValueError, KeyError, ...): each one means the same thing.
            raise CheckpointError(
                f"cannot load checkpoint {path}: the file is damaged or truncated "
                f"({type(error).__name__}: {error})"
            ) from error
    if digest != header["sha256"]:
        raise CheckpointError(
            f"cannot load checkpoint {path}: the file is damaged: its contents do not match its "
            f"SHA-256 checksum (stored {header['sha256']}, computed {digest})"
        )
    return header, arrays


def _check_is_zip(path: Path, magic: bytes) -> None:
    if magic in (b"PK\x03\x04", b"PK\x05\x06"):
        return
    if not magic:
        what = "the file is empty"
    elif len(magic) < 4 and b"PK\x03\x04".startswith(magic):
        raise CheckpointError(f"cannot load checkpoint {path}: the file is truncated")
    elif magic.startswith(b"\x93NUM"):
        what = "it is a single .npy array, not an .npz archive"
    else:
        what = f"it is not an .npz (zip) archive; it starts with {magic!r}"
    raise CheckpointError(f"{path} is not a jaxmlp checkpoint: {what}")


def _read_entries(path: Path, npz) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The header and the arrays it lists, each checked against the other."""
    if _HEADER not in npz.files:
        raise CheckpointError(
            f"{path} is not a jaxmlp checkpoint (or is damaged): it has no {_HEADER!r} entry; "
            f"its entries are {_first_few(sorted(npz.files))}"
        )
    header = json.loads(npz[_HEADER].tobytes().decode("utf-8"))
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        found = header.get("format") if isinstance(header, dict) else header
        raise CheckpointError(
            f"{path} is not a jaxmlp checkpoint: its {_HEADER!r} entry has format {found!r}, "
            f"expected {FORMAT!r}"
        )
    version = header.get("version")
    if not isinstance(version, int) or version < 1:
        raise CheckpointError(f"{path} is damaged: its format version is {version!r}")
    if not isinstance(header.get("sha256"), str):
        raise CheckpointError(f"{path} is damaged: its header has no SHA-256 checksum")
    if version > VERSION:
        raise CheckpointError(
            f"{path} has checkpoint format version {version}, written by jaxmlp "
            f"{header.get('jaxmlp', '(unknown)')}; this jaxmlp ({_library_version()}) reads "
            f"versions up to {VERSION}: upgrade jaxmlp to load it"
        )
    arrays = {}
    for leaf in header["leaves"]:
        name = leaf["name"]
        if name not in npz.files:
            raise CheckpointError(f"{path} is damaged: its header lists {name}, which is missing")
        array = npz[name]
        if array.dtype.str != leaf["dtype"] or list(array.shape) != leaf["shape"]:
            raise CheckpointError(
                f"{path} is damaged: entry {name} holds {_describe(array)} but the header "
                f"says {np.dtype(leaf['dtype'])}{leaf['shape']}"
            )
        arrays[name] = array
    unlisted = sorted(set(npz.files) - set(arrays) - {_HEADER})
    if unlisted:
        raise CheckpointError(
            f"{path} is damaged: entries {_first_few(unlisted)} are not in its header"
        )
    return header, arrays


def _restore(path: Path, values: dict[str, Any], template) -> Any:
    """``values`` (by entry name) put into the structure and leaf types of ``template``."""
    key_paths_and_leaves, treedef = jax.tree_util.tree_flatten_with_path(template)
    expected = {_entry_name(key_path): leaf for key_path, leaf in key_paths_and_leaves}
    wanted = {name: _describe(leaf) for name, leaf in expected.items()}
    found = {name: _describe(value) for name, value in values.items()}
    missing = [f"  missing: {n} {d}" for n, d in wanted.items() if n not in found]
    extra = [f"  extra (not in the template): {n} {d}" for n, d in found.items() if n not in wanted]
    mismatched = [
        f"  mismatched: {n} expected {d}, found {found[n]}"
        for n, d in wanted.items()
        if n in found and found[n] != d
    ]
    if missing or extra or mismatched:
        raise CheckpointError(
            f"checkpoint {path} does not fit the template (a different architecture or "
            f"optimizer?): {len(missing)} missing, {len(extra)} extra and {len(mismatched)} "
            f"mismatched leaves\n" + "\n".join([*missing, *extra, *mismatched])
        )
    leaves = [_restore_leaf(leaf, values[name]) for name, leaf in expected.items()]
    return jax.tree_util.tree_unflatten(treedef, leaves)


def _restore_leaf(template_leaf, value):
    if isinstance(template_leaf, np.ndarray):
        return value
    if isinstance(template_leaf, np.generic | bool | int | float | complex):
        return value[()] if isinstance(template_leaf, np.generic) else value.item()
    array = jax.device_put(value, getattr(template_leaf, "sharding", None))
    if isinstance(template_leaf, jax.Array) and getattr(template_leaf, "weak_type", False):
        # JAX has no public constructor for weakly typed arrays; zeros_like keeps the weak type,
        # and a weak step counter or learning rate must promote as it did before saving.
        array = jnp.zeros_like(template_leaf).at[...].set(array)
    return array


def _entry_name(key_path) -> str:
    return _STATE + jax.tree_util.keystr(key_path)


def _describe(leaf) -> str:
    """``"float32[784,256]"``: the dtype and shape of an array, key, shape struct or scalar."""
    if not (hasattr(leaf, "dtype") and hasattr(leaf, "shape")):
        leaf = np.asarray(leaf)
    return f"{leaf.dtype}[{','.join(str(n) for n in leaf.shape)}]"


def _first_few(names: list[str], limit: int = 8) -> str:
    shown = ", ".join(repr(name) for name in names[:limit])
    return f"[{shown}]" if len(names) <= limit else f"[{shown}, ...] ({len(names)} in all)"


def _canonical_json(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def _digest(header: dict[str, Any], arrays: dict[str, np.ndarray]) -> str:
    """SHA-256 of the header without its ``sha256`` field, then of each array in header order."""
    sha256 = hashlib.sha256()
    sha256.update(_canonical_json({k: v for k, v in header.items() if k != "sha256"}).encode())
    for leaf in header["leaves"]:
        array = np.ascontiguousarray(arrays[leaf["name"]])
        sha256.update(_canonical_json([leaf["name"], array.dtype.str, array.shape]).encode())
        sha256.update(array.tobytes())
    return sha256.hexdigest()
