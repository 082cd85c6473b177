"""fit_many's ``shuffle`` and ``optimizer_options``: every member trains as ``fit`` does with them."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxmlp
from jaxmlp.training.sweep import member_keys, member_mlp, unstack

# Seconds a test (a sweep's program and a fit's each): make test runs them, make test-quick not.
pytestmark = pytest.mark.heavy

TOLERANCE = dict(rtol=1e-9, atol=1e-12)  # float64: vmapped and single runs round alike
X = np.linspace(-2, 2, 24)[:, None]
Y = np.sin(2 * X)
MLP = jaxmlp.MLP((1, 6, 1), "tanh", "identity")
SEEDS = [0, 1]


def fit_alone(key, seed, mlp=MLP, init_params=None, **kwargs):
    """The member ``seed`` of a ``fit_many(key=key)`` sweep, trained by ``jaxmlp.fit``."""
    init_key, fit_key = member_keys(key, seed)
    if init_params is None:
        init_params = jaxmlp.init_params(init_key, mlp, dtype=jnp.float64)
    return jaxmlp.fit(mlp, init_params, X, Y, key=fit_key, **kwargs)


def assert_members_train_as_fit(result, key, **kwargs):
    for i, seed in enumerate(SEEDS):
        params, history = fit_alone(key, seed, **kwargs)
        chex.assert_trees_all_close(unstack(result, i), params, **TOLERANCE)
        trained = result.history.epochs_trained[i]
        assert trained == len(history.train_loss)
        assert result.history.stop_reason[i] == history.stop_reason
        np.testing.assert_allclose(
            result.history.train_loss[i, :trained], history.train_loss, **TOLERANCE
        )


SWEEPS = {
    "adam-betas": dict(optimizer="adam", optimizer_options={"b1": 0.5, "b2": 0.9}),
    "momentum": dict(optimizer="momentum", optimizer_options={"momentum": 0.5}),
    "invscaling-power-t": dict(schedule="invscaling", optimizer_options={"power_t": 0.25}),
    "unshuffled": dict(optimizer="sgd", shuffle=False),
}


@pytest.mark.parametrize("kwargs", SWEEPS.values(), ids=SWEEPS.keys())
def test_each_member_trains_as_fit_with_the_same_options(key, kwargs):
    kwargs = dict(batch_size=5, epochs=3, **kwargs)
    result = jaxmlp.fit_many(
        MLP, X, Y, key=key, seeds=SEEDS, learning_rates=0.05, dtype=jnp.float64, **kwargs
    )
    assert_members_train_as_fit(result, key, learning_rate=0.05, **kwargs)


def test_unshuffled_members_differ_from_shuffled_ones(key):
    kwargs = dict(key=key, seeds=SEEDS, batch_size=5, epochs=2, dtype=jnp.float64)
    shuffled = jaxmlp.fit_many(MLP, X, Y, **kwargs)
    unshuffled = jaxmlp.fit_many(MLP, X, Y, shuffle=False, **kwargs)
    # the same initial params, batches taken in another order: every member's losses differ
    chex.assert_trees_all_equal(unshuffled.initial_params, shuffled.initial_params)
    difference = np.abs(unshuffled.history.train_loss - shuffled.history.train_loss)
    assert np.all(difference[:, -1] > 1e-6), difference


BAD = {
    "adam-b1": dict(optimizer="adam", optimizer_options={"b1": 2.0}),
    "unknown-option": dict(optimizer="adam", optimizer_options={"nope": 1}),
    "options-not-a-dict": dict(optimizer="adam", optimizer_options=[("b1", 0.5)]),
    "lbfgs-gtol": dict(optimizer="lbfgs", optimizer_options={"gtol": -1.0}),
    "options-of-an-optax-optimizer": dict(
        optimizer=jaxmlp.training.optimizers.make_optimizer("sgd", 0.1),
        optimizer_options={"momentum": 0.5},
    ),
    "shuffle-not-bool": dict(shuffle="yes"),
}


@pytest.mark.parametrize("kwargs", BAD.values(), ids=BAD.keys())
def test_bad_options_raise_fits_error(key, kwargs):
    params = jaxmlp.init_params(key, MLP)
    with pytest.raises((TypeError, ValueError)) as expected:
        jaxmlp.fit(MLP, params, X, Y, key=key, epochs=1, **kwargs)
    with pytest.raises(expected.type) as error:
        jaxmlp.fit_many(MLP, X, Y, key=key, epochs=1, **kwargs)
    assert str(error.value) == str(expected.value)


LBFGS = dict(optimizer="lbfgs", epochs=12, early_stopping=False)


def lbfgs_sweep(key, options, **kwargs):
    return jaxmlp.fit_many(
        MLP, X, Y, key=key, seeds=SEEDS, learning_rates=None, dtype=jnp.float64,
        optimizer_options=options, **LBFGS, **kwargs,
    )  # fmt: skip


def test_lbfgs_thresholds_stop_each_member_as_fit_does(key):
    converged = lbfgs_sweep(key, {"gtol": 1e9, "max_evaluations": 10**6})
    assert converged.history.stop_reason == ("converged",) * 2
    np.testing.assert_array_equal(converged.history.epochs_trained, [1, 1])
    np.testing.assert_array_equal(converged.state.opt_state.gtol, [1e9, 1e9])
    # The same program serves every threshold: the second sweep compiles nothing, and
    # each member stops on its own count of evaluations (scipy's maxfun).
    compiled = []

    def listen(event, duration, **kwargs):
        if event == "/jax/core/compile/backend_compile_duration":
            compiled.append(event)

    options = {"gtol": 0.0, "max_evaluations": 6}
    jax.monitoring.register_event_duration_secs_listener(listen)
    try:
        limited = lbfgs_sweep(key, options)
    finally:
        jax.monitoring.unregister_event_duration_listener(listen)
    assert not compiled, f"{len(compiled)} programs compiled"
    assert limited.history.stop_reason == ("evaluations",) * 2
    assert np.all(limited.state.opt_state.evaluations > 6)
    assert np.all(limited.history.epochs_trained < LBFGS["epochs"])
    assert_members_train_as_fit(limited, key, optimizer_options=options, **LBFGS)
    # and thresholds that never pass train every epoch
    running = lbfgs_sweep(key, {"gtol": 0.0, "max_evaluations": 10**6})
    assert running.history.stop_reason == ("epochs",) * 2


# A hidden unit that outputs 3 at p = 0: a masked unit's outgoing weights get 3 times the
# output bias's gradient, more than any of the narrow network's own.
SHIFTED_TANH = jaxmlp.Activation(
    "shifted_tanh", lambda p: jnp.tanh(p) + 3.0, lambda p, q: 1 - (q - 3.0) ** 2
)


def test_narrower_lbfgs_members_stop_as_the_narrow_network_fit_alone(key):
    mlp = jaxmlp.MLP((1, 6, 1), SHIFTED_TANH, "identity")
    options = {"gtol": 0.1}
    result = jaxmlp.fit_many(
        mlp, X, Y, key=key, seeds=SEEDS, widths=[3, 6], learning_rates=None,
        dtype=jnp.float64, optimizer_options=options, **LBFGS,
    )  # fmt: skip
    assert result.history.stop_reason == ("converged",) * 2
    assert np.all(result.history.epochs_trained < LBFGS["epochs"])
    for i, seed in enumerate(SEEDS):
        initial = unstack(result, i, initial=True)
        params, history = fit_alone(
            key, seed, member_mlp(result, i), initial, optimizer_options=options, **LBFGS
        )
        assert history.stop_reason == "converged"
        assert result.history.epochs_trained[i] == len(history.train_loss)
        chex.assert_trees_all_close(unstack(result, i), params, **TOLERANCE)
