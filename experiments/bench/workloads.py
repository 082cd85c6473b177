"""What the throughput benchmark trains: the models, their data, and their matmul FLOPs."""

from __future__ import annotations

import dataclasses

import numpy as np

import jaxmlp

N_CLASSES = 10


@dataclasses.dataclass(frozen=True)
class Workload:
    """One model, loss, optimizer and batch size, trained the same way by every implementation."""

    name: str
    sizes: tuple[int, ...]  # (d, h_1, ..., c)
    hidden: str  # hidden activation
    output: str  # output activation
    loss: str  # jaxmlp's loss name: "mse" (½ Σ_k (t_k - y_hat_k)²) or "cross_entropy"
    optimizer: str  # "sgd" or "adam"
    learning_rate: float
    batch_size: int
    sklearn: bool = False  # scikit-learn's MLPClassifier is this exact model
    # k: a timed sample is (a call of 1 + k epochs - a call of 1 epoch) / k. The small
    # model's 30-40 ms epochs, timed one at a time, moved its ratios by ±20% from run to run.
    epochs_per_sample: int = 2

    def describe(self) -> str:
        sizes = "-".join(map(str, self.sizes))
        optimizer = {"sgd": "SGD", "adam": "Adam"}[self.optimizer]
        return (
            f"{sizes} {self.hidden}/{self.output}, {self.loss}, "
            f"{optimizer} {self.learning_rate:g}, batch {self.batch_size}"
        )


LECTURE = Workload("lecture", (784, 256, 10), "sigmoid", "sigmoid", "mse", "sgd", 0.1, 128)
MODERN = Workload(
    "modern", (784, 512, 512, 10), "relu", "softmax", "cross_entropy", "adam", 1e-3, 256, True
)
SMALL = Workload("small", (64, 32, 10), "sigmoid", "sigmoid", "mse", "sgd", 0.1, 32, False, 8)
# The modern model at a batch large enough for the matmuls to approach the machine's peak.
MODERN_1024 = dataclasses.replace(MODERN, name="modern-1024", batch_size=1024, sklearn=False)
WORKLOADS = {w.name: w for w in (LECTURE, MODERN, SMALL, MODERN_1024)}


def synthetic_data(n: int, d: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """MNIST-shaped data: ``X: (n, d)`` float32 "pixels" in [0, 1), ``y: (n,)`` labels."""
    rng = np.random.default_rng(seed)
    X = rng.random((n, d), dtype=np.float32)
    y = rng.integers(0, N_CLASSES, n).astype(np.int32)
    return X, y


def flops_per_example(sizes: tuple[int, ...]) -> int:
    """Matmul FLOPs of one training example: forward, weight gradients, input gradients
    (the first layer's input gradient, with respect to the data, is never computed)."""
    return jaxmlp.MLP(sizes).matmul_flops(training=True)
