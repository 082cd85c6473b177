"""Example weights: ``sample_weight`` and ``class_weight`` made into one weight per example.

With weights the objective is the weighted mean ``Σ_i w_i J_i / Σ_i w_i`` (``objective``'s
``weights``), so an integer weight counts an example that many times and a weight 0 drops it.
Example ``i`` weighs ``sample_weight_i · class_weight[y_i]``. ``"balanced"`` class weights are
scikit-learn's ``compute_class_weight``: ``n / (c · count_k)`` over the ``c`` classes in ``y``.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence

import numpy as np

from . import checks
from .mlp import MLP


def n_classes(mlp: MLP) -> int:
    """The number of classes ``mlp`` tells apart: ``c``, or 2 for a single output unit."""
    return 2 if mlp.n_outputs == 1 else mlp.n_outputs


def class_weights(class_weight, y: np.ndarray, c: int) -> np.ndarray:
    """``(c,)`` the weight of each class ``0 .. c-1`` for labels ``y: (n,)`` (checked ints).

    Args:
      class_weight: ``"balanced"``, a dict ``{class: weight}`` (classes left out weigh 1) or a
        sequence of ``c`` weights; every weight finite and ``>= 0``.
      y: the class labels the balanced weights count.
      c: the number of classes.
    """
    if isinstance(class_weight, str):
        if class_weight != "balanced":
            raise ValueError(
                f"class_weight={class_weight!r} is not known; expected 'balanced', a dict "
                "{class: weight} or a sequence of one weight per class"
            )
        counts = np.bincount(y, minlength=c)
        present = counts > 0
        weights = np.ones(c)
        weights[present] = len(y) / (present.sum() * counts[present])
        return weights
    if isinstance(class_weight, Mapping):
        weights = np.ones(c)
        for label, weight in class_weight.items():
            integral = isinstance(label, numbers.Integral) and not isinstance(label, bool)
            if not integral or not 0 <= label < c:
                raise ValueError(
                    f"class_weight has the class {label!r}, but the classes are the labels "
                    f"0 .. {c - 1}"
                )
            weights[int(label)] = _check_weight(weight, f"class_weight[{label!r}]")
        return weights
    if isinstance(class_weight, Sequence | np.ndarray) and not isinstance(class_weight, bytes):
        if len(class_weight) != c:
            raise ValueError(
                f"class_weight has {len(class_weight)} weights but there are {c} classes; "
                f"give one weight per class 0 .. {c - 1}"
            )
        return np.array(
            [_check_weight(w, f"class_weight[{k}]") for k, w in enumerate(class_weight)]
        )
    raise TypeError(
        f"class_weight must be 'balanced', a dict {{class: weight}} or a sequence of weights, "
        f"got {type(class_weight).__name__} {class_weight!r}"
    )


def example_weights(
    mlp: MLP, y, n: int, sample_weight, class_weight, dtype, suffix: str = ""
) -> np.ndarray | None:
    """``(n,)`` each example's weight ``sample_weight_i · class_weight[y_i]``, or ``None``
    when neither is given. ``y``: checked labels ``(n,)`` or real targets ``(n, c)``;
    ``suffix``: of the names in messages (``"_val"``: ``sample_weight_val``)."""
    name = f"sample_weight{suffix}"
    if sample_weight is None and class_weight is None:
        return None
    weights = np.ones(n)
    if sample_weight is not None:
        sample_weight = checks.check_weights(sample_weight, n, name=name, dtype=dtype)
        weights = np.asarray(sample_weight, np.float64)
    if class_weight is not None:
        if np.ndim(y) != 1:
            raise ValueError(
                f"class_weight={class_weight!r} weighs classes, but y holds real targets of "
                f"shape {np.shape(y)}; use sample_weight for regression"
            )
        weights = weights * class_weights(class_weight, np.asarray(y), n_classes(mlp))[y]
    if not np.any(weights > 0):
        raise ValueError(
            f"{name} · class_weight is 0 for every example; at least one example needs a weight > 0"
        )
    checks.check_finite(weights, f"{name} · class_weight", dtype)
    return weights.astype(dtype)


def _check_weight(weight, name: str) -> float:
    ok = isinstance(weight, numbers.Real) and not isinstance(weight, bool)
    if not ok or not np.isfinite(weight) or weight < 0:
        raise ValueError(f"{name}={weight!r} must be a finite number >= 0")
    return float(weight)
