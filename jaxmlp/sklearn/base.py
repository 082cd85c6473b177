"""What ``MLPClassifier`` and ``MLPRegressor`` share: parameters, their checks and training."""

from __future__ import annotations

import numbers
import types
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import optax
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from .. import checks
from ..mlp import MLP
from ..predict import predict_proba as mlp_outputs
from ..training import DivergenceError, StopReason, TrainState, fit
from ..training.lbfgs import FTOL
from ..training.program import STEPS_PER_PROGRAM
from .inputs import DENSE_BYTES as DENSE_BYTES
from .inputs import check_sample_weight, check_X

# scikit-learn's activation names -> jaxmlp's
ACTIVATIONS = {"identity": "identity", "logistic": "sigmoid", "tanh": "tanh", "relu": "relu"}
SOLVERS = ("sgd", "adam", "lbfgs")
LEARNING_RATES = ("constant", "invscaling", "adaptive")
# The fewest epochs in a compiled block (_epochs_per_program): a skipped epoch costs
# microseconds, a program of its own a second or more to compile.
MIN_BLOCK = 256
# scipy's L-BFGS-B messages for a fit stopped by max_iter or by max_fun.
LBFGS_LIMITS = {
    StopReason.EPOCHS: "STOP: TOTAL NO. OF ITERATIONS REACHED LIMIT",
    StopReason.EVALUATIONS: "STOP: TOTAL NO. OF F,G EVALUATIONS EXCEEDS LIMIT",
}
# The min_delta of a validation score that cannot change (one class, constant targets): no
# epoch counts as a gain, so early stopping ends after n_iter_no_change + 2 epochs, as
# scikit-learn's. float32's largest: best - NO_GAIN stays finite (or inf) in either dtype.
NO_GAIN = float(np.finfo(np.float32).max)
# scikit-learn's message for a fit whose weights became non-finite.
NON_FINITE = (
    "Solver produced non-finite parameter weights. The input data may contain large values "
    "and need to be preprocessed."
)
# scikit-learn's parameters, in its order, with its defaults (the regressor's loss apart).
SKLEARN_PARAMS = dict(
    solver="adam", alpha=0.0001, batch_size="auto", learning_rate="constant",
    learning_rate_init=0.001, power_t=0.5, max_iter=200, shuffle=True, random_state=None,
    tol=1e-4, verbose=False, warm_start=False, momentum=0.9, nesterovs_momentum=True,
    early_stopping=False, validation_fraction=0.1, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
    n_iter_no_change=10, max_fun=15000,
)  # fmt: skip
# jaxmlp's extras, after scikit-learn's.
EXTRAS = dict(output=None, grad="autodiff", dropout=0.0)


class NonFiniteWeightsError(DivergenceError, ValueError):
    """scikit-learn's ``ValueError`` for a fit whose weights became non-finite; a
    ``jaxmlp.DivergenceError`` too, with the step that diverged. The estimator is unchanged."""


