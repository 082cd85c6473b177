"""Random MLP problems (params, inputs X, targets T) shared by the gradient tests."""

import jax
import numpy as np

import jaxmlp

HIDDEN = tuple(name for name in jaxmlp.ACTIVATIONS if name != "softmax")
# The (output activation, loss) pairs that make sense: MSE after any output, each
# cross-entropy only after the output activation it is computed from.
OUTPUT_LOSS = tuple((output, "mse") for output in jaxmlp.ACTIVATIONS) + (
    ("softmax", "cross_entropy"),
    ("sigmoid", "binary_cross_entropy"),
)


def random_targets(rng: np.random.Generator, loss: str, n: int, c: int, dtype) -> np.ndarray:
    """``T: (n, c)``: one-hot rows for cross-entropy, 0/1 labels for BCE, reals in [0, 1) else."""
    if loss == "cross_entropy":
        return np.eye(c, dtype=dtype)[rng.integers(0, c, n)]
    if loss == "binary_cross_entropy":
        return rng.integers(0, 2, (n, c)).astype(dtype)
    return rng.uniform(size=(n, c)).astype(dtype)


def random_params(rng: np.random.Generator, mlp: jaxmlp.MLP, dtype) -> list[dict]:
    """Glorot-scaled normal weights and small non-zero biases (so that b matters)."""
    return [
        {
            "W": (rng.normal(size=(n_in, n_out)) * np.sqrt(2 / (n_in + n_out))).astype(dtype),
            "b": (0.1 * rng.normal(size=n_out)).astype(dtype),
        }
        for n_in, n_out in zip(mlp.sizes[:-1], mlp.sizes[1:])
    ]


def random_problem(seed: int, mlp: jaxmlp.MLP, loss: str, n: int, dtype=np.float64):
    """``(params, X: (n, d), T: (n, c))`` for ``mlp`` and ``loss``, as JAX arrays of ``dtype``."""
    rng = np.random.default_rng(seed)
    params = random_params(rng, mlp, dtype)
    X = rng.normal(size=(n, mlp.n_inputs)).astype(dtype)
    T = random_targets(rng, loss, n, mlp.n_outputs, dtype)
    return jax.device_put((params, X, T))
