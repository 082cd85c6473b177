"""Class labels of any kind (strings, non-contiguous integers) encoded as ``0 .. c-1`` and back.

Example:
  >>> import numpy as np
  >>> from jaxmlp.data import label_encoder
  >>> encoder = label_encoder(np.array(["cat", "dog", "cat", "bird"]))
  >>> encoder.classes.tolist(), encoder.encode(np.array(["dog", "bird"])).tolist()
  (['bird', 'cat', 'dog'], [2, 0])
  >>> encoder.decode(np.array([1, 2])).tolist()
  ['cat', 'dog']
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .checks import DataError

# Integral float labels at or beyond 2**63 in magnitude do not fit the int64 they become.
INT64_LIMIT = 2.0**63


@dataclasses.dataclass(frozen=True, eq=False)
class LabelEncoder:
    """The map between original labels and class indices: class ``i`` is ``classes[i]``.

    Attributes:
      classes: ``(c,)`` the distinct labels, sorted.
    """

    classes: np.ndarray

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    def encode(self, y, name: str = "y") -> np.ndarray:
        """Original labels ``y: (n,)`` -> class indices ``(n,) int32`` in ``[0, c)``."""
        y = check_labels(y, name)
        try:
            if (y.dtype.kind in "biu") != (self.classes.dtype.kind in "biu"):
                raise TypeError("numbers and strings do not compare")
            index = np.clip(np.searchsorted(self.classes, y), 0, self.n_classes - 1)
            known = self.classes[index] == y
        except TypeError:  # includes numpy's DTypePromotionError
            raise DataError(
                f"{name} holds labels of dtype {y.dtype} but the classes are "
                f"{self.classes.dtype}: {_preview(self.classes)}"
            ) from None
        if not known.all():
            bad = y[np.argmin(known)]
            raise DataError(
                f"{name} holds the label {_item(bad)!r}, which is not one of the "
                f"{self.n_classes} classes {_preview(self.classes)}"
            )
        return index.astype(np.int32)

    def decode(self, indices, name: str = "predictions") -> np.ndarray:
        """Class indices ``(n,)`` in ``[0, c)`` -> the original labels ``(n,)``."""
        indices = np.asarray(indices)
        if indices.dtype.kind not in "iu":
            raise DataError(f"{name} must hold integer class indices, got dtype {indices.dtype}")
        outside = (indices < 0) | (indices >= self.n_classes)
        if outside.any():
            raise DataError(
                f"{name} holds the class index {_item(indices[outside][0])}, outside "
                f"[0, {self.n_classes})"
            )
        return self.classes[indices]


def label_encoder(y, *, name: str = "y", min_classes: int = 2) -> LabelEncoder:
    """Fits a ``LabelEncoder`` on the labels ``y: (n,)`` of a training split.

    Raises:
      DataError: ``y`` is not 1-D class labels, or has fewer than ``min_classes`` classes.
    """
    classes = np.unique(check_labels(y, name))
    if len(classes) < min_classes:
        raise DataError(
            f"{name} holds {len(classes)} class ({_preview(classes)}); classification needs "
            f"at least {min_classes}"
        )
    return LabelEncoder(classes)


def check_labels(y, name: str = "y") -> np.ndarray:
    """Checks class labels ``y: (n,)``: 1-D, not empty, integers (or integral floats) or strings.

    Returns:
      ``y`` as an array; integral floats become ``int64``.
    """
    y = np.asarray(y)
    if y.ndim != 1:
        hint = " (use y.ravel())" if y.ndim == 2 and y.shape[1] == 1 else ""
        raise DataError(f"{name} must be 1-D class labels (n,), got shape {y.shape}{hint}")
    if len(y) == 0:
        raise DataError(f"{name} has 0 samples; at least 1 is needed")
    if y.dtype.kind == "f":
        bad = ~np.isfinite(y) | (y != np.round(y))
        if bad.any():
            raise DataError(
                f"{name} holds the label {_item(y[bad][0])!r}; class labels must be integers "
                "or strings (real-valued targets are a regression problem)"
            )
        beyond = ~(np.abs(y) < INT64_LIMIT)
        if beyond.any():
            raise DataError(
                f"{name} holds the label {_item(y[beyond][0])!r}, beyond the range of int64 "
                "that integer class labels are held in"
            )
        return y.astype(np.int64)
    if y.dtype.kind == "O":
        try:
            np.unique(y)
        except TypeError:
            kinds = sorted({type(v).__name__ for v in y})
            raise DataError(f"{name} mixes labels of types {kinds}; use one type") from None
    elif y.dtype.kind not in "biuUS":
        raise DataError(f"{name} must hold integer or string labels, got dtype {y.dtype}")
    return y


def check_class_indices(y, n_classes: int, what: str) -> None:
    """Checks that the labels ``y: (n,)`` of a dataset with known classes are ``0 .. c-1``.

    Raises:
      DataError: naming ``what`` (e.g. the file), the first label outside, and its index.
    """
    y = np.asarray(y)
    bad = ~np.isin(y, np.arange(n_classes))  # NaN and fractions too, whatever the dtype
    if bad.any():
        index = int(np.argmax(bad))
        raise DataError(
            f"{what} holds the label {_item(y[index])!r} at index {index}; its labels are the "
            f"{n_classes} classes 0..{n_classes - 1}"
        )


def _item(value):
    return value.item() if isinstance(value, np.generic) else value


def _preview(classes: np.ndarray, limit: int = 10) -> str:
    shown = [_item(c) for c in classes[:limit]]
    return str(shown) if len(classes) <= limit else f"{str(shown)[:-1]}, ...]"
