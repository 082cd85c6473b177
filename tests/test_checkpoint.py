"""Checkpoints: bitwise round trips, damage detected and named, old checkpoint kept on a failed save."""

import errno
import io
import json
import os
import pickle
import zipfile
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from jaxmlp.io.checkpoint import (
    VERSION,
    CheckpointError,
    load_checkpoint,
    load_checkpoint_metadata,
    save_checkpoint,
)


class TrainState(NamedTuple):
    params: list
    opt_state: optax.OptState
    key: jax.Array
    epoch: jax.Array
    step: jax.Array


OPTIMIZERS = {
    "adam": lambda: optax.adam(1e-3),
    "sgd-momentum": lambda: optax.sgd(0.1, momentum=0.9),
    "inject-hyperparams-sgd": lambda: optax.inject_hyperparams(optax.sgd)(learning_rate=0.1),
}


def make_state(seed=0, sizes=(4, 5, 3), optimizer="adam", dtype=jnp.float32):
    """A TrainState in the engine's layout: params, optax's own state for them, a typed key.

    Every value is random, moments and counts included, so that a loader returning zeros or the
    template's values fails the bitwise checks. NumPy draws them: nothing compiles, and the tests
    stay fast on a busy machine.
    """
    rng = np.random.default_rng(seed)

    def random_like(x):
        if jnp.issubdtype(x.dtype, jnp.floating):
            return jnp.asarray(rng.standard_normal(x.shape), x.dtype)
        return jnp.asarray(rng.integers(0, 1000, x.shape), x.dtype)

    params = [
        {"W": jnp.zeros((n_in, n_out), dtype), "b": jnp.zeros((n_out,), dtype)}
        for n_in, n_out in zip(sizes[:-1], sizes[1:])
    ]
    params = jax.tree.map(random_like, params)
    opt_state = jax.tree.map(random_like, OPTIMIZERS[optimizer]().init(params))
    key = jax.random.fold_in(jax.random.key(0), seed)
    return TrainState(params, opt_state, key, jnp.int32(3 + seed), jnp.int32(42 + seed))


def assert_bitwise_equal(restored, expected):
    assert jax.tree.structure(restored) == jax.tree.structure(expected)
    for (key_path, a), b in zip(
        jax.tree_util.tree_leaves_with_path(restored), jax.tree.leaves(expected)
    ):
        where = jax.tree_util.keystr(key_path)
        assert type(a) is type(b), where
        assert dtype_and_shape(a) == dtype_and_shape(b), where
        assert getattr(a, "weak_type", None) == getattr(b, "weak_type", None), where
        if isinstance(a, jax.Array) and jax.dtypes.issubdtype(a.dtype, jax.dtypes.prng_key):
            a, b = jax.random.key_data(a), jax.random.key_data(b)
        assert np.asarray(a).tobytes() == np.asarray(b).tobytes(), where


def dtype_and_shape(leaf):
    return (leaf.dtype, leaf.shape) if hasattr(leaf, "dtype") else (np.asarray(leaf).dtype, ())


def only_file_in(directory):
    names = os.listdir(directory)
    assert len(names) == 1, names
    return names[0]


# Round trips


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_train_state_round_trip_is_bitwise(tmp_path, optimizer, dtype):
    state = make_state(optimizer=optimizer, dtype=dtype)
    path = tmp_path / "checkpoint.npz"
    save_checkpoint(path, state)
    template = jax.eval_shape(lambda: make_state(optimizer=optimizer, dtype=dtype))
    restored, metadata = load_checkpoint(path, template=template)
    assert_bitwise_equal(restored, state)
    assert isinstance(restored, TrainState)
    assert isinstance(restored.params[0]["W"], jax.Array)
    assert metadata == {}


def test_restored_key_draws_the_same_numbers(tmp_path):
    state = make_state()
    save_checkpoint(tmp_path / "checkpoint.npz", state)
    restored, _ = load_checkpoint(tmp_path / "checkpoint.npz", template=make_state())
    assert restored.key.dtype == state.key.dtype
    np.testing.assert_array_equal(
        jax.random.uniform(restored.key, (16,)), jax.random.uniform(state.key, (16,))
    )


