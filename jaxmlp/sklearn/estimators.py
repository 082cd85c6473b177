"""``MLPClassifier`` and ``MLPRegressor``: scikit-learn's, trained by jaxmlp."""

from __future__ import annotations

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets, type_of_target, unique_labels
from sklearn.utils.validation import column_or_1d

from .base import ACTIVATIONS, NO_GAIN, BaseMLP
from .inputs import check_X
from .poisson import EXP, POISSON

# jaxmlp's output names -> scikit-learn's out_activation_
OUT_ACTIVATIONS = {jaxmlp: sk for sk, jaxmlp in ACTIVATIONS.items()} | {"softmax": "softmax"}
# The regressor's losses: scikit-learn's names, and jaxmlp's "mse" (the same).
REGRESSION_LOSSES = ("squared_error", "poisson", "mse")


def _stochastic(estimator) -> bool:
    if estimator.solver not in ("sgd", "adam"):
        raise AttributeError(
            f"partial_fit is only available for stochastic optimizers. {estimator.solver} "
            "is not stochastic."
        )
    return True


def _init(self, hidden_layer_sizes, activation, params):
    self.hidden_layer_sizes = hidden_layer_sizes
    self.activation = activation
    for name, value in params.items():
        setattr(self, name, value)


class MLPClassifier(ClassifierMixin, BaseMLP):
    """A multi-layer perceptron classifier with scikit-learn's interface.

    scikit-learn's parameters, plus jaxmlp's ``output`` and ``loss`` (``"softmax"`` with
    ``"cross_entropy"`` by default, the lecture's ``"sigmoid"`` with ``"mse"``; multilabel
    ``y``: sigmoid with ``"binary_cross_entropy"``), ``grad`` and ``dropout``. How it differs
    from scikit-learn's: ``BaseMLP``.

    Example:
      >>> from sklearn.datasets import load_iris
      >>> from jaxmlp.sklearn import MLPClassifier
      >>> X, y = load_iris(return_X_y=True)
      >>> MLPClassifier((16,), max_iter=300, random_state=0).fit(X, y).score(X, y) > 0.9
      True
    """

    def __init__(
        self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam", alpha=0.0001,
        batch_size="auto", learning_rate="constant", learning_rate_init=0.001, power_t=0.5,
        max_iter=200, shuffle=True, random_state=None, tol=1e-4, verbose=False,
        warm_start=False, momentum=0.9, nesterovs_momentum=True, early_stopping=False,
        validation_fraction=0.1, beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10,
        max_fun=15000, output=None, loss=None, grad="autodiff", dropout=0.0,
    ):  # fmt: skip
        params = dict(locals())
        for name in ("self", "__class__", "hidden_layer_sizes", "activation"):
            params.pop(name, None)
        _init(self, hidden_layer_sizes, activation, params)

    def _sigmoid(self) -> bool:
        # Multilabel y, or y of one class: one logistic unit, trained towards 0, as
        # scikit-learn's (its LabelBinarizer codes a lone class as 0).
        return getattr(self, "_multilabel", False) or len(getattr(self, "classes_", ())) == 1

    def _output(self):
        return self.output or ("sigmoid" if self._sigmoid() else "softmax")

    def _loss(self):
        if self.loss:
            return self.loss
        if self._sigmoid():
            return "binary_cross_entropy"
        return "cross_entropy" if self._output() == "softmax" else "mse"

    def _out_activation_name(self):
        return OUT_ACTIVATIONS[self._output()]

    def fit(self, X, y, sample_weight=None):
        """Trains from scratch (or from the last fit with ``warm_start=True``) on ``(X, y)``."""
        first_pass = not hasattr(self, "coefs_") or not self.warm_start
        X, y = check_X(self, X, reset=first_pass, y=y, multi_output=True)
        targets = self._targets(y, X.dtype, first_pass=first_pass)
        return self._train(
            X, targets, len(self.classes_), incremental=False, first_pass=first_pass,
            sample_weight=sample_weight,
        )  # fmt: skip

    @available_if(_stochastic)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """One epoch over ``(X, y)``, continuing from the last call. ``classes`` on the first."""
        first_pass = not hasattr(self, "coefs_")
        if first_pass and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit.")
        if not first_pass and classes is not None:
            if not np.array_equal(unique_labels(classes), self.classes_):
                raise ValueError(
                    f"`classes={classes!r}` is not the same as on last call to partial_fit, "
                    f"was: {self.classes_!r}"
                )
        X, y = check_X(self, X, reset=first_pass, y=y, multi_output=True)
        targets = self._targets(y, X.dtype, first_pass=first_pass, classes=classes)
        return self._train(
            X, targets, len(self.classes_), incremental=True, first_pass=first_pass,
            sample_weight=sample_weight,
        )  # fmt: skip

    def _targets(self, y, dtype, *, first_pass, classes=None):
        """Class indices ``(n,)`` or, for multilabel ``y``, its indicator ``(n, c)``."""
        multilabel = type_of_target(y) == "multilabel-indicator"
        if not multilabel:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if first_pass:
            self._multilabel = multilabel
            self._binarizer = LabelBinarizer().fit(y if classes is None else classes)
            self.classes_ = (
                np.arange(np.shape(y)[1]) if multilabel else unique_labels(self._binarizer.classes_)
            )
        elif multilabel != self._multilabel:
            raise ValueError("y must be of the same kind as in the first fit (multilabel or not)")
        elif classes is None and self.warm_start and not multilabel:
            if not np.array_equal(unique_labels(y), self.classes_):
                raise ValueError(
                    "warm_start can only be used where `y` has the same classes as in the "
                    f"previous call to fit. Previously got {self.classes_}, `y` has "
                    f"{unique_labels(y)}"
                )
        if multilabel:
            if np.shape(y)[1] != len(self.classes_):
                raise ValueError(
                    f"y has {np.shape(y)[1]} labels but the classifier {len(self.classes_)}"
                )
            return np.asarray(y, dtype)
        unknown = np.setdiff1d(unique_labels(y), self.classes_)
        if unknown.size:
            raise ValueError(f"Expected only labels in classes_ = {self.classes_}, got {unknown}")
        return np.searchsorted(self.classes_, y).astype(np.int32)

    def _stratify(self, targets):
        if self._multilabel:
            return None  # as scikit-learn: no stratified multilabel split
        # scikit-learn stratifies on the binarized labels: the same groups, the same errors.
        return LabelBinarizer().fit(np.arange(len(self.classes_))).transform(targets) > 0

    def _validation_monitor(self, validation):
        if len(self.classes_) == 1:  # a constant accuracy of 1
            return "val_loss", NO_GAIN
        if self._multilabel:
            return "val_loss", self.tol
        return "val_accuracy", self.tol

    def _validation_scores(self, history, validation):
        if self._multilabel:  # the validation loss, negated: higher is better
            return [-v for v in history.val_loss]
        if len(self.classes_) == 1:  # predict gives the one class: scikit-learn's accuracy 1
            return [1.0 if np.isfinite(v) else np.nan for v in history.val_loss]
        return history.val_accuracy

    def predict_proba(self, X):
        """Class probabilities ``(n, n_classes)``, in the order of ``classes_``."""
        Y_hat = self._outputs(X)
        if self._output() == "sigmoid" and not getattr(self, "_multilabel", False):
            Y_hat = Y_hat / np.clip(Y_hat.sum(axis=1, keepdims=True), 1e-12, None)
        return Y_hat

    def predict_log_proba(self, X):
        """``log(predict_proba(X))``."""
        return np.log(self.predict_proba(X))

    def predict(self, X):
        """The most probable class of each row of ``X`` (multilabel: each label over 0.5)."""
        Y_hat = self._outputs(X)
        if getattr(self, "_multilabel", False):
            return (Y_hat > 0.5).astype(int)
        return self.classes_[np.argmax(Y_hat, axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.classifier_tags.multi_label = True
        return tags


class MLPRegressor(RegressorMixin, BaseMLP):
    """A multi-layer perceptron regressor with scikit-learn's interface.

    ``loss="squared_error"`` (jaxmlp's ``"mse"``, ``½ Σ_k (t_k − y_hat_k)²`` averaged over
    examples, as scikit-learn's) with an identity output, or ``"poisson"`` with an exponential
    one; jaxmlp's ``output``, ``grad`` and ``dropout``. How it differs from scikit-learn's:
    ``BaseMLP``.
    """

    def __init__(
        self, loss="squared_error", hidden_layer_sizes=(100,), activation="relu", *,
        solver="adam", alpha=0.0001, batch_size="auto", learning_rate="constant",
        learning_rate_init=0.001, power_t=0.5, max_iter=200, shuffle=True, random_state=None,
        tol=1e-4, verbose=False, warm_start=False, momentum=0.9, nesterovs_momentum=True,
        early_stopping=False, validation_fraction=0.1, beta_1=0.9, beta_2=0.999,
        epsilon=1e-8, n_iter_no_change=10, max_fun=15000, output=None, grad="autodiff",
        dropout=0.0,
    ):  # fmt: skip
        params = dict(locals())
        for name in ("self", "__class__", "hidden_layer_sizes", "activation"):
            params.pop(name, None)
        _init(self, hidden_layer_sizes, activation, params)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.target_tags.multi_output = True
        return tags

    def _poisson(self) -> bool:
        if self.loss not in (*REGRESSION_LOSSES, None):
            raise ValueError(
                f"loss={self.loss!r} is not supported; choose one of {REGRESSION_LOSSES}"
            )
        return self.loss == "poisson"

    def _output(self):
        return EXP if self._poisson() else self.output or "identity"

    def _loss(self):
        return POISSON if self._poisson() else "mse"

    def _out_activation_name(self):
        return "exp" if self._poisson() else OUT_ACTIVATIONS.get(self._output(), self._output())

    def fit(self, X, y, sample_weight=None):
        """Trains from scratch (or from the last fit with ``warm_start=True``) on ``(X, y)``."""
        first_pass = not hasattr(self, "coefs_") or not self.warm_start
        return self._fit(X, y, sample_weight, incremental=False, first_pass=first_pass)

    @available_if(_stochastic)
    def partial_fit(self, X, y, sample_weight=None):
        """One epoch over ``(X, y)``, continuing from the last call."""
        first_pass = not hasattr(self, "coefs_")
        return self._fit(X, y, sample_weight, incremental=True, first_pass=first_pass)

    def _fit(self, X, y, sample_weight, *, incremental, first_pass):
        X, y = check_X(self, X, reset=first_pass, y=y, multi_output=True, y_numeric=True)
        if np.ndim(y) == 2 and np.shape(y)[1] == 1:
            y = column_or_1d(y, warn=True)
        T = np.asarray(y, X.dtype).reshape(len(y), -1)  # checked by jaxmlp.fit
        return self._train(
            X, T, T.shape[1], incremental=incremental, first_pass=first_pass,
            sample_weight=sample_weight,
        )  # fmt: skip

    def _stratify(self, targets):
        return None

    def _validation_monitor(self, validation):
        if self._poisson():
            return "val_loss", self.tol
        total_variance = _total_variance(validation)
        if total_variance == 0:  # constant targets: r2_score is 0 (1 for a perfect fit)
            return "val_loss", NO_GAIN
        # R² = 1 - 2 val_loss / Σ_k var_k: a gain of tol in R² is one of tol Σ var / 2 in loss.
        return "val_loss", self.tol * total_variance / 2

    def _validation_scores(self, history, validation):
        if self._poisson():  # the validation loss, negated: higher is better
            return [-v for v in history.val_loss]
        total_variance = _total_variance(validation)
        if total_variance == 0:  # constant targets: r2_score's 1 for a perfect fit, else 0
            return [float(v == 0) if np.isfinite(v) else np.nan for v in history.val_loss]
        return [1 - 2 * v / total_variance for v in history.val_loss]

    def predict(self, X):
        """Predictions ``(n,)`` (or ``(n, k)`` for ``k`` targets)."""
        Y_hat = self._outputs(X)
        return Y_hat[:, 0] if Y_hat.shape[1] == 1 else Y_hat


def _total_variance(validation) -> float:
    """``Σ_k var_k`` of the validation targets, weighted by ``validation[2]`` if it has it (as
    ``r2_score(sample_weight=)`` weighs them)."""
    T, weights = validation[1], validation[2] if len(validation) == 3 else None
    mean = np.average(T, axis=0, weights=weights)
    return float(np.sum(np.average((T - mean) ** 2, axis=0, weights=weights)))


for _estimator in (MLPClassifier, MLPRegressor):
    _estimator.__module__ = "jaxmlp.sklearn"  # pickles name the package, not this module
