"""The ``Dataset``: train and test arrays ready for an MLP, and what is needed to decode labels."""

from __future__ import annotations

import dataclasses

import numpy as np

from .checks import DataError, check_real
from .labels import LabelEncoder
from .preprocessing import Scaler
from .splits import split


@dataclasses.dataclass(frozen=True, eq=False)
class Dataset:
    """Train and test splits (and optionally a validation split) of one dataset.

    Attributes:
      name: the spec it was loaded from, e.g. ``"digits"`` or ``"csv:iris.csv"``.
      X_train: ``(n, d) float32`` features, or ``(n, h, w)`` images when not flattened.
      y_train: ``(n,) int32`` class indices in ``[0, n_classes)``, or ``(n, k) float32`` real
        targets for regression.
      X_test: ``(m, d)`` features of the test split.
      y_test: ``(m,)`` or ``(m, k)`` labels of the test split.
      classes: ``(c,)`` the original labels: class ``i`` is ``classes[i]``; ``None`` for
        regression.
      scaler: the scaler fitted on ``X_train`` and applied to every split, or ``None``.
      X_val: ``(v, d)`` features of a validation split, or ``None``.
      y_val: ``(v,)`` labels of the validation split, or ``None``.
      w_train, w_test, w_val: ``(n,)``, ``(m,)``, ``(v,)`` the examples' weights (``float64``,
        finite, ``>= 0``) where the data hold any (a CSV weight column, an NPZ ``w``), else
        ``None``.
      image_shape: ``(h, w)`` or ``(h, w, channels)`` of an example that is an image, flattened
        or not (``(28, 28)`` for Fashion-MNIST); ``None`` for other data.
    """

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    classes: np.ndarray | None = None
    scaler: Scaler | None = None
    X_val: np.ndarray | None = None
    y_val: np.ndarray | None = None
    w_train: np.ndarray | None = None
    w_test: np.ndarray | None = None
    w_val: np.ndarray | None = None
    image_shape: tuple[int, ...] | None = None

    @property
    def n_features(self) -> int:
        """The width ``d`` of a flattened example: 784 for ``(n, 28, 28)`` images."""
        return int(np.prod(self.X_train.shape[1:]))

    @property
    def n_classes(self) -> int | None:
        """The number of classes ``c``; ``None`` for regression."""
        return None if self.classes is None else len(self.classes)

    @property
    def n_outputs(self) -> int:
        """The MLP's output width: ``c`` classes, or ``k`` real targets."""
        return self.n_classes if self.classes is not None else self.y_train.shape[1]

    def decode(self, indices) -> np.ndarray:
        """Class indices ``(n,)`` (e.g. predictions) -> the original labels ``(n,)``."""
        if self.classes is None:
            raise DataError(f"dataset {self.name!r} holds real targets; there are no classes")
        return LabelEncoder(self.classes).decode(indices)

    def with_validation(self, key, fraction: float = 0.1) -> Dataset:
        """This dataset with a ``fraction`` of the training split held out for validation.

        The split is stratified for class labels. A scaler, if any, stays the one fitted on
        the whole training split; to fit it without the validation split, pass
        ``validation=fraction`` to ``load`` instead.

        Args:
          key: PRNG key.
          fraction: the validation split's share of the training split, in ``(0, 1)``.
        """
        if self.X_val is not None:
            raise DataError(f"dataset {self.name!r} already has a validation split")
        if not check_real(fraction, "fraction", strict=True) < 1:
            raise DataError(f"fraction={fraction!r} must be a fraction in (0, 1)")
        fractions = (1 - fraction, fraction)
        if self.w_train is None:
            (X_train, y_train), (X_val, y_val) = split(key, self.X_train, self.y_train, fractions)
            w_train = w_val = None
        else:  # the rows' numbers split as the rows: each weight goes with its row
            rows = split(key, np.arange(len(self.X_train)), self.y_train, fractions)
            (train, y_train), (held_out, y_val) = rows
            X_train, X_val = self.X_train[train], self.X_train[held_out]
            w_train, w_val = self.w_train[train], self.w_train[held_out]
        return dataclasses.replace(
            self, X_train=X_train, y_train=y_train, X_val=X_val, y_val=y_val, w_train=w_train,
            w_val=w_val,
        )  # fmt: skip
