"""Data parallelism: a mesh of devices, and several processes, train as one device does."""

import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import chex
import jax
import numpy as np
import pytest

import jaxmlp
from jaxmlp.data import synthetic

ROOT = Path(__file__).resolve().parent.parent
WORKER = Path(__file__).resolve().parent / "distributed_worker.py"


def run_python(code: str, env_extra: dict, timeout: int = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, **env_extra}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


@pytest.mark.heavy
def test_eight_devices_train_as_one_device(tmp_path):
    code = f"""
        import jax, numpy as np, jaxmlp
        from jaxmlp.data import synthetic
        assert jax.device_count() == 8
        X, y = synthetic.two_moons(jax.random.key(0), 512)
        mlp = jaxmlp.MLP((2, 32, 2), "tanh", "softmax")
        params = jaxmlp.init_params(jax.random.key(1), mlp)
        kwargs = dict(key=jax.random.key(2), loss="cross_entropy", optimizer="adam",
                      learning_rate=0.01, epochs=4)
        out = {{}}
        for name, batch_size, mesh in [("one", 64, None), ("eight", 64, 8),
                                       ("full-one", None, None), ("full-eight", None, 8)]:
            trained, history = jaxmlp.fit(mlp, params, X, y, batch_size=batch_size, mesh=mesh,
                                          **kwargs)
            if mesh:
                assert len(trained[0]["W"].sharding.device_set) == 8
            for l, layer in enumerate(trained):
                out[f"{{name}}-W{{l}}"] = np.asarray(layer["W"])
            out[f"{{name}}-loss"] = np.asarray(history.train_loss)
        try:
            jaxmlp.fit(mlp, params, X, y, batch_size=60, mesh=8, **kwargs)
        except ValueError as error:
            out["error"] = np.array(str(error))
        np.savez("{tmp_path}/out.npz", **out)
    """
    result = run_python(code, {"XLA_FLAGS": "--xla_force_host_platform_device_count=8"})
    assert result.returncode == 0, result.stderr[-3000:]
    out = np.load(tmp_path / "out.npz")
    for name in ("", "full-"):
        for key in ("W0", "W1", "loss"):
            # Only the order of the gradient's sums differs: float32 rounding.
            np.testing.assert_allclose(out[f"{name}eight-{key}"], out[f"{name}one-{key}"],
                                       rtol=2e-5, atol=1e-6)  # fmt: skip
    assert "batch_size=60 does not divide across the 8 devices" in str(out["error"])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


@pytest.mark.heavy
def test_two_processes_train_as_one(tmp_path):
    port = str(free_port())
    env = {**os.environ, "XLA_FLAGS": ""}
    workers = [
        subprocess.Popen(
            [sys.executable, str(WORKER), port, str(i), "2", str(tmp_path / f"out{i}.npz")],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )  # fmt: skip
        for i in range(2)
    ]
    for worker in workers:
        output, _ = worker.communicate(timeout=300)
        assert worker.returncode == 0, output[-3000:]
    first, second = (np.load(tmp_path / f"out{i}.npz") for i in range(2))
    assert int(first["processes"]) == 2 and int(first["devices"]) == 2
    # Both hosts end with the same params ...
    for key in ("W0", "b0", "W1", "b1"):
        np.testing.assert_array_equal(first[key], second[key])
    # ... equal to one process training on one device.
    X, y = synthetic.two_moons(jax.random.key(0), 256)
    mlp = jaxmlp.MLP((2, 16, 2), "tanh", "softmax")
    params, _ = jaxmlp.fit(
        mlp, jaxmlp.init_params(jax.random.key(1), mlp), X, y, key=jax.random.key(2),
        loss="cross_entropy", optimizer="adam", learning_rate=0.01, batch_size=32, epochs=3,
    )  # fmt: skip
    expected = {
        f"{name}{l}": np.asarray(layer[name]) for l, layer in enumerate(params) for name in "Wb"
    }
    chex.assert_trees_all_close({k: first[k] for k in expected}, expected, rtol=2e-5, atol=1e-6)
    # The sweeps: every member as one process trains it, on both hosts.
    result = jaxmlp.fit_many(
        mlp, X, y, key=jax.random.key(2), seeds=[0, 1, 2], learning_rates=[0.01, 0.02, 0.05],
        loss="cross_entropy", optimizer="adam", batch_size=32, epochs=3,
    )  # fmt: skip
    for name in ("sweep2x1", "sweep1x2"):
        for out in (first, second):
            assert out[f"{name}-W0"].shape == (3, 2, 16)
            np.testing.assert_allclose(
                out[f"{name}-W0"], result.params[0]["W"], rtol=2e-5, atol=1e-6
            )
            np.testing.assert_allclose(
                out[f"{name}-W1"], result.params[1]["W"], rtol=2e-5, atol=1e-6
            )
            np.testing.assert_allclose(out[f"{name}-loss"], result.history.train_loss, rtol=2e-5)


