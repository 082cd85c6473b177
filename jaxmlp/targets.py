"""From what the user has (class labels or real targets) to the targets ``T`` the loss sees.

Class labels ``y: (n,)`` are one-hot encoded to ``c = sizes[-1]`` classes; with a single
output unit (``c = 1``) they must be 0 or 1 and become ``T = y[:, None]``. Real targets
``(n, c)`` are used as they are (regression, or multi-label with binary cross-entropy).
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from . import checks
from .losses import Loss
from .mlp import MLP


def is_classification(y) -> bool:
    """Class labels are 1-D; real targets are 2-D."""
    return np.ndim(y) == 1


def check_labels(mlp: MLP, y, n: int, *, name: str = "y") -> np.ndarray:
    """Checks integer class labels ``y: (n,)`` against the MLP's ``c`` outputs."""
    checks.check_dense(y, name)
    y = np.asarray(y)
    if y.shape != (n,):
        raise ValueError(f"{name} has shape {y.shape} but X has {n} samples: expected ({n},)")
    if y.dtype.kind in "OUS":
        raise TypeError(
            f"{name} holds {y.dtype} labels such as {y.flat[0]!r}; encode them as integers "
            "0..c-1 first (jaxmlp.data's label encoder does, and decodes predictions back)"
        )
    if y.dtype.kind == "b":
        y = y.astype(np.int32)
    if y.dtype.kind == "f":
        checks.check_finite(y, name)
        if np.any(y != np.round(y)):
            i = int(np.argmax(y != np.round(y)))
            raise ValueError(
                f"{name} holds the non-integer label {y[i].item()!r} at index {i}; 1-D y must "
                "be class labels (for regression pass targets of shape (n, c))"
            )
    c = mlp.n_outputs
    n_classes = 2 if c == 1 else c
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        i = int(np.argmax((y < 0) | (y >= n_classes)))
        what = "0 or 1 for the single output unit" if c == 1 else f"in [0, {c}) (sizes[-1]={c})"
        raise ValueError(
            f"{name} holds the label {y[i].item()!r} at index {i}; labels must be {what}"
        )
    return y.astype(np.int32)


def check_y(mlp: MLP, y, n: int, *, name: str = "y", dtype=None, loss: Loss | None = None):
    """Checks labels ``y: (n,)`` (returned as int32) or real targets ``y: (n, c)``: finite,
    within the range of ``dtype`` and, for the cross-entropies, probabilities."""
    checks.check_dense(y, name)
    if is_classification(y):
        return check_labels(mlp, y, n, name=name)
    if np.ndim(y) != 2:
        raise ValueError(
            f"{name} must be class labels (n,) or real targets (n, c), got shape {np.shape(y)}"
        )
    return checks.check_targets(mlp, y, n, name=name, dtype=dtype, loss=loss)


def targets(
    mlp: MLP, y, n: int, dtype, *, name: str = "y", loss: Loss | None = None
) -> jnp.ndarray:
    """The targets ``T: (n, c)`` for labels ``y: (n,)`` or real targets ``y: (n, c)``."""
    y = check_y(mlp, y, n, name=name, dtype=dtype, loss=loss)
    if y.ndim == 2:
        return checks.to_device(y, dtype)
    if mlp.n_outputs == 1:
        return checks.to_device(y[:, None], dtype)
    # One-hot on the host: on the device, each new length of y compiles a program.
    return checks.to_device(np.eye(mlp.n_outputs, dtype=jnp.dtype(dtype))[y], dtype)


def predicted_labels(Y_hat: jnp.ndarray) -> jnp.ndarray:
    """Class predictions from ``Y_hat: (n, c)``: argmax, or ``y_hat > 0.5`` when ``c = 1``."""
    if Y_hat.shape[-1] == 1:
        return (Y_hat[..., 0] > 0.5).astype(jnp.int32)
    return jnp.argmax(Y_hat, axis=-1).astype(jnp.int32)


def true_labels(T: jnp.ndarray) -> jnp.ndarray:
    """The class labels of one-hot (or single-column 0/1) targets ``T: (n, c)``."""
    return predicted_labels(T)
