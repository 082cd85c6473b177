"""The names the registries offer, in plain Python: what the command line lists and checks
without importing JAX or optax.

``OPTIMIZERS``, ``SCHEDULES`` and ``MONITORS`` have their one home here (the engine imports
them). ``ACTIVATIONS``, ``LOSSES`` and ``INITS`` are the keys of registries of JAX functions
(``activations.ACTIVATIONS``, ``losses.LOSSES``, ``params.INITS``); ``tests/test_cold_start.py``
checks that these tuples equal them.
"""

from __future__ import annotations

ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "identity", "softmax")
# What a hidden layer may have: the elementwise activations (not softmax).
HIDDEN_ACTIVATIONS = tuple(name for name in ACTIVATIONS if name != "softmax")
# Each loss, and the output activation it is computed with (``None``: any).
LOSS_OUTPUTS = {"mse": None, "cross_entropy": "softmax", "binary_cross_entropy": "sigmoid"}
LOSSES = tuple(LOSS_OUTPUTS)
INITS = (
    "glorot_uniform",
    "glorot_normal",
    "he",
    "he_normal",
    "he_uniform",
    "lecun",
    "lecun_normal",
    "lecun_uniform",
    "sklearn",
)
OPTIMIZERS = ("sgd", "momentum", "nesterov", "adam", "adamw", "lbfgs")
SCHEDULES = ("constant", "invscaling", "cosine", "adaptive")
# What early stopping may watch; an accuracy as its error rate 1 - accuracy: lower is better.
MONITORS = ("auto", "val_loss", "val_accuracy", "train_loss", "train_accuracy")
# The splits of its data a trained run is evaluated or predicted on.
SPLITS = ("test", "train", "all")


def check_loss_output(loss: str, needs: str | None, output: str | None) -> None:
    """Refuses ``output`` for a loss computed from the pre-activation of the output ``needs``."""
    if needs is not None and output is not None and needs != output:
        raise ValueError(
            f"loss={loss!r} needs output={needs!r} (it is computed from the output "
            f"pre-activation), but the MLP has output={output!r}"
        )
