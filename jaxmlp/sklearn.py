"""scikit-learn estimators backed by jaxmlp: ``MLPClassifier`` and ``MLPRegressor``.

scikit-learn's parameter names and defaults, trained with ``jaxmlp.fit`` (so they work in
``Pipeline`` and ``GridSearchCV``), plus jaxmlp's ``output``, ``loss`` (the lecture's MSE on
sigmoid outputs included) and ``grad`` (``"backprop"``: the hand-written gradients). Unlike
scikit-learn: the classifier's softmax covers all classes, also for two; ``alpha`` is the
per-batch L2 term ``alpha/(2·batch) Σ‖W‖²``, passed as ``l2 = alpha / batch_size``; training runs
whole epochs (at most ``max_iter``) compiled into one program; a fit that diverges raises
``jaxmlp.DivergenceError`` (not ``ValueError``) and leaves the estimator as it was.
"""

from __future__ import annotations

import numbers

import jax
import jax.numpy as jnp
import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, is_classifier
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from . import checks
from .mlp import MLP
from .params import init_params
from .predict import predict_proba as mlp_outputs
from .training import TrainState, fit

# scikit-learn's activation names -> jaxmlp's
ACTIVATIONS = {"identity": "identity", "logistic": "sigmoid", "tanh": "tanh", "relu": "relu"}
SOLVERS = ("sgd", "adam", "lbfgs")
LEARNING_RATES = ("constant", "invscaling", "adaptive")
# float64 X is kept, so that fit names a value beyond float32's range (numpy would make it inf).
FLOATS = (np.float32, np.float64)