SWEEP_CODE = """
    import jax, numpy as np, jaxmlp
    from jaxmlp.data import synthetic
    from jaxmlp.training import epoch, loop
    assert jax.device_count() == 8
    X, y = synthetic.two_moons(jax.random.key(0), 256)
    mlp = jaxmlp.MLP((2, 16, 2), "tanh", "softmax")
    kwargs = dict(key=jax.random.key(2), loss="cross_entropy", optimizer="adam", batch_size=32,
                  epochs=4, seeds=[0, 1, 2, 3, 4], learning_rates=[0.01, 0.02, 0.03, 0.01, 0.05],
                  widths=[4, 8, 16, 16, 2], validation_fraction=0.2, early_stopping=True,
                  patience=1)
    programs = []
    train = loop.train
    def spy(run, static, state, data, l2, epochs, on_block=None):
        # the compiled block of epochs, as the sweep runs it: its collectives tell the layout
        last = jax.device_put(np.full(np.shape(state.epoch), epochs, np.int32))
        lowered = jax.jit(epoch.members_block, static_argnums=(0, 1)).lower(
            *static, state, data, l2, last)
        programs.append(lowered.compile().as_text())
        programs.append(str(getattr(state.params[0]["W"].sharding, "spec", "one device")))
        return train(run, static, state, data, l2, epochs, on_block)
    loop.train = spy
    out = {}
    for name, mesh in [("one", None), ("2x4", jaxmlp.parallel.sweep_mesh(2, 4)),
                       ("8x1", jaxmlp.parallel.sweep_mesh(8, 1)), ("3", 3)]:
        programs.clear()
        result = jaxmlp.fit_many(mlp, X, y, mesh=mesh, **kwargs)
        for l, layer in enumerate(result.params):
            out[f"{name}-W{l}"] = np.asarray(layer["W"])
        for field in ("train_loss", "val_loss", "best_epoch", "epochs_trained"):
            out[f"{name}-{field}"] = np.asarray(getattr(result.history, field))
        out[f"{name}-stop"] = np.array([str(r) for r in result.history.stop_reason])
        out[f"{name}-lr"] = result.learning_rates
        out[f"{name}-all-reduce"] = programs[0].count("all-reduce(")
        out[f"{name}-layout"] = np.array(programs[1])
    try:
        jaxmlp.fit_many(mlp, X, y, mesh=jaxmlp.parallel.sweep_mesh(2, 4), **{**kwargs, "batch_size": 30})
    except ValueError as error:
        out["error"] = np.array(str(error))
    np.savez("{out}", **out)
"""


@pytest.mark.heavy
def test_a_sweep_splits_members_over_models_and_batches_over_data(tmp_path):
    code = SWEEP_CODE.replace("{out}", str(tmp_path / "out.npz"))
    result = run_python(code, {"XLA_FLAGS": "--xla_force_host_platform_device_count=8"})
    assert result.returncode == 0, result.stderr[-3000:]
    out = np.load(tmp_path / "out.npz")
    for name in ("2x4", "8x1", "3"):  # 5 members on 2, 8 or 3 devices: 1, 3 or 1 padding
        assert out[f"{name}-W0"].shape == (5, 2, 16)
        for key in ("W0", "W1", "train_loss", "val_loss"):
            # Only the order of the gradient's sums differs: float32 rounding.
            np.testing.assert_allclose(
                out[f"{name}-{key}"], out[f"one-{key}"], rtol=2e-5, atol=1e-6
            )
        for key in ("best_epoch", "epochs_trained", "stop", "lr"):
            np.testing.assert_array_equal(out[f"{name}-{key}"], out[f"one-{key}"])
        assert str(out[f"{name}-layout"]) == "P('models',)"
    assert "early_stopping" in out["one-stop"]  # the members stop on their own
    # Batches split over "data" all-reduce their gradients; members alone on a device do not.
    assert out["2x4-all-reduce"] > 0
    assert out["8x1-all-reduce"] == 0 and out["3-all-reduce"] == 0
    assert "batch_size=30 does not divide across the 4 devices" in str(out["error"])


def test_a_one_device_sweep_mesh_trains_as_no_mesh():
    X, y = synthetic.two_moons(jax.random.key(0), 64)
    mlp = jaxmlp.MLP((2, 8, 2), "tanh", "softmax")
    kwargs = dict(key=jax.random.key(1), loss="cross_entropy", batch_size=16, epochs=2,
                  seeds=[0, 1, 2])  # fmt: skip
    plain = jaxmlp.fit_many(mlp, X, y, **kwargs)
    meshed = jaxmlp.fit_many(mlp, X, y, mesh=1, **kwargs)
    chex.assert_trees_all_close(meshed.params, plain.params, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(meshed.history.train_loss, plain.history.train_loss, rtol=1e-6)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(mesh=64), r"models × data=64 but \d+ device"),
        (dict(mesh=0), r"models must be an int >= 1 \(devices for the members\), got 0"),
        (dict(mesh="2"), r"models must be an int >= 1 \(devices for the members\), got '2'"),
        (dict(mesh=1, members_at_once=2), "members_at_once must be None with a mesh"),
        (
            dict(mesh="data"),
            r"must have the axes \('models', 'data'\) or \('models',\), got \('data',\)",
        ),
    ],
)
def test_a_sweep_mesh_is_checked(kwargs, match):
    X, y = synthetic.two_moons(jax.random.key(0), 32)
    mlp = jaxmlp.MLP((2, 4, 2), "tanh", "softmax")
    if kwargs["mesh"] == "data":
        kwargs = {**kwargs, "mesh": jaxmlp.parallel.data_mesh(1)}
    with pytest.raises(ValueError, match=match):
        jaxmlp.fit_many(mlp, X, y, key=jax.random.key(1), epochs=1, **kwargs)


def test_sweep_mesh_sizes_are_checked():
    with pytest.raises(
        ValueError, match=r"data must be an int in \[1, \d+\] \(the devices\), got 0"
    ):
        jaxmlp.parallel.sweep_mesh(1, 0)
    assert jaxmlp.parallel.sweep_mesh().axis_names == ("models", "data")


def test_a_mesh_larger_than_the_machine_is_refused():
    with pytest.raises(ValueError, match=r"devices=64 but \d+ device"):
        jaxmlp.parallel.data_mesh(64)
