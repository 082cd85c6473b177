"""scikit-learn's digits: 1797 handwritten digits of 8 x 8 pixels, the embedded default dataset."""

from __future__ import annotations

import numpy as np

from .checks import DataError
from .labels import check_class_indices


def load_digits(*, flatten: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The digits, pixel values 0..16 scaled to ``[0, 1]``.

    Needs scikit-learn, from the ``experiments`` extra: ``pip install 'jaxmlp[experiments]'``.

    Args:
      flatten: return ``(1797, 64)`` rows (the default, scikit-learn's ``data``) rather than
        ``(1797, 8, 8)`` images.

    Returns:
      ``X: (1797, 64) float32`` and ``y: (1797,) int64`` labels 0..9.
    """
    try:
        from sklearn.datasets import load_digits as sklearn_load_digits
    except ImportError:
        raise DataError(
            "the digits dataset needs scikit-learn, which is not installed; install the "
            "experiments extra: pip install 'jaxmlp[experiments]'"
        ) from None
    digits = sklearn_load_digits()
    check_class_indices(digits.target, 10, "scikit-learn's digits")
    X = (digits.data if flatten else digits.images) / 16.0
    return X.astype(np.float32), digits.target.astype(np.int64)