class _BaseMLP(BaseEstimator):
    """What the classifier and the regressor share: parameters, checks and training."""

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        max_iter=200,
        tol=1e-4,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        momentum=0.9,
        nesterovs_momentum=True,
        random_state=None,
        warm_start=False,
        output=None,
        loss=None,
        grad="autodiff",
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.tol = tol
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.random_state = random_state
        self.warm_start = warm_start
        self.output = output
        self.loss = loss
        self.grad = grad

    def _check_parameters(self):
        hidden = self.hidden_layer_sizes
        hidden = (hidden,) if isinstance(hidden, numbers.Integral) else tuple(hidden)
        if any(
            isinstance(h, bool) or not isinstance(h, numbers.Integral) or h <= 0 for h in hidden
        ):
            raise ValueError(
                f"hidden_layer_sizes={self.hidden_layer_sizes!r} must be positive integers"
            )
        for name, choices in (
            ("activation", sorted(ACTIVATIONS)),
            ("solver", SOLVERS),
            ("learning_rate", LEARNING_RATES),
        ):
            if getattr(self, name) not in choices:
                raise ValueError(
                    f"{name}={getattr(self, name)!r} is not supported; choose one of {choices}"
                )
        # Checked here, so that the message names the parameter set, not fit's (alpha, not l2).
        rules = {
            "learning_rate_init": "positive",
            "alpha": "non_negative",
            "tol": "non_negative",
            "momentum": "unit_interval",
            "max_iter": "count",
            "n_iter_no_change": "count",
            "early_stopping": "bool",
            "nesterovs_momentum": "bool",
            "warm_start": "bool",
        }
        if self.early_stopping:
            rules["validation_fraction"] = "fraction"
        if self.batch_size != "auto":
            rules["batch_size"] = "count"
        for name, rule in rules.items():
            checks.check_scalar(getattr(self, name), rule, name)
        return tuple(int(h) for h in hidden)

    def _optimizer(self) -> str:
        if self.solver == "sgd":
            if self.momentum == 0:
                return "sgd"
            return "nesterov" if self.nesterovs_momentum else "momentum"
        return self.solver

    def _train(self, X, T_or_y, n_outputs, *, epochs, continue_training):
        hidden = self._check_parameters()
        n, d = X.shape
        mlp = MLP((d, *hidden, n_outputs), ACTIVATIONS[self.activation], self._output_name())
        batch = 200 if self.batch_size == "auto" else int(self.batch_size)
        batch = None if self.solver == "lbfgs" else min(batch, n)
        seed = check_random_state(self.random_state).randint(2**31 - 1)
        key_init, key_fit = jax.random.split(jax.random.key(seed))
        if continue_training and getattr(self, "_state", None) is not None:
            start = self._state
            epochs = int(start.epoch) + epochs
        else:
            start = init_params(key_init, mlp, init="sklearn")
        validation = self.early_stopping and self.solver != "lbfgs"
        params, history = fit(
            mlp,
            start,
            X,
            T_or_y,
            key=key_fit,
            loss=self._loss_name(),
            optimizer=self._optimizer(),
            learning_rate=self.learning_rate_init,
            schedule=self.learning_rate,
            batch_size=batch,
            epochs=epochs,
            l2=float(self.alpha) / (batch or n),
            grad=self.grad,
            validation_fraction=self.validation_fraction if validation else None,
            early_stopping=True,
            patience=self.n_iter_no_change,
            min_delta=self.tol,
            restore_best=validation,
            # As scikit-learn: a classifier's early stopping watches the validation accuracy.
            monitor="val_accuracy" if validation and is_classifier(self) else "auto",
        )
        self._mlp = mlp
        self._state = history.state
        self.params_ = jax.tree.map(np.asarray, params)
        self.coefs_ = [layer["W"] for layer in self.params_]
        self.intercepts_ = [layer["b"] for layer in self.params_]
        self.loss_curve_ = list(getattr(self, "loss_curve_", []) if continue_training else [])
        self.loss_curve_ += history.train_loss
        if validation:
            self.validation_scores_ = history.val_accuracy
        self.n_iter_ = len(self.loss_curve_)
        self.t_ = int(history.state.step)
        self.n_layers_ = mlp.n_layers + 1
        self.n_outputs_ = n_outputs
        return self

    def _outputs(self, X):
        check_is_fitted(self, "params_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        # In float64 a row's output does not depend on its position in the batch.
        with jax.enable_x64(True):
            params = jax.tree.map(lambda a: jnp.asarray(a, jnp.float64), self.params_)
            return np.asarray(mlp_outputs(self._mlp, params, X))

    def __getstate__(self):
        # The training state holds a typed PRNG key: store its raw data to pickle it.
        state = dict(self.__dict__)
        if state.get("_state") is not None:
            train_state = jax.device_get(state["_state"])
            state["_state"] = train_state._replace(
                key=np.asarray(jax.random.key_data(train_state.key))
            )
        return state

    def __setstate__(self, state):
        if state.get("_state") is not None:
            key = jax.random.wrap_key_data(jnp.asarray(state["_state"].key))
            state["_state"] = TrainState(*state["_state"])._replace(key=key)
        self.__dict__.update(state)


class MLPClassifier(ClassifierMixin, _BaseMLP):
    """A multi-layer perceptron classifier with scikit-learn's interface.

    ``output="softmax"`` and ``loss="cross_entropy"`` by default, or the lecture's
    ``output="sigmoid"`` with ``loss="mse"``.

    Example:
      >>> from sklearn.datasets import load_iris
      >>> from jaxmlp.sklearn import MLPClassifier
      >>> X, y = load_iris(return_X_y=True)
      >>> MLPClassifier((16,), max_iter=300, random_state=0).fit(X, y).score(X, y) > 0.9
      True
    """

    def _output_name(self):
        return self.output or "softmax"

    def _loss_name(self):
        return self.loss or ("cross_entropy" if self._output_name() == "softmax" else "mse")

    def fit(self, X, y):
        """Trains from scratch (or from the last fit with ``warm_start=True``) on ``(X, y)``."""
        X, y = validate_data(self, X, y, dtype=FLOATS)
        check_classification_targets(y)
        warm = self.warm_start and hasattr(self, "classes_")
        if not warm:
            self._encoder = LabelEncoder().fit(y)
            self.classes_ = self._encoder.classes_
        if len(self.classes_) < 2:
            raise ValueError(
                f"y holds only one class ({self.classes_[0].item()!r}); a classifier needs "
                "at least 2 classes"
            )
        labels = self._encode(y)
        return self._train(
            X, labels, len(self.classes_), epochs=self.max_iter, continue_training=warm
        )

    def partial_fit(self, X, y, classes=None):
        """One epoch over ``(X, y)``, continuing from the last call. ``classes`` on the first."""
        first = not hasattr(self, "classes_")
        X, y = validate_data(self, X, y, dtype=FLOATS, reset=first)
        check_classification_targets(y)
        if first:
            if classes is None:
                raise ValueError("classes must be given on the first call to partial_fit")
            self._encoder = LabelEncoder().fit(np.asarray(classes))
            self.classes_ = self._encoder.classes_
            if len(self.classes_) < 2:
                raise ValueError("classes must hold at least 2 classes")
        labels = self._encode(y)
        return self._train(X, labels, len(self.classes_), epochs=1, continue_training=not first)

    def _encode(self, y):
        unknown = np.setdiff1d(np.unique(y), self.classes_)
        if unknown.size:
            raise ValueError(f"y holds labels {unknown.tolist()} not in classes_ {self.classes_}")
        return self._encoder.transform(y).astype(np.int32)

    def predict_proba(self, X):
        """Class probabilities ``(n, n_classes)``, in the order of ``classes_``."""
        Y_hat = self._outputs(X)
        if self._output_name() != "softmax":  # sigmoid outputs: normalise to probabilities
            Y_hat = Y_hat / np.clip(Y_hat.sum(axis=1, keepdims=True), 1e-12, None)
        return Y_hat

    def predict(self, X):
        """The most probable class of each row of ``X``."""
        Y_hat = self._outputs(X)
        return self.classes_[np.argmax(Y_hat, axis=1)]


class MLPRegressor(RegressorMixin, _BaseMLP):
    """A multi-layer perceptron regressor with scikit-learn's interface (identity output, MSE).

    jaxmlp's MSE is ``½ Σ_k (t_k − y_hat_k)²`` averaged over examples, as scikit-learn's is.
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def _output_name(self):
        return self.output or "identity"

    def _loss_name(self):
        return self.loss or "mse"

    def fit(self, X, y):
        """Trains from scratch (or from the last fit with ``warm_start=True``) on ``(X, y)``."""
        X, y = validate_data(self, X, y, dtype=FLOATS, multi_output=True, y_numeric=True)
        warm = self.warm_start and hasattr(self, "params_")
        return self._train(X, *self._targets(y), epochs=self.max_iter, continue_training=warm)

    def partial_fit(self, X, y):
        """One epoch over ``(X, y)``, continuing from the last call."""
        first = not hasattr(self, "params_")
        X, y = validate_data(
            self, X, y, dtype=FLOATS, multi_output=True, y_numeric=True, reset=first
        )
        return self._train(X, *self._targets(y), epochs=1, continue_training=not first)

    def _targets(self, y):
        self._y_1d = np.ndim(y) == 1
        Y = np.asarray(y).reshape(len(y), -1)  # converted, and checked, by jaxmlp.fit
        return Y, Y.shape[1]

    def predict(self, X):
        """Predictions ``(n,)`` (or ``(n, k)`` for ``k`` targets)."""
        Y_hat = self._outputs(X)
        return Y_hat[:, 0] if self._y_1d else Y_hat