def test_odd_values_dtypes_and_leaf_types_survive(tmp_path):
    nan_with_payload = np.array([0x7FC00123, 0xFFC00001], np.uint32).view(np.float32)
    specials = np.array([-0.0, np.inf, -np.inf, 1e-45], np.float32)  # 1e-45: a subnormal
    state = {
        "specials": jnp.asarray(np.concatenate([nan_with_payload, specials])),
        "float64": jnp.asarray([np.pi, -0.0, np.nan], jnp.float64),
        "int32": jnp.asarray([np.iinfo(np.int32).min, np.iinfo(np.int32).max], jnp.int32),
        "uint32": jnp.asarray([0, np.iinfo(np.uint32).max], jnp.uint32),
        "bool": jnp.asarray([[True, False]]),
        "complex64": jnp.asarray([1 + 2j], jnp.complex64),
        "empty": jnp.zeros((0, 3), jnp.float32),
        "weak": jnp.asarray(0.1),  # a weakly typed scalar, as jnp.asarray(0.1) makes it
        "keys": jax.random.split(jax.random.key(7), (2, 3)),
        "numpy": np.arange(6, dtype=np.int16).reshape(2, 3),
        "numpy scalar": np.float32(2.5),
        "python": (1.5, 7, True),
        "none": None,
    }
    save_checkpoint(tmp_path / "checkpoint.npz", state)
    restored, _ = load_checkpoint(tmp_path / "checkpoint.npz", template=state)
    assert_bitwise_equal(restored, state)
    assert restored["weak"].weak_type
    assert isinstance(restored["numpy"], np.ndarray) and restored["numpy"].flags.writeable
    assert [type(x) for x in restored["python"]] == [float, int, bool]


def test_template_values_are_not_used(tmp_path):
    state = make_state(seed=0)
    save_checkpoint(tmp_path / "checkpoint.npz", state)
    restored, _ = load_checkpoint(tmp_path / "checkpoint.npz", template=make_state(seed=1))
    assert_bitwise_equal(restored, state)


