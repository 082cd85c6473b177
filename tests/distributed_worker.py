"""One process of the multi-host test: trains data-parallel over every process's devices.

Run as ``python tests/distributed_worker.py PORT PROCESS_ID NUM_PROCESSES OUT.npz``; then
a sweep of 3 members (``fit_many``) over the meshes ("models", "data") = (2, 1) and (1, 2).
"""

import sys

import jax
import numpy as np

port, process_id, num_processes, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
jax.config.update("jax_cpu_collectives_implementation", "gloo")
jax.distributed.initialize(
    coordinator_address=f"localhost:{port}", num_processes=num_processes, process_id=process_id
)

import jaxmlp  # noqa: E402
from jaxmlp.data import synthetic  # noqa: E402

X, y = synthetic.two_moons(jax.random.key(0), 256)  # the same data on every host
mlp = jaxmlp.MLP((2, 16, 2), "tanh", "softmax")
params = jaxmlp.init_params(jax.random.key(1), mlp)
mesh = jaxmlp.parallel.data_mesh()  # every device of every process
params, history = jaxmlp.fit(
    mlp, params, X, y, key=jax.random.key(2), loss="cross_entropy", optimizer="adam",
    learning_rate=0.01, batch_size=32, epochs=3, mesh=mesh,
)  # fmt: skip
arrays = {f"{name}{l}": np.asarray(layer[name]) for l, layer in enumerate(params) for name in "Wb"}
for models, data in [(2, 1), (1, 2)]:  # members across the hosts, then each batch across them
    result = jaxmlp.fit_many(
        mlp, X, y, key=jax.random.key(2), seeds=[0, 1, 2], learning_rates=[0.01, 0.02, 0.05],
        loss="cross_entropy", optimizer="adam", batch_size=32, epochs=3,
        mesh=jaxmlp.parallel.sweep_mesh(models, data),
    )  # fmt: skip
    for l, layer in enumerate(result.params):
        arrays[f"sweep{models}x{data}-W{l}"] = np.asarray(layer["W"])
    arrays[f"sweep{models}x{data}-loss"] = result.history.train_loss
np.savez(out, devices=jax.device_count(), processes=jax.process_count(), **arrays)
