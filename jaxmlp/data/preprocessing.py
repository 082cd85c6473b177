"""Feature scalers fitted on the training split only, then applied unchanged to every split.

A scaler is the affine map ``x' = (x - offset) / scale`` per feature; fitting it on the
training split alone keeps the test split's statistics out of training.

Example:
  >>> import numpy as np
  >>> from jaxmlp.data import standardize
  >>> scaler = standardize(np.array([[0.0, 5.0], [2.0, 5.0]]))
  >>> scaler(np.array([[1.0, 5.0], [3.0, 6.0]])).tolist()  # the constant feature only shifts
  [[0.0, 0.0], [2.0, 1.0]]
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .checks import DataError, check_choice, check_features


@dataclasses.dataclass(frozen=True, eq=False)
class Scaler:
    """The per-feature map ``x' = (x - offset) / scale``, as fitted by a scaling function.

    Attributes:
      name: how it was fitted, a key of ``SCALERS``.
      offset: ``(d,)`` (or the feature shape, e.g. ``(28, 28)``) value subtracted.
      scale: same shape, positive divisor.
    """

    name: str
    offset: np.ndarray
    scale: np.ndarray

    def __call__(self, X, name: str = "X") -> np.ndarray:
        """Scales ``X: (n, d)`` into a new ``float32`` array; ``X`` is not modified."""
        X = self._check(X, name)
        return ((X - self.offset) / self.scale).astype(np.float32)

    def inverse(self, X, name: str = "X") -> np.ndarray:
        """Undoes the scaling: ``x = x' * scale + offset``, as a new ``float32`` array."""
        X = self._check(X, name)
        return (X * self.scale + self.offset).astype(np.float32)

    def _check(self, X, name: str) -> np.ndarray:
        X = check_features(X, name)
        if X.shape[1:] != self.offset.shape:
            raise DataError(
                f"{name} has features of shape {X.shape[1:]} but the {self.name} scaler was "
                f"fitted on {self.offset.shape}"
            )
        return X


def standardize(X_train) -> Scaler:
    """Fits zero mean and unit variance per feature on ``X_train: (n, d)``.

    A constant feature (zero variance) is only centred: its scale is 1, not 0.
    """
    X = check_features(X_train, "X_train").astype(np.float64)
    constant = X.max(axis=0) == X.min(axis=0)
    return Scaler("standardize", X.mean(axis=0), np.where(constant, 1.0, X.std(axis=0)))


def standardize_global(X_train) -> Scaler:
    """Fits one mean and one standard deviation over all the values of ``X_train: (n, d)``.

    Every feature gets the same map, so features keep their relations: pixels stay comparable
    with their neighbours (a per-pixel scaler gives each pixel its own statistics), and an
    MLP's first layer could absorb the map exactly; it only conditions the training. Constant
    data are only centred.
    """
    X = check_features(X_train, "X_train").astype(np.float64)
    std = X.std()
    std = std if std > 0 else 1.0
    return Scaler("standardize_global", np.full(X.shape[1:], X.mean()), np.full(X.shape[1:], std))


def minmax(X_train) -> Scaler:
    """Fits the map of each feature's ``[min, max]`` on ``X_train: (n, d)`` onto ``[0, 1]``.

    A constant feature is only shifted to 0. Test values outside the training range map
    outside ``[0, 1]``.
    """
    X = check_features(X_train, "X_train").astype(np.float64)
    low, high = X.min(axis=0), X.max(axis=0)
    return Scaler("minmax", low, np.where(high == low, 1.0, high - low))


SCALERS = {"standardize": standardize, "standardize_global": standardize_global, "minmax": minmax}


def fit_scaler(name: str, X_train) -> Scaler:
    """Fits the scaler ``name`` (a key of ``SCALERS``) on ``X_train: (n, d)``."""
    return SCALERS[check_choice(name, "scale", SCALERS)](X_train)