@settings(max_examples=25, deadline=None)
@given(
    arrays=st.lists(
        hnp.arrays(
            dtype=st.sampled_from([np.float32, np.float64, np.int32, np.uint32, np.bool_]),
            shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_any_list_of_arrays_round_trips_bitwise(tmp_path_factory, arrays):
    path = tmp_path_factory.mktemp("ckpt") / "checkpoint.npz"
    state = [jnp.asarray(a) for a in arrays]
    save_checkpoint(path, state)
    restored, _ = load_checkpoint(path, template=state)
    assert_bitwise_equal(restored, state)


def test_metadata_round_trip(tmp_path):
    metadata = {
        "config": {"sizes": [784, 256, 10], "lr": 0.1, "hidden": "sigmoid", "resume": None},
        "history": {"loss": [2.302585092994046, float("nan"), 1e-300], "ok": [True, False]},
        "note": "café ✓",
    }
    save_checkpoint(tmp_path / "checkpoint.npz", make_state(), metadata=metadata)
    _, loaded = load_checkpoint(tmp_path / "checkpoint.npz", template=make_state())
    assert json.dumps(loaded, sort_keys=True) == json.dumps(metadata, sort_keys=True)
    assert load_checkpoint_metadata(tmp_path / "checkpoint.npz") == loaded
    # JSON turns tuples into lists: what is loaded is what JSON gives back.
    save_checkpoint(tmp_path / "checkpoint.npz", make_state(), metadata={"sizes": (4, 5, 3)})
    assert load_checkpoint_metadata(tmp_path / "checkpoint.npz") == {"sizes": [4, 5, 3]}


def test_file_is_a_plain_npz_named_by_pytree_paths(tmp_path):
    state = make_state()
    save_checkpoint(tmp_path / "checkpoint.npz", state)
    with np.load(tmp_path / "checkpoint.npz", allow_pickle=False) as npz:
        np.testing.assert_array_equal(npz["state.params[0]['W']"], state.params[0]["W"])
        np.testing.assert_array_equal(
            npz["state.opt_state[0].mu[1]['b']"], state.opt_state[0].mu[1]["b"]
        )
        np.testing.assert_array_equal(npz["state.key"], jax.random.key_data(state.key))
        header = json.loads(npz["__checkpoint__"].tobytes())
    assert header["format"] == "jaxmlp-checkpoint" and header["version"] == VERSION
    assert len(header["sha256"]) == 64


# Bad input when saving


@pytest.mark.parametrize(
    "state, metadata, match",
    [
        ({"name": "sigmoid"}, None, r"state leaf state\['name'\] is a str"),
        ({"W": jnp.ones(2)}, {"W": np.ones(2)}, "metadata must be JSON-serialisable"),
        ({"W": jnp.ones(2)}, ["not", "a", "dict"], "metadata must be a dict or None, got list"),
    ],
    ids=["string-leaf", "array-in-metadata", "list-metadata"],
)
def test_bad_state_or_metadata_is_refused_before_writing(tmp_path, state, metadata, match):
    with pytest.raises(TypeError, match=match):
        save_checkpoint(tmp_path / "checkpoint.npz", state, metadata)
    assert os.listdir(tmp_path) == []


# A failed save keeps the previous checkpoint


def half_written_then(error):
    real_savez = np.savez

    def savez(file, *args, **kwargs):
        buffer = io.BytesIO()
        real_savez(buffer, *args, **kwargs)
        file.write(buffer.getvalue()[: len(buffer.getvalue()) // 2])
        raise error

    return savez


def failing(error):
    def fail(*args, **kwargs):
        raise error

    return fail


@pytest.mark.parametrize(
    "target, name, replacement",
    [
        (np, "savez", half_written_then(OSError(errno.ENOSPC, "No space left on device"))),
        (np, "savez", half_written_then(KeyboardInterrupt())),
        (os, "fsync", failing(OSError(errno.EIO, "Input/output error"))),
        (os, "replace", failing(OSError(errno.EXDEV, "Invalid cross-device link"))),
    ],
    ids=["disk-full-mid-write", "ctrl-c-mid-write", "fsync-fails", "replace-fails"],
)
def test_failed_save_keeps_previous_checkpoint_and_leaves_no_temporary(
    tmp_path, monkeypatch, target, name, replacement
):
    path = tmp_path / "checkpoint.npz"
    old = make_state(seed=0)
    save_checkpoint(path, old, metadata={"epoch": 3})
    monkeypatch.setattr(target, name, replacement)
    with pytest.raises((OSError, KeyboardInterrupt)):
        save_checkpoint(path, make_state(seed=1), metadata={"epoch": 4})
    monkeypatch.undo()
    restored, metadata = load_checkpoint(path, template=old)
    assert_bitwise_equal(restored, old)
    assert metadata == {"epoch": 3}
    assert only_file_in(tmp_path) == "checkpoint.npz"


# Damaged and foreign files


@pytest.fixture
def saved(tmp_path):
    state = make_state()
    path = tmp_path / "checkpoint.npz"
    save_checkpoint(path, state, metadata={"epoch": 3})
    return path, state


@pytest.mark.parametrize("keep", [0, 3, 100, 0.5, -1], ids=lambda k: f"keep-{k}")
def test_truncated_file_is_reported(saved, keep):
    path, state = saved
    data = path.read_bytes()
    path.write_bytes(data[: int(keep * len(data)) if isinstance(keep, float) else keep])
    with pytest.raises(CheckpointError, match=rf"{path}.*(damaged|truncated|empty)"):
        load_checkpoint(path, template=state)


def test_flipped_byte_in_array_data_fails_the_checksum(saved):
    path, state = saved
    data = bytearray(path.read_bytes())
    offset = data.find(np.asarray(state.opt_state[0].nu[1]["W"]).tobytes())
    assert offset > 0
    data[offset + 5] ^= 0x10
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match=rf"{path}.*damaged"):
        load_checkpoint(path, template=state)


def test_every_single_byte_flip_is_detected_or_harmless(tmp_path):
    # NumPy leaves and template: the sweep loads thousands of times, and skips JAX's dispatch.
    state = {"W": np.arange(6, dtype=np.float32).reshape(2, 3), "step": np.int32(123456789)}
    path = tmp_path / "checkpoint.npz"
    save_checkpoint(path, state, metadata={"epoch": 3})
    original = path.read_bytes()
    with np.load(path, allow_pickle=False) as npz:
        contents = [npz["__checkpoint__"].tobytes(), *(a.tobytes() for a in state.values())]
    starts = [original.find(content) for content in contents]
    assert -1 not in starts
    content_offsets = {s + i for s, c in zip(starts, contents) for i in range(len(c))}
    for offset in range(len(original)):
        damaged = bytearray(original)
        damaged[offset] ^= 0x01
        path.write_bytes(bytes(damaged))
        try:
            restored, metadata = load_checkpoint(path, template=state)
        except CheckpointError:
            continue
        # Only bytes outside the contents may be harmless (zip timestamps, sizes the zip also
        # stores elsewhere); then the state comes back unchanged.
        assert offset not in content_offsets, offset
        assert_bitwise_equal(restored, state)
        assert metadata == {"epoch": 3}, offset


def test_altered_metadata_fails_the_checksum(saved):
    path, state = saved
    rewrite_header(path, lambda header: header["metadata"].update(epoch=4))
    with pytest.raises(CheckpointError, match="damaged: its contents do not match its SHA-256"):
        load_checkpoint_metadata(path)


def test_newer_format_version_is_refused(saved):
    path, state = saved
    rewrite_header(path, lambda header: header.update(version=VERSION + 1, jaxmlp="9.0.0"))
    with pytest.raises(
        CheckpointError,
        match=rf"{path} has checkpoint format version {VERSION + 1}, written by jaxmlp 9.0.0.*"
        rf"reads versions up to {VERSION}: upgrade jaxmlp",
    ):
        load_checkpoint(path, template=state)


def write_zip(path, members):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def npy_bytes(array):
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=False)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "write, match",
    [
        (lambda p: p.write_bytes(b""), "the file is empty"),
        (lambda p: p.write_text("epoch,loss\n1,0.3\n"), r"not an .npz \(zip\) archive"),
        (lambda p: p.write_bytes(npy_bytes(np.ones(3))), "a single .npy array"),
        (lambda p: p.write_bytes(pickle.dumps({"W": [1.0]})), r"not an .npz \(zip\) archive"),
        (lambda p: write_zip(p, {"README.md": "hi"}), "has no '__checkpoint__' entry"),
        (
            lambda p: write_zip(
                p, {"x.npy": npy_bytes(np.ones(3)), "y.npy": npy_bytes(np.ones(2))}
            ),
            r"entries are \['x', 'y'\]",
        ),
        (
            lambda p: write_zip(
                p,
                {"__checkpoint__.npy": npy_bytes(np.frombuffer(b'{"format": "other"}', np.uint8))},
            ),
            "format 'other'",
        ),
    ],
    ids=["empty", "csv", "npy", "pickle", "other-zip", "other-npz", "other-format"],
)
def test_a_file_that_is_not_a_checkpoint_is_named(tmp_path, write, match):
    path = tmp_path / "checkpoint.npz"
    write(path)
    with pytest.raises(CheckpointError, match=rf"{path} is not a jaxmlp checkpoint"):
        load_checkpoint(path, template=make_state())
    with pytest.raises(CheckpointError, match=match):
        load_checkpoint_metadata(path)


class Payload:
    """Unpickling this object runs code (it makes a directory): that must never happen."""

    def __init__(self, directory):
        self.directory = str(directory)

    def __reduce__(self):
        return (os.mkdir, (self.directory,))


@pytest.mark.parametrize("listed_in_header", [False, True], ids=["plain-npz", "in-checkpoint"])
def test_object_arrays_are_never_unpickled(saved, monkeypatch, listed_in_header):
    path, state = saved
    ran = path.parent / "unpickling-ran"
    payload = np.array([Payload(ran)], dtype=object)
    if listed_in_header:
        # A checkpoint whose params[0]['b'] entry is replaced by an object array.
        with np.load(path, allow_pickle=False) as npz:
            entries = {name: npz[name] for name in npz.files}
        entries["state.params[0]['b']"] = payload
        with path.open("wb") as file:
            np.savez(file, **entries)
    else:
        with path.open("wb") as file:
            np.savez(file, W=payload)

    def refuse(*args, **kwargs):
        raise AssertionError("pickle was called")

    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    with pytest.raises(CheckpointError, match=str(path)):
        load_checkpoint(path, template=state)
    assert not ran.exists()


def test_missing_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.npz"):
        load_checkpoint(tmp_path / "nope.npz", template=make_state())


# A checkpoint that does not fit the template


def test_different_architecture_names_every_missing_extra_and_mismatched_leaf(tmp_path):
    path = tmp_path / "checkpoint.npz"
    save_checkpoint(path, make_state(sizes=(4, 5, 3), optimizer="sgd-momentum"))
    template = make_state(sizes=(4, 6, 3, 2), optimizer="sgd-momentum")
    with pytest.raises(CheckpointError) as raised:
        load_checkpoint(path, template=template)
    message = str(raised.value)
    assert f"checkpoint {path} does not fit the template" in message
    assert "4 missing, 0 extra and 6 mismatched leaves" in message
    for missing in ["params[2]['W'] float32[3,2]", "params[2]['b'] float32[2]"]:
        assert f"missing: state.{missing}" in message
        assert f"missing: state.opt_state[0].trace[2]{missing.removeprefix('params[2]')}" in message
    for name, expected, found in [
        ("params[0]['W']", "float32[4,6]", "float32[4,5]"),
        ("params[0]['b']", "float32[6]", "float32[5]"),
        ("params[1]['W']", "float32[6,3]", "float32[5,3]"),
    ]:
        assert f"mismatched: state.{name} expected {expected}, found {found}" in message
        assert (
            f"mismatched: state.opt_state[0].trace{name.removeprefix('params')} expected {expected}, found {found}"
            in message
        )


def test_different_optimizer_and_dtype_are_named(tmp_path):
    path = tmp_path / "checkpoint.npz"
    save_checkpoint(path, make_state(optimizer="adam"))
    with pytest.raises(CheckpointError) as raised:
        load_checkpoint(path, template=make_state(optimizer="sgd-momentum", dtype=jnp.float64))
    message = str(raised.value)
    assert "extra (not in the template): state.opt_state[0].mu[0]['W'] float32[4,5]" in message
    assert "extra (not in the template): state.opt_state[0].count int32[]" in message
    assert "missing: state.opt_state[0].trace[1]['b'] float64[3]" in message
    assert "mismatched: state.params[1]['b'] expected float64[3], found float32[3]" in message


def test_key_versus_raw_key_data_is_a_mismatch(tmp_path):
    path = tmp_path / "checkpoint.npz"
    save_checkpoint(path, {"key": jax.random.key(0)})
    with pytest.raises(
        CheckpointError, match=r"state\['key'\] expected uint32\[2\], found key<fry>\[\]"
    ):
        load_checkpoint(path, template={"key": jax.random.PRNGKey(0)})


def rewrite_header(path, change):
    """Applies ``change`` to the JSON header of the checkpoint at ``path``, keeping its checksum."""
    with np.load(path, allow_pickle=False) as npz:
        entries = {name: npz[name] for name in npz.files}
    header = json.loads(entries["__checkpoint__"].tobytes())
    change(header)
    entries["__checkpoint__"] = np.frombuffer(json.dumps(header).encode(), np.uint8)
    with path.open("wb") as file:
        np.savez(file, **entries)
