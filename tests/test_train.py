"""Tests of the training engine: the lecture's three regimes, both gradient paths, stopping."""

import json

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from sklearn.datasets import make_moons

import jaxmlp
from jaxmlp import compiling
from jaxmlp.training import program as programs
from jaxmlp.training.step import train_step

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)
XOR_Y = np.array([0, 1, 1, 0])


@pytest.fixture(scope="module")
def moons():
    return make_moons(500, noise=0.1, random_state=0)


REGIMES = {
    "gradient-descent": dict(batch_size=None),
    "mini-batch": dict(batch_size=2),
    "sgd": dict(batch_size=1),
}


@pytest.mark.heavy
@pytest.mark.parametrize("regime", REGIMES.values(), ids=REGIMES.keys())
def test_xor_is_learned_by_each_regime(regime):
    mlp = jaxmlp.MLP((2, 4, 1), "sigmoid", "sigmoid")  # the lecture's model: sigmoid + MSE
    params = jaxmlp.init_params(jax.random.key(1), mlp)
    params, history = jaxmlp.fit(
        mlp, params, XOR_X, XOR_Y, key=jax.random.key(0), learning_rate=2.0, epochs=3000, **regime
    )
    assert jaxmlp.evaluate(mlp, params, XOR_X, XOR_Y)["accuracy"] == 1.0
    np.testing.assert_array_equal(jaxmlp.predict(mlp, params, XOR_X), XOR_Y)
    assert history.train_loss[-1] < history.train_loss[0] / 10


MOONS_REGIMES = {
    "gradient-descent": dict(batch_size=None, learning_rate=1.0, epochs=1000),
    "mini-batch-32": dict(batch_size=32, learning_rate=1.0, epochs=200),
    "sgd": dict(batch_size=1, learning_rate=0.2, epochs=30),
}


