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


def test_a_mesh_larger_than_the_machine_is_refused():
    with pytest.raises(ValueError, match=r"devices=64 but \d+ device"):
        jaxmlp.parallel.data_mesh(64)