class BaseMLP(BaseEstimator):
    """What the classifier and the regressor share; the differences from scikit-learn's.

    Unlike scikit-learn's: the classifier's softmax covers all classes, also for two (one
    logistic unit in scikit-learn); ``alpha`` is the per-batch L2 term ``alpha/(2·batch)
    Σ‖W‖²`` (with ``sample_weight``: ``alpha/(2·batch·mean(w))``, scikit-learn's
    ``alpha/(2 Σ_batch w)`` where the batches' weights sum alike); ``dropout`` is a jaxmlp
    extra (``jaxmlp.fit``'s rate; 0: none); ``grad="backprop"`` trains with the lecture's
    hand-written gradients; the epochs run compiled into one program (on a GPU where JAX has
    one); ``"invscaling"`` divides the rate by ``(t + 1)^power_t`` at update ``t``
    (scikit-learn: ``t`` counts samples, per epoch); L-BFGS is optax's (a zoom line search
    for the strong Wolfe conditions, memory 10; scipy's L-BFGS-B uses More-Thuente's), with
    scipy's stopping tests decided on the device (``jaxmlp.training.lbfgs``): the gradient's
    max-norm ``≤ tol``, a relative decrease ``≤ 2.2e-9`` (scipy's ``factr``), more than
    ``max_fun`` evaluations, or ``max_iter`` iterations; unlike scipy it takes one iteration
    even from a point that already meets ``tol``; a fit that diverges raises
    ``NonFiniteWeightsError`` (scikit-learn's ``ValueError``) at the first non-finite step and
    leaves the estimator as it was; with early stopping it ends there, keeps the best weights
    and records ``nan``, as scikit-learn's; the regressor's ``validation_scores_`` are the R² of
    the validation objective (which holds the ``alpha`` term), pooled over several targets
    (``multioutput="variance_weighted"``).
    """

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
            "power_t": "non_negative",
            "momentum": "unit_interval",
            "beta_1": "fraction_or_zero",
            "beta_2": "fraction_or_zero",
            "epsilon": "positive",
            "max_iter": "count",
            "max_fun": "count",
            "early_stopping": "bool",
            "nesterovs_momentum": "bool",
            "warm_start": "bool",
            "shuffle": "bool",
        }
        if self.n_iter_no_change != np.inf:
            rules["n_iter_no_change"] = "count"
        if self.early_stopping:
            rules["validation_fraction"] = "fraction"
        if self.batch_size != "auto":
            rules["batch_size"] = "count"
        for name, rule in rules.items():
            checks.check_scalar(getattr(self, name), rule, name)
        if not isinstance(self.verbose, numbers.Integral):
            raise ValueError(f"verbose must be True, False or an integer, got {self.verbose!r}")
        return tuple(int(h) for h in hidden)

    def _optimizer(self):
        """``(name, options)`` of the optax optimizer for ``solver``."""
        if self.solver == "adam":
            return "adam", {"b1": self.beta_1, "b2": self.beta_2, "eps": self.epsilon}
        if self.solver == "sgd" and self.momentum > 0:
            name = "nesterov" if self.nesterovs_momentum else "momentum"
            return name, {"momentum": self.momentum}
        if self.solver == "lbfgs":  # scipy's tests, as scikit-learn sets them
            return "lbfgs", {"gtol": self.tol, "ftol": FTOL, "max_evaluations": self.max_fun}
        return self.solver, {}

    def _patience(self) -> int:
        # scikit-learn stops when more than n_iter_no_change epochs did not improve.
        if self.n_iter_no_change == np.inf:
            return 2**31 - 1
        return min(int(self.n_iter_no_change) + 1, 2**31 - 1)

    def _train(self, X, targets, n_outputs, *, incremental, first_pass, sample_weight=None):
        """Trains on ``(X, targets)``; ``targets``: labels, or ``(n, k)`` values."""
        hidden = self._check_parameters()
        if incremental and self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True")
        lbfgs = self.solver == "lbfgs"
        # One stream, drawn from in scikit-learn's order: the initial weights, the
        # early-stopping split, then (jaxmlp's) the key of the shuffles.
        random_state = check_random_state(self.random_state)
        start = None if first_pass else getattr(self, "_state", None)
        dtype = X.dtype if start is None else np.dtype(jax.tree.leaves(start.params)[0].dtype)
        X = X.astype(dtype, copy=False)
        mlp = MLP((X.shape[1], *hidden, n_outputs), ACTIVATIONS[self.activation], self._output())
        initial = _initial_params(random_state, mlp, dtype) if start is None else None
        if sample_weight is not None:  # scikit-learn's checks and errors, in X's dtype
            sample_weight = check_sample_weight(sample_weight, X, dtype)
        validation = None
        validating = self.early_stopping and not lbfgs
        if validating:
            X, targets, sample_weight, validation = self._holdout(
                X, targets, sample_weight, random_state
            )
        key_fit = jax.random.key(random_state.randint(2**31 - 1))
        n = X.shape[0]
        batch = min(200, n) if self.batch_size == "auto" else int(self.batch_size)
        if batch > n and not lbfgs:
            warnings.warn(
                "Got `batch_size` less than 1 or larger than sample size. It is going to be clipped"
            )
        batch = None if lbfgs else min(batch, n)
        epochs = 1 if incremental else self.max_iter
        monitor, min_delta = "auto", self.tol
        if validating:
            monitor, min_delta = self._validation_monitor(validation)
        name, options = self._optimizer()
        verbose = _Printer(self, validation) if self.verbose else None
        with jax.enable_x64(dtype == np.float64):
            if start is None:
                start = jax.tree.map(jnp.asarray, initial)
                first_epoch = 0
            else:
                first_epoch = int(start.epoch)
            try:
                params, history = fit(
                    mlp, start, X, targets, key=key_fit, loss=self._loss(),
                    optimizer=name, optimizer_options=options or None,
                    learning_rate=self.learning_rate_init, schedule=self.learning_rate,
                    batch_size=batch, epochs=first_epoch + epochs,
                    l2=self._l2(batch or n, sample_weight), grad=self.grad,
                    validation=validation, sample_weight=sample_weight, dropout=self.dropout,
                    # L-BFGS stops by its own tests (lbfgs.stopping_lbfgs), not patience:
                    # fixed values for the unused two, one program for any tol.
                    early_stopping=not incremental and not lbfgs,
                    patience=1 if lbfgs else self._patience(),
                    min_delta=0.0 if lbfgs else min_delta, restore_best=validating,
                    monitor=monitor, shuffle=self.shuffle, callback=verbose,
                    epochs_per_program=_epochs_per_program(epochs, n, batch),
                    on_divergence="stop" if validating else "raise",
                )  # fmt: skip
            except DivergenceError as error:
                raise NonFiniteWeightsError(
                    f"{NON_FINITE} ({error})", error.params, error.state, error.history,
                    epoch=error.epoch, step=error.step, what=error.what,
                ) from error  # fmt: skip
        self._record(mlp, params, history, validation, first_pass, n_outputs)
        stop_reason = history.stop_reason
        if lbfgs and self.n_iter_ == self.max_iter:  # scipy's limit comes before its tests
            stop_reason = StopReason.EPOCHS
        if not incremental and stop_reason in LBFGS_LIMITS:
            warnings.warn(self._convergence_message(stop_reason), ConvergenceWarning)
        return self

    def _l2(self, batch, sample_weight):
        """jaxmlp's ``l2`` for scikit-learn's ``alpha``: its batch loss adds
        ``alpha/2 ‖W‖² / Σ_batch w`` (``Σ w``: the batch's size without weights); jaxmlp's
        takes one ``l2`` for every batch, ``alpha / (batch · mean(w))``, the same where the
        batches' weights sum alike (always for L-BFGS's one full batch)."""
        mean_weight = 1.0 if sample_weight is None else float(np.mean(sample_weight))
        if mean_weight == 0:  # refused by jaxmlp.fit, with the argument named
            mean_weight = 1.0
        return float(self.alpha) / (batch * mean_weight)

    def _holdout(self, X, targets, sample_weight, random_state):
        """``(X_train, targets_train, w_train, (X_val, targets_val[, w_val]))``: scikit-learn's
        split, each row's weight going with it."""
        stratify = self._stratify(targets)
        train, val = train_test_split(
            np.arange(X.shape[0]),
            random_state=random_state,
            test_size=self.validation_fraction,
            stratify=stratify,
        )
        if val.shape[0] < 2:
            raise ValueError(
                "The validation set is too small. Increase 'validation_fraction' or the size "
                "of your dataset."
            )
        if sample_weight is None:
            return X[train], targets[train], None, (X[val], targets[val])
        validation = (X[val], targets[val], sample_weight[val])
        return X[train], targets[train], sample_weight[train], validation

    def _record(self, mlp, params, history, validation, first_pass, n_outputs):
        """The fitted attributes, as scikit-learn names them."""
        self._mlp = mlp
        self._state = history.state
        self.params_ = jax.tree.map(np.asarray, params)
        self.coefs_ = [layer["W"] for layer in self.params_]
        self.intercepts_ = [layer["b"] for layer in self.params_]
        losses = [float(v) for v in history.train_loss]
        keep = not first_pass and hasattr(self, "loss_curve_")
        self.loss_curve_ = (self.loss_curve_ if keep else []) + losses
        self.n_iter_ = len(losses)
        self.loss_ = losses[-1] if losses else np.nan
        if self.solver == "lbfgs" and losses:  # scipy's fun: the loss at the last point
            self.loss_ = float(optax.tree_utils.tree_get(history.state.opt_state, "value"))
        if validation is None:
            self.best_loss_ = float(np.nanmin(self.loss_curve_, initial=np.inf))
            self.validation_scores_ = self.best_validation_score_ = None
        else:
            scores = [float(s) for s in self._validation_scores(history, validation)]
            keep = keep and getattr(self, "validation_scores_", None) is not None
            self.validation_scores_ = (self.validation_scores_ if keep else []) + scores
            self.best_validation_score_ = float(np.nanmax(self.validation_scores_))
            self.best_loss_ = None
        self.t_ = int(history.state.step) * (0 if self.solver == "lbfgs" else 1)
        self.n_layers_ = mlp.n_layers + 1
        self.n_outputs_ = n_outputs
        self.out_activation_ = self._out_activation_name()

    def _convergence_message(self, stop_reason):
        if self.solver == "lbfgs":  # scikit-learn's message for scipy's status 1
            message = (
                f"lbfgs failed to converge after {self.n_iter_} iteration(s) (status=1):\n"
                f"{LBFGS_LIMITS[stop_reason]}\n"
            )
            if self.n_iter_ == self.max_iter:
                message += (
                    "\nIncrease the number of iterations to improve the convergence "
                    f"(max_iter={self.max_iter})."
                )
            return message + "\nYou might also want to scale the data."
        return (
            f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached and the "
            "optimization hasn't converged yet."
        )

    def _outputs(self, X):
        """The network's outputs for ``X``, in the dtype of its weights."""
        check_is_fitted(self, "params_")
        X = check_X(self, X, reset=False)
        dtype = self.params_[0]["W"].dtype
        # In float64 a row's output does not depend on its position in the batch.
        with jax.enable_x64(True):
            params = jax.tree.map(lambda a: jnp.asarray(a, jnp.float64), self.params_)
            X = np.asarray(X, np.float64)
            return np.asarray(mlp_outputs(self._mlp, params, X)).astype(dtype)

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
        # An estimator pickled before a parameter existed takes its default.
        for name, default in {**SKLEARN_PARAMS, **EXTRAS}.items():
            state.setdefault(name, default)
        self.__dict__.update(state)