@pytest.mark.heavy
@pytest.mark.parametrize("regime", MOONS_REGIMES.values(), ids=MOONS_REGIMES.keys())
def test_two_moons_reach_97_percent_in_each_regime(moons, regime):
    X, y = moons
    mlp = jaxmlp.MLP((2, 16, 1), "tanh", "sigmoid")
    params = jaxmlp.init_params(jax.random.key(0), mlp)
    params, history = jaxmlp.fit(mlp, params, X, y, key=jax.random.key(1), **regime)
    assert jaxmlp.evaluate(mlp, params, X, y)["accuracy"] >= 0.97
    steps_per_epoch = -(-len(X) // (regime["batch_size"] or len(X)))
    assert history.steps[-1] == regime["epochs"] * steps_per_epoch


@pytest.mark.heavy
@pytest.mark.parametrize(
    "batch_size, epochs", [(None, 20), (7, 5), (1, 3)], ids=["full", "mini-7", "sgd"]
)
def test_autodiff_and_backprop_give_the_same_trajectory(moons, batch_size, epochs):
    X, y = moons
    X = X[:100].astype(np.float64)
    y = y[:100]
    mlp = jaxmlp.MLP((2, 8, 8, 2), "tanh", "softmax")
    params = jaxmlp.init_params(jax.random.key(0), mlp, dtype=jnp.float64)
    runs = {}
    for grad in ("autodiff", "backprop"):
        runs[grad] = jaxmlp.fit(
            mlp,
            params,
            X,
            y,
            key=jax.random.key(3),
            loss="cross_entropy",
            optimizer="momentum",
            learning_rate=0.05,
            l2=1e-3,
            batch_size=batch_size,
            epochs=epochs,
            grad=grad,
        )
    (p_auto, h_auto), (p_hand, h_hand) = runs["autodiff"], runs["backprop"]
    # Rounding differences of 1e-16 grow along an SGD trajectory, about 1.07× per step at
    # batch 1 here (1e-12 after 300 steps, 1e-6 after 500): up to 300 steps are compared.
    chex.assert_trees_all_close(p_auto, p_hand, rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(h_auto.train_loss, h_hand.train_loss, rtol=1e-9)


@pytest.mark.heavy
def test_same_seed_gives_bitwise_identical_results(moons):
    X, y = moons
    mlp = jaxmlp.MLP((2, 16, 2), "relu", "softmax")
    params = jaxmlp.init_params(jax.random.key(0), mlp)
    kwargs = dict(loss="cross_entropy", optimizer="adam", learning_rate=0.01, batch_size=16)
    a, history_a = jaxmlp.fit(mlp, params, X, y, key=jax.random.key(5), epochs=4, **kwargs)
    b, history_b = jaxmlp.fit(mlp, params, X, y, key=jax.random.key(5), epochs=4, **kwargs)
    c, _ = jaxmlp.fit(mlp, params, X, y, key=jax.random.key(6), epochs=4, **kwargs)
    chex.assert_trees_all_equal(a, b)
    assert history_a.train_loss == history_b.train_loss
    assert not np.array_equal(a[0]["W"], c[0]["W"]), "another key must shuffle differently"


@pytest.mark.heavy
def test_resuming_from_the_state_equals_training_straight(moons):
    X, y = moons
    mlp = jaxmlp.MLP((2, 8, 2), "tanh", "softmax")
    params = jaxmlp.init_params(jax.random.key(0), mlp)
    kwargs = dict(loss="cross_entropy", optimizer="adam", learning_rate=0.01, batch_size=32)
    straight, _ = jaxmlp.fit(mlp, params, X, y, key=jax.random.key(2), epochs=6, **kwargs)
    _, first = jaxmlp.fit(mlp, params, X, y, key=jax.random.key(2), epochs=2, **kwargs)
    resumed, second = jaxmlp.fit(mlp, first.state, X, y, key=jax.random.key(2), epochs=6, **kwargs)
    chex.assert_trees_all_equal(straight, resumed)
    assert second.epoch == [3, 4, 5, 6]


@pytest.mark.heavy
def test_blocks_of_epochs_equal_one_epoch_per_program(moons):
    X, y = moons
    mlp = jaxmlp.MLP((2, 8, 2), "tanh", "softmax")
    params = jaxmlp.init_params(jax.random.key(0), mlp)
    kwargs = dict(loss="cross_entropy", batch_size=50, epochs=7, key=jax.random.key(1))
    one, h_one = jaxmlp.fit(mlp, params, X, y, epochs_per_program=1, **kwargs)
    block, h_block = jaxmlp.fit(mlp, params, X, y, epochs_per_program=3, **kwargs)
    chex.assert_trees_all_equal(one, block)
    assert h_one.train_loss == h_block.train_loss
    assert h_block.epoch == list(range(1, 8))
    assert h_block.steps == [10 * e for e in range(1, 8)]


@pytest.mark.heavy
def test_a_second_fit_with_the_same_shapes_does_not_recompile(moons):
    X, y = moons
    mlp = jaxmlp.MLP((2, 5, 2), "sigmoid", "softmax")
    kwargs = dict(loss="cross_entropy", batch_size=64, epochs=2, key=jax.random.key(0))
    jaxmlp.fit(mlp, jaxmlp.init_params(jax.random.key(0), mlp), X, y, **kwargs)
    compiled_before = compiling.cached_programs()
    _, history = jaxmlp.fit(mlp, jaxmlp.init_params(jax.random.key(1), mlp), X, y, **kwargs)
    assert compiling.cached_programs() == compiled_before
    assert history.compile_time == 0.0


@pytest.mark.heavy
def test_a_cold_fit_compiles_its_own_programs_not_one_per_operation():
    # Each eager jax operation on a new shape compiles a program (10-20 ms each); a cold fit
    # once compiled about 25 of them before its training program.
    compiled = []

    def listen(event, duration, **kwargs):
        if event == "/jax/core/compile/backend_compile_duration":
            compiled.append(duration)

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(37, 3)).astype(np.float32), rng.integers(0, 2, 37)
    mlp = jaxmlp.MLP((3, 7, 2), "tanh", "softmax")
    init_key, fit_key = jax.random.key(0), jax.random.key(1)
    jax.clear_caches()
    jax.monitoring.register_event_duration_secs_listener(listen)
    try:
        params = jaxmlp.init_params(init_key, mlp)
        jaxmlp.fit(
            mlp,
            params,
            X,
            y,
            key=fit_key,
            optimizer="adam",
            batch_size=8,
            epochs=2,
            validation_fraction=0.25,
            early_stopping=True,
        )
    finally:
        jax.monitoring.unregister_event_duration_listener(listen)
    # init_params' draw, fit's two keys, the validation split's draw, the initial state, the
    # block of epochs, the state kept to recover from divergence; one probe of tracing.
    assert len(compiled) <= 7, f"{len(compiled)} programs compiled"


@pytest.mark.heavy
def test_the_train_step_traces_once_for_a_shape_and_config():
    mlp = jaxmlp.MLP((3, 4, 2), "tanh", "softmax")
    optimizer = optax.sgd(0.1)
    program = programs.Program(
        mlp=mlp,
        loss=jaxmlp.LOSSES["cross_entropy"],
        optimizer=optimizer,
        grad="backprop",
        n=8,
        batch_size=8,
        epochs_per_block=1,
        classification=True,
        has_validation=False,
        early_stopping=False,
        patience=1,
        min_delta=0.0,
        adaptive=False,
        track_best=False,
    )
    step = jax.jit(chex.assert_max_traces(lambda *a: train_step(program, *a), n=1))
    params = jaxmlp.init_params(jax.random.key(0), mlp)
    opt_state = optimizer.init(params)
    X = jax.random.normal(jax.random.key(1), (8, 3), jnp.float32)
    T = jaxmlp.one_hot(jnp.arange(8) % 2, 2)
    for _ in range(3):
        params, opt_state, value, _ = step(params, opt_state, X, T, 0.0)
    assert np.isfinite(value)


@pytest.mark.heavy
def test_a_partial_last_batch_is_trained_not_dropped():
    # n = 10, batch 4: batches of 4, 4 and 2 per epoch; the last 2 examples count.
    mlp = jaxmlp.MLP((1, 1), "identity", "identity")
    params = [{"W": jnp.zeros((1, 1)), "b": jnp.zeros((1,))}]
    X = np.ones((10, 1), np.float32)
    Y = np.ones((10, 1), np.float32)
    _, history = jaxmlp.fit(
        mlp, params, X, Y, key=jax.random.key(0), batch_size=4, epochs=1, learning_rate=0.1
    )
    assert history.steps == [3]


@pytest.mark.heavy
def test_early_stopping_restores_the_best_epoch(moons):
    X, y = moons
    mlp = jaxmlp.MLP((2, 64, 2), "relu", "softmax")
    params = jaxmlp.init_params(jax.random.key(0), mlp)
    # A learning rate this large makes the validation loss bounce: the best epoch is early.
    best, history = jaxmlp.fit(
        mlp,
        params,
        X[:60],
        y[:60],
        key=jax.random.key(0),
        loss="cross_entropy",
        optimizer="adam",
        learning_rate=0.05,
        epochs=300,
        validation=(X[300:], y[300:]),
        early_stopping=True,
        patience=5,
    )
    assert history.stop_reason == "early_stopping"
    assert len(history.epoch) < 300
    assert history.epoch[-1] - history.best_epoch <= 5
    best_val = min(history.val_loss)
    assert history.val_loss[history.best_epoch - 1] == best_val
    restored = jaxmlp.evaluate(mlp, best, X[300:], y[300:], loss="cross_entropy")["loss"]
    np.testing.assert_allclose(restored, best_val, rtol=1e-5)


@pytest.mark.heavy
def test_early_stopping_on_validation_accuracy_keeps_the_most_accurate_epoch(moons):
    X, y = moons
    mlp = jaxmlp.MLP((2, 64, 2), "relu", "softmax")
    params = jaxmlp.init_params(jax.random.key(0), mlp)
    best, history = jaxmlp.fit(
        mlp, params, X[:60], y[:60], key=jax.random.key(0), loss="cross_entropy",
        optimizer="adam", learning_rate=0.05, epochs=300, validation=(X[300:], y[300:]),
        early_stopping=True, patience=5, monitor="val_accuracy",
    )  # fmt: skip
    assert history.stop_reason == "early_stopping"
    best_accuracy = max(history.val_accuracy)
    # The first epoch that reached the best accuracy; patience counts from the last gain.
    assert history.best_epoch == 1 + history.val_accuracy.index(best_accuracy)
    assert history.epoch[-1] - history.best_epoch <= 5
    assert jaxmlp.evaluate(mlp, best, X[300:], y[300:])["accuracy"] == best_accuracy


@pytest.mark.parametrize(
    "monitor, kwargs, match",
    [
        ("val_loss", {}, "needs a validation set"),
        ("val_accuracy", {}, "needs a validation set"),
        ("train_accuracy", {"regression": True}, "needs class labels"),
        ("accuracy", {}, "is not known"),
    ],
)
def test_monitor_is_checked(moons, monitor, kwargs, match):
    X, y = moons
    mlp = jaxmlp.MLP((2, 4, 2), "tanh", "softmax")
    if kwargs.get("regression"):
        y = np.eye(2, dtype=np.float32)[y]
    params = jaxmlp.init_params(jax.random.key(0), mlp)
    with pytest.raises(ValueError, match=f"monitor={monitor!r} {match}"):
        jaxmlp.fit(mlp, params, X, y, key=jax.random.key(0), epochs=2, monitor=monitor)


@pytest.mark.heavy
def test_validation_fraction_is_stratified(moons):
    X, y = moons
    mlp = jaxmlp.MLP((2, 4, 2), "tanh", "softmax")
    params = jaxmlp.init_params(jax.random.key(0), mlp)
    y_skewed = (np.arange(len(y)) % 5 == 0).astype(int)  # 20% of class 1
    _, history = jaxmlp.fit(
        mlp, params, X, y_skewed, key=jax.random.key(0), epochs=3, validation_fraction=0.2,
        epochs_per_program=1, callback=lambda epoch, metrics: None,
    )  # fmt: skip
    assert all(np.isfinite(history.val_accuracy))
    # The held-out 100 examples hold exactly 20 of class 1: predicting 0 everywhere scores 0.8.
    zero = [{"W": jnp.zeros_like(p["W"]), "b": jnp.array([1.0, 0.0], jnp.float32)} if i == 1 else p
            for i, p in enumerate(params)]  # fmt: skip
    _, history = jaxmlp.fit(
        mlp, zero, X, y_skewed, key=jax.random.key(0), epochs=1, learning_rate=1e-9,
        validation_fraction=0.2,
    )  # fmt: skip
    assert history.val_accuracy[0] == pytest.approx(0.8)


@pytest.mark.heavy
def test_divergence_names_epoch_and_step_and_keeps_finite_params():
    mlp = jaxmlp.MLP((1, 1), "identity", "identity")
    params = [{"W": jnp.ones((1, 1)), "b": jnp.zeros((1,))}]
    X = np.full((8, 1), 10.0, np.float32)
    Y = np.zeros((8, 1), np.float32)
    with pytest.raises(jaxmlp.DivergenceError, match=r"epoch \d+, step \d+") as error:
        jaxmlp.fit(mlp, params, X, Y, key=jax.random.key(0), learning_rate=10.0, epochs=200)
    assert "last finite epoch loss" in str(error.value)
    assert all(bool(jnp.all(jnp.isfinite(leaf))) for leaf in jax.tree.leaves(error.value.params))
    assert np.isfinite(error.value.history.train_loss[:-1]).all()


# Features around ±100: an update can overflow while its step's loss is still finite.
WIDE_X = np.random.default_rng(0).choice([-100.0, 100.0], size=(32, 4)).astype(np.float32)
ZERO_Y = np.zeros((32, 1), np.float32)
LINEAR = jaxmlp.MLP((4, 1), "identity", "identity")


def linear_params(w):
    return [{"W": jnp.full((4, 1), w, jnp.float32), "b": jnp.zeros((1,), jnp.float32)}]


def all_finite(tree):
    return all(bool(jnp.all(jnp.isfinite(leaf))) for leaf in jax.tree.leaves(tree))


@pytest.mark.heavy
def test_an_update_that_overflows_stops_on_the_last_finite_epoch_and_names_the_step():
    params = linear_params(0.01)
    # 4 batches an epoch; update 6 (epoch 2) takes a learning rate that overflows the params.
    optimizer = optax.sgd(lambda t: jnp.where(t >= 5, 1e38, 1e-6))
    kwargs = dict(key=jax.random.key(0), optimizer=optimizer, batch_size=8)
    with pytest.raises(jaxmlp.DivergenceError) as raised:
        jaxmlp.fit(LINEAR, params, WIDE_X, ZERO_Y, epochs=3, **kwargs)
    error = raised.value
    assert "at epoch 2, step 6: the params after the update became non-finite" in str(error)
    assert (error.epoch, error.step) == (2, 6)
    assert (int(error.state.epoch), int(error.state.step)) == (1, 4)
    assert all_finite(error.params) and all_finite(error.state.opt_state)
    one_epoch, _ = jaxmlp.fit(LINEAR, params, WIDE_X, ZERO_Y, epochs=1, **kwargs)
    chex.assert_trees_all_equal(error.params, error.state.params, one_epoch)
    assert error.history.epoch == [1, 2] and np.isnan(error.history.train_loss[1])


@pytest.mark.heavy
def test_full_batch_sgd_whose_last_update_overflows_does_not_return_inf_params():
    params = linear_params(1.0)
    with pytest.raises(jaxmlp.DivergenceError, match="epoch 1, step 1: the params") as raised:
        jaxmlp.fit(
            LINEAR, params, WIDE_X, ZERO_Y, key=jax.random.key(0), learning_rate=1e36, epochs=1
        )
    chex.assert_trees_all_equal(raised.value.params, params)
    assert int(raised.value.state.epoch) == 0 and all_finite(raised.value.state.opt_state)


@pytest.mark.heavy
def test_an_overflowing_optimizer_state_stops_training_though_params_and_loss_are_finite():
    # Gradients near 1e20: Adam's second moment overflows; its update is 0 from then on.
    X = WIDE_X * 1e8
    params = linear_params(1.0)
    with pytest.raises(jaxmlp.DivergenceError, match="epoch 1, step 1: the optimizer state"):
        jaxmlp.fit(LINEAR, params, X, ZERO_Y, key=jax.random.key(0), optimizer="adam", epochs=3)


@pytest.mark.heavy
def test_a_diverging_run_keeps_finite_best_params_with_early_stopping():
    params = linear_params(0.01)
    optimizer = optax.sgd(lambda t: jnp.where(t >= 9, 1e38, 1e-6))
    with pytest.raises(jaxmlp.DivergenceError, match="epoch 3, step 10") as raised:
        jaxmlp.fit(
            LINEAR, params, WIDE_X, ZERO_Y, key=jax.random.key(0), optimizer=optimizer,
            batch_size=8, epochs=5, validation=(WIDE_X, ZERO_Y), early_stopping=True,
        )  # fmt: skip
    state = raised.value.state
    assert int(state.epoch) == 2
    assert all_finite(state.params) and all_finite(state.best_params)
    assert np.isfinite(float(state.best_loss))


@pytest.mark.heavy
def test_adaptive_schedule_divides_the_learning_rate_by_five():
    mlp = jaxmlp.MLP((1, 1), "identity", "identity")
    params = [{"W": jnp.zeros((1, 1)), "b": jnp.zeros((1,))}]
    X = np.ones((4, 1), np.float32)
    Y = np.ones((4, 1), np.float32)
    _, history = jaxmlp.fit(
        mlp, params, X, Y, key=jax.random.key(0), learning_rate=0.2, schedule="adaptive",
        epochs=200, patience=2, min_delta=1e-3,
    )  # fmt: skip
    rates = sorted(set(history.learning_rate), reverse=True)
    np.testing.assert_allclose(rates[:3], [0.2, 0.04, 0.008], rtol=1e-6)
    assert history.stop_reason == "learning_rate"


@pytest.mark.heavy
def test_invscaling_and_cosine_schedules_follow_their_formulas():
    mlp = jaxmlp.MLP((1, 1), "identity", "identity")
    params = [{"W": jnp.zeros((1, 1)), "b": jnp.zeros((1,))}]
    X, Y = np.ones((4, 1), np.float32), np.ones((4, 1), np.float32)
    _, inv = jaxmlp.fit(
        mlp, params, X, Y, key=jax.random.key(0), learning_rate=0.1, schedule="invscaling",
        epochs=4, epochs_per_program=1,
    )  # fmt: skip
    # The rate recorded after epoch e was used for update e (count e - 1): 0.1 / e^0.5.
    np.testing.assert_allclose(inv.learning_rate, [0.1 / np.sqrt(e) for e in range(1, 5)], 1e-6)
    _, cos = jaxmlp.fit(
        mlp, params, X, Y, key=jax.random.key(0), learning_rate=0.1, schedule="cosine", epochs=4
    )
    assert cos.learning_rate[0] == pytest.approx(0.1) and cos.learning_rate[-1] < 0.02


@pytest.mark.heavy
def test_lbfgs_fits_full_batch(moons):
    X, y = moons
    mlp = jaxmlp.MLP((2, 16, 2), "tanh", "softmax")
    params = jaxmlp.init_params(jax.random.key(0), mlp)
    params, _ = jaxmlp.fit(
        mlp, params, X, y, key=jax.random.key(0), loss="cross_entropy", optimizer="lbfgs",
        epochs=100,
    )  # fmt: skip
    assert jaxmlp.evaluate(mlp, params, X, y, "cross_entropy")["accuracy"] >= 0.97
    with pytest.raises(ValueError, match="lbfgs.*full-batch"):
        jaxmlp.fit(mlp, params, X, y, key=jax.random.key(0), optimizer="lbfgs", batch_size=32)


@pytest.mark.heavy
def test_any_optax_optimizer_and_a_callback_that_stops(moons):
    X, y = moons
    mlp = jaxmlp.MLP((2, 8, 2), "tanh", "softmax")
    params = jaxmlp.init_params(jax.random.key(0), mlp)
    seen = []

    def callback(epoch, metrics):
        seen.append((epoch, metrics["train_loss"]))
        return epoch == 3

    _, history = jaxmlp.fit(
        mlp, params, X, y, key=jax.random.key(0), optimizer=optax.rmsprop(1e-2), epochs=50,
        callback=callback, epochs_per_program=1,
    )  # fmt: skip
    assert [e for e, _ in seen] == [1, 2, 3]
    assert history.stop_reason == "callback" and history.epoch == [1, 2, 3]
    assert np.isnan(history.learning_rate).all()


@pytest.mark.heavy
def test_regression_targets(key):
    X = np.linspace(-1, 1, 64, dtype=np.float32)[:, None]
    Y = np.abs(X)
    mlp = jaxmlp.MLP((1, 16, 1), "tanh", "identity")
    params, history = jaxmlp.fit(
        mlp, jaxmlp.init_params(key, mlp), X, Y, key=key, optimizer="adam", learning_rate=0.02,
        epochs=500,
    )  # fmt: skip
    assert history.train_loss[-1] < 1e-3
    assert np.isnan(history.train_accuracy).all()


BAD_FIT_ARGUMENTS = {
    "epochs-zero": (dict(epochs=0), r"epochs must be a positive integer below 2\*\*31, got 0"),
    "batch-size-negative": (
        dict(batch_size=-1),
        r"batch_size must be a positive integer below 2\*\*31, got -1",
    ),
    "learning-rate-zero": (
        dict(learning_rate=0.0),
        "learning_rate must be a finite number > 0, got 0.0",
    ),
    "patience-zero": (
        dict(patience=0),
        r"patience must be a positive integer below 2\*\*31, got 0",
    ),
    "min-delta-negative": (dict(min_delta=-1), "min_delta must be a finite number >= 0, got -1"),
    "epochs-per-program": (
        dict(epochs_per_program=1.5),
        r"epochs_per_program must be a positive integer below 2\*\*31, got 1.5",
    ),
    "lbfgs-mini-batches": (
        dict(optimizer="lbfgs", batch_size=2),
        "optimizer='lbfgs' is full-batch: batch_size must be None, got 2",
    ),
    "unknown-optimizer": (dict(optimizer="adagrad"), "optimizer='adagrad'.*sgd"),
    "unknown-schedule": (dict(schedule="step"), "schedule='step'"),
    "unknown-grad": (dict(grad="numeric"), "grad='numeric'"),
    "validation-fraction": (
        dict(validation_fraction=1.5),
        r"validation_fraction must be a number in \(0, 1\), got 1.5",
    ),
    "negative-l2": (dict(l2=-1.0), "l2 must be a finite number >= 0, got -1.0"),
}


@pytest.mark.parametrize("kwargs, match", BAD_FIT_ARGUMENTS.values(), ids=BAD_FIT_ARGUMENTS.keys())
def test_bad_arguments_are_named(kwargs, match):
    mlp = jaxmlp.MLP((2, 3, 2))
    params = jaxmlp.init_params(jax.random.key(0), mlp)
    with pytest.raises(ValueError, match=match):
        jaxmlp.fit(mlp, params, XOR_X, XOR_Y, key=jax.random.key(0), **kwargs)


BAD_LABELS = {
    "label-too-large": (np.array([0, 1, 2, 0]), r"label 2.*\[0, 2\)"),
    "negative-label": (np.array([0, -1, 1, 0]), "label -1"),
    "fractional-label": (np.array([0, 0.5, 1, 0]), "non-integer label 0.5"),
    "wrong-length": (np.array([0, 1, 1]), r"shape \(3,\).*4 samples"),
    "string-labels": (np.array(["a", "b", "a", "b"]), "encode them"),
    "nan-target": (np.array([[0, 1], [1, 0], [np.nan, 0], [0, 1]]), "non-finite"),
}


@pytest.mark.parametrize("y, match", BAD_LABELS.values(), ids=BAD_LABELS.keys())
def test_bad_labels_are_caught_before_training(y, match):
    mlp = jaxmlp.MLP((2, 3, 2))
    params = jaxmlp.init_params(jax.random.key(0), mlp)
    with pytest.raises((ValueError, TypeError), match=match):
        jaxmlp.fit(mlp, params, XOR_X, y, key=jax.random.key(0), epochs=1)


@pytest.mark.heavy
def test_fit_does_not_modify_the_users_arrays(moons):
    X, y = moons
    X_copy, y_copy = X.copy(), y.copy()
    mlp = jaxmlp.MLP((2, 4, 2), "tanh", "softmax")
    params = jaxmlp.init_params(jax.random.key(0), mlp)
    params_copy = jax.tree.map(np.array, params)
    jaxmlp.fit(mlp, params, X, y, key=jax.random.key(0), epochs=2, batch_size=10)
    np.testing.assert_array_equal(X, X_copy)
    np.testing.assert_array_equal(y, y_copy)
    chex.assert_trees_all_equal(jax.tree.map(np.asarray, params), params_copy)


@pytest.mark.heavy
def test_a_callback_stop_is_a_pause_that_continues_exactly_with_early_stopping(moons):
    X, y = moons
    mlp = jaxmlp.MLP((2, 16, 2), "relu", "softmax")
    params = jaxmlp.init_params(jax.random.key(0), mlp)
    kwargs = dict(
        key=jax.random.key(1), loss="cross_entropy", optimizer="adam", learning_rate=0.05,
        batch_size=50, epochs=60, validation=(X[400:], y[400:]), early_stopping=True,
        patience=3, epochs_per_program=1,
    )  # fmt: skip
    straight, straight_history = jaxmlp.fit(mlp, params, X[:400], y[:400], **kwargs)
    assert straight_history.stop_reason == "early_stopping"
    # One epoch per fit, as a run that saves a checkpoint every epoch.
    state, epochs = params, []
    pause = lambda epoch, metrics: True  # noqa: E731
    while True:
        paused, history = jaxmlp.fit(mlp, state, X[:400], y[:400], callback=pause, **kwargs)
        state, epochs = history.state, epochs + history.epoch
        if history.stop_reason != "callback":
            break
        chex.assert_trees_all_equal(paused, state.params)  # the current params, not the best
    assert history.stop_reason == "early_stopping"
    assert epochs == straight_history.epoch
    chex.assert_trees_all_equal(paused, straight)


def test_stop_reasons_compare_and_serialise_as_strings():
    mlp = jaxmlp.MLP((2, 3, 2))
    params = jaxmlp.init_params(jax.random.key(0), mlp)
    _, history = jaxmlp.fit(mlp, params, XOR_X, XOR_Y, key=jax.random.key(0), epochs=2)
    assert (
        history.stop_reason == "epochs" and history.stop_reason is jaxmlp.training.StopReason.EPOCHS
    )
    assert json.loads(json.dumps(history.as_dict()))["stop_reason"] == "epochs"
    assert [jaxmlp.training.StopReason.of(r.code) for r in jaxmlp.training.StopReason] == list(
        jaxmlp.training.StopReason
    )


@pytest.mark.heavy
def test_shuffle_false_takes_the_rows_in_order_whatever_the_key(moons):
    X, y = moons
    mlp = jaxmlp.MLP((2, 8, 2), "relu", "softmax")
    params = jaxmlp.init_params(jax.random.key(0), mlp)
    kwargs = dict(loss="cross_entropy", optimizer="sgd", learning_rate=0.1, batch_size=50)
    a, _ = jaxmlp.fit(mlp, params, X, y, key=jax.random.key(1), epochs=2, shuffle=False, **kwargs)
    b, _ = jaxmlp.fit(mlp, params, X, y, key=jax.random.key(2), epochs=2, shuffle=False, **kwargs)
    c, _ = jaxmlp.fit(mlp, params, X, y, key=jax.random.key(1), epochs=2, **kwargs)
    chex.assert_trees_all_equal(a, b)
    assert not np.array_equal(a[0]["W"], c[0]["W"])
    with pytest.raises(ValueError, match="shuffle must be True or False, got 'no'"):
        jaxmlp.fit(mlp, params, X, y, key=jax.random.key(1), epochs=1, shuffle="no", **kwargs)


@pytest.mark.heavy
def test_on_divergence_stop_returns_the_last_finite_state_and_records_the_epoch():
    mlp = jaxmlp.MLP((1, 1), "identity", "identity")
    params = [{"W": jnp.ones((1, 1)), "b": jnp.zeros((1,))}]
    X = np.full((8, 1), 10.0, np.float32)
    Y = np.zeros((8, 1), np.float32)
    kwargs = dict(key=jax.random.key(0), learning_rate=10.0, epochs=200)
    params, history = jaxmlp.fit(mlp, params, X, Y, on_divergence="stop", **kwargs)
    assert history.stop_reason == "diverged"
    assert np.isnan(history.train_loss[-1]) and np.isfinite(history.train_loss[:-1]).all()
    assert all_finite(params) and len(history.train_loss) < 200
    with pytest.raises(ValueError, match="on_divergence='ignore' is not known"):
        jaxmlp.fit(mlp, params, X, Y, on_divergence="ignore", **kwargs)


def test_optimizer_options_reach_optax_and_are_checked():
    from jaxmlp.training import optimizers

    grads = {"w": jnp.ones(3)}
    params = {"w": jnp.zeros(3)}

    def first_update(name, options):
        optimizer = optimizers.make_optimizer(name, 0.1, options=options)
        return optimizer.update(grads, optimizer.init(params), params)[0]["w"]

    # Adam's first step is -lr g / (|g| + eps): a large eps shrinks it.
    assert float(first_update("adam", {"eps": 1.0})[0]) == pytest.approx(-0.05)
    assert float(first_update("adam", None)[0]) == pytest.approx(-0.1)
    assert float(first_update("momentum", {"momentum": 0.5})[0]) == pytest.approx(-0.1)
    named, _ = optimizers.named_optimizer("adam", 0.1, options={"b1": 0.8})
    assert named == optimizers.named_optimizer("adam", 0.2, options={"b1": 0.8})[0]
    assert named != optimizers.named_optimizer("adam", 0.1)[0]
    with pytest.raises(ValueError, match=r"optimizer_options has 'b1', which optimizer='sgd'"):
        optimizers.make_optimizer("sgd", 0.1, options={"b1": 0.9})
    with pytest.raises(ValueError, match=r"optimizer_options\['eps'\] must be a finite number"):
        optimizers.make_optimizer("adam", 0.1, options={"eps": -1})