def _epochs_per_program(epochs: int, n: int, batch: int | None) -> int:
    """The epochs of a compiled block: the power of two from ``epochs`` up, at least
    ``MIN_BLOCK``, within ``STEPS_PER_PROGRAM`` updates; 1 for ``partial_fit``'s one epoch.
    Fits with other ``max_iter`` share a program (the epochs past the last are skipped in it,
    changing nothing), where ``"auto"`` compiles one for each."""
    if epochs == 1:
        return 1
    steps_per_epoch = 1 if batch is None else -(-n // batch)
    block = max(MIN_BLOCK, 1 << (epochs - 1).bit_length())
    return max(1, min(block, STEPS_PER_PROGRAM // steps_per_epoch))


def _initial_params(random_state, mlp, dtype):
    """scikit-learn's initial weights (``_init_coef``), drawn as its are: from its
    ``random_state``, layer by layer ``W`` then ``b``, uniform in ``±sqrt(k / (n_in + n_out))``
    (``k`` = 2 for logistic hidden units, else 6), in float64, then rounded to ``dtype``. A
    regressor (and a multiclass classifier) starts where scikit-learn's does."""
    factor = 2.0 if mlp.hidden_activation.name == "sigmoid" else 6.0
    params = []
    for n_in, n_out in zip(mlp.sizes[:-1], mlp.sizes[1:]):
        bound = np.sqrt(factor / (n_in + n_out))
        W = random_state.uniform(-bound, bound, (n_in, n_out))
        b = random_state.uniform(-bound, bound, n_out)
        params.append({"W": W.astype(dtype), "b": b.astype(dtype)})
    return params


class _Printer:
    """``verbose``: scikit-learn's lines per iteration (the loss, and with early stopping the
    validation score), from each epoch's metrics."""

    def __init__(self, estimator, validation):
        self.estimator, self.validation, self.iteration = estimator, validation, 0

    def __call__(self, epoch, metrics):
        self.iteration += 1
        print(f"Iteration {self.iteration}, loss = {metrics['train_loss']:.8f}")
        if self.validation is not None:
            epoch_metrics = types.SimpleNamespace(
                val_loss=[metrics["val_loss"]], val_accuracy=[metrics["val_accuracy"]]
            )
            score = self.estimator._validation_scores(epoch_metrics, self.validation)[0]
            print(f"Validation score: {score:f}")
        return None
