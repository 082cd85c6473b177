"""Tests of fit_many: every member is the model ``fit`` trains alone, widths are masked exactly."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from sklearn.datasets import make_moons

import jaxmlp
from jaxmlp.training import epoch, sweep
from jaxmlp.training.sweep import best_member, member_keys, member_mlp, predict_many, unstack

TOLERANCE = dict(rtol=1e-9, atol=1e-12)  # float64: vmapped and single runs round alike


@pytest.fixture(scope="module")
def moons():
    X, y = make_moons(60, noise=0.2, random_state=0)
    return X.astype(np.float64), y


@pytest.fixture(scope="module")
def wave():
    X = np.linspace(-2, 2, 40)[:, None]
    return X, np.sin(2 * X)


def fit_alone(mlp, key, seed, X, y, *, init_params=None, **kwargs):
    """The member ``seed`` of a ``fit_many(key=key)`` sweep, trained by ``jaxmlp.fit``."""
    init_key, fit_key = member_keys(key, seed)
    if init_params is None:
        init_params = jaxmlp.init_params(init_key, mlp, dtype=jnp.float64)
    return jaxmlp.fit(mlp, init_params, X, y, key=fit_key, **kwargs)


SWEEPS = {
    "gradient-descent-sgd": dict(optimizer="sgd", batch_size=None, epochs=30),
    "mini-batch-adam": dict(optimizer="adam", batch_size=16, epochs=5),
    "sgd-momentum-backprop": dict(optimizer="momentum", batch_size=7, epochs=3, grad="backprop"),
}


@pytest.mark.heavy
@pytest.mark.parametrize("kwargs", SWEEPS.values(), ids=SWEEPS.keys())
def test_each_member_equals_the_model_fit_trains_alone(moons, key, kwargs):
    X, y = moons
    mlp = jaxmlp.MLP((2, 8, 1), "tanh", "sigmoid")
    seeds, learning_rates, l2s = [0, 1], [0.3, 0.05], [0.0, 1e-2]
    lr_scale = 0.1 if kwargs["optimizer"] == "adam" else 1.0
    learning_rates = [lr * lr_scale for lr in learning_rates]
    result = jaxmlp.fit_many(
        mlp,
        X,
        y,
        key=key,
        seeds=seeds,
        learning_rates=learning_rates,
        l2s=l2s,
        dtype=jnp.float64,
        **kwargs,
    )
    assert result.n_members == 2 and result.history.train_loss.shape == (2, kwargs["epochs"])
    for i, (seed, lr, l2) in enumerate(zip(seeds, learning_rates, l2s)):
        params, history = fit_alone(mlp, key, seed, X, y, learning_rate=lr, l2=l2, **kwargs)
        chex.assert_trees_all_close(unstack(result, i), params, **TOLERANCE)
        np.testing.assert_allclose(result.history.train_loss[i], history.train_loss, **TOLERANCE)
        np.testing.assert_allclose(result.history.train_accuracy[i], history.train_accuracy)
        np.testing.assert_allclose(result.history.learning_rate[i], history.learning_rate)
    assert result.history.stop_reason == ("epochs",) * 2
    np.testing.assert_array_equal(result.history.epochs_trained, [kwargs["epochs"]] * 2)


@pytest.mark.heavy
def test_a_member_of_width_w_equals_the_width_w_network_trained_alone(wave, key):
    X, y = wave
    # sigmoid(0) = 1/2: a zero unit still outputs 1/2, so only the mask keeps it out.
    mlp = jaxmlp.MLP((1, 12, 6, 1), "sigmoid", "identity")
    widths = [(3, 2), (12, 6), (3, 2)]
    kwargs = dict(optimizer="adam", learning_rate=0.05, l2=1e-3, batch_size=10, epochs=8)
    result = jaxmlp.fit_many(
        mlp,
        X,
        y,
        key=key,
        seeds=[4, 4, 5],
        widths=widths,
        learning_rates=0.05,
        l2s=1e-3,
        optimizer="adam",
        batch_size=10,
        epochs=8,
        dtype=jnp.float64,
    )
    np.testing.assert_array_equal(result.widths, widths)
    outputs, x = predict_many(result, X), X[7]
    for i, (seed, width) in enumerate(zip([4, 4, 5], widths)):
        narrow = member_mlp(result, i)
        assert narrow.sizes == (1, *width, 1)
        initial = unstack(result, i, initial=True)
        params, history = fit_alone(narrow, key, seed, X, y, init_params=initial, **kwargs)
        trained = unstack(result, i)
        chex.assert_trees_all_close(trained, params, **TOLERANCE)
        np.testing.assert_allclose(result.history.train_loss[i], history.train_loss, **TOLERANCE)
        # The masked optimizer state still holds the member's learning rate.
        np.testing.assert_allclose(result.history.learning_rate[i], 0.05)
        # The padded network computes what the narrow one computes.
        np.testing.assert_allclose(
            outputs[i], jaxmlp.forward_batch(narrow, trained, X), **TOLERANCE
        )
        np.testing.assert_allclose(jaxmlp.forward(narrow, trained, x), outputs[i, 7], **TOLERANCE)


@pytest.mark.heavy
def test_masked_units_stay_exactly_zero_through_training(wave, key):
    X, y = wave
    mlp = jaxmlp.MLP((1, 16, 1), "sigmoid", "identity")
    result = jaxmlp.fit_many(
        mlp,
        X,
        y,
        key=key,
        seeds=[0, 1],
        widths=[5, 16],
        optimizer="adamw",
        learning_rates=0.01,
        l2s=1e-2,
        epochs=20,
        dtype=jnp.float64,
    )
    W1, b1, W2 = (
        np.asarray(a[0])
        for a in (result.params[0]["W"], result.params[0]["b"], result.params[1]["W"])
    )
    assert np.all(W1[:, 5:] == 0) and np.all(b1[5:] == 0) and np.all(W2[5:] == 0)
    assert np.all(W1[:, :5] != 0) and np.all(W2[:5] != 0), "the member's own units train"
    # Their gradient is not zero (sigmoid(0) = 1/2): the mask in the optimizer state keeps
    # them at zero (tests/test_widths.py).
    params = [jax.tree.map(lambda a: a[0], layer) for layer in result.params]
    grads = jax.grad(jaxmlp.objective, argnums=1)(mlp, params, X, jnp.asarray(y), "mse")
    assert np.any(np.asarray(grads[1]["W"][5:]) != 0)


@pytest.mark.heavy
def test_narrow_members_start_at_their_own_width_scale(wave, key):
    X, y = wave
    mlp = jaxmlp.MLP((1, 64, 1), "tanh", "identity")
    kwargs = dict(key=key, seeds=3, widths=[4, 64], epochs=1, dtype=jnp.float64)
    scaled = jaxmlp.fit_many(mlp, X, y, **kwargs)
    plain = jaxmlp.fit_many(mlp, X, y, rescale_init=False, **kwargs)
    # glorot_uniform: bound sqrt(6 / (n_in + n_out)); the narrow member has the bound of
    # its own fans, drawn from the same numbers as the full-width member.
    for layer, factor in zip(range(2), [np.sqrt(65 / 5), np.sqrt(65 / 5)]):
        np.testing.assert_allclose(
            unstack(scaled, 0, initial=True)[layer]["W"],
            unstack(plain, 0, initial=True)[layer]["W"] * factor,
            rtol=1e-12,
        )
    full = unstack(plain, 1, initial=True)
    np.testing.assert_array_equal(unstack(plain, 0, initial=True)[0]["W"], full[0]["W"][:, :4])
    chex.assert_trees_all_equal(unstack(scaled, 1, initial=True), full)


@pytest.mark.heavy
def test_each_member_stops_early_on_its_own_while_the_others_go_on(wave, key):
    X, y = wave
    mlp = jaxmlp.MLP((1, 8, 1), "tanh", "identity")
    learning_rates = [1e-7, 0.3]  # the first cannot improve by min_delta: it stops early
    kwargs = dict(early_stopping=True, patience=3, min_delta=1e-4, epochs=40)
    result = jaxmlp.fit_many(
        mlp,
        X,
        y,
        key=key,
        seeds=[0, 1],
        learning_rates=learning_rates,
        epochs_per_program=7,
        dtype=jnp.float64,
        **kwargs,
    )
    history = result.history
    assert history.stop_reason == ("early_stopping", "epochs")
    stopped = history.epochs_trained[0]
    assert stopped < 10 and history.epochs_trained[1] == 40
    assert np.all(np.isnan(history.train_loss[0, stopped:]))
    assert np.all(np.isfinite(history.train_loss[1]))
    for i, lr in enumerate(learning_rates):
        params, alone = fit_alone(mlp, key, i, X, y, learning_rate=lr, **kwargs)
        assert alone.epoch[-1] == history.epochs_trained[i]
        assert alone.best_epoch == history.best_epoch[i]
        chex.assert_trees_all_close(unstack(result, i), params, **TOLERANCE)


@pytest.mark.heavy
def test_members_monitor_the_validation_accuracy_as_fit_does(moons, key):
    X, y = moons
    mlp = jaxmlp.MLP((2, 8, 2), "tanh", "softmax")
    kwargs = dict(
        loss="cross_entropy", optimizer="adam", batch_size=10, epochs=12,
        validation=(X[40:], y[40:]), early_stopping=True, patience=4, monitor="val_accuracy",
    )  # fmt: skip
    result = jaxmlp.fit_many(
        mlp, X[:40], y[:40], key=key, seeds=[0, 1], learning_rates=[0.02, 0.2],
        dtype=jnp.float64, **kwargs,
    )  # fmt: skip
    for i, lr in enumerate([0.02, 0.2]):
        accuracy = result.history.val_accuracy[i, : result.history.epochs_trained[i]]
        assert result.history.best_epoch[i] == 1 + np.argmax(accuracy)
        params, alone = fit_alone(mlp, key, i, X[:40], y[:40], learning_rate=lr, **kwargs)
        assert alone.best_epoch == result.history.best_epoch[i]
        chex.assert_trees_all_close(unstack(result, i), params, **TOLERANCE)
    with pytest.raises(ValueError, match="monitor='val_loss' needs a validation set"):
        jaxmlp.fit_many(mlp, X, y, key=key, monitor="val_loss")


@pytest.mark.heavy
def test_a_diverging_member_stops_alone_on_finite_params(wave, key):
    X, y = wave
    mlp = jaxmlp.MLP((1, 8, 1), "tanh", "identity")
    result = jaxmlp.fit_many(
        mlp, X, y * 1e3, key=key, seeds=[0, 0], learning_rates=[1e-3, 50.0], epochs=50
    )
    assert result.history.stop_reason == ("epochs", "diverged")
    assert result.history.epochs_trained[1] < 50
    assert all(np.all(np.isfinite(a)) for a in jax.tree.leaves(unstack(result, 1)))
    assert best_member(result) == 0


@pytest.mark.heavy
def test_a_member_whose_update_overflows_keeps_finite_params_and_nan_history(key):
    # Features around ±100: member 1's first update overflows while its loss is finite.
    X = np.random.default_rng(0).choice([-100.0, 100.0], size=(32, 4)).astype(np.float32)
    mlp = jaxmlp.MLP((4, 1), "identity", "identity")
    result = jaxmlp.fit_many(
        mlp, X, np.zeros((32, 1)), key=key, learning_rates=[1e-6, 1e36], epochs=3
    )
    assert result.history.stop_reason == ("epochs", "diverged")
    assert result.history.epochs_trained.tolist() == [3, 0]
    assert np.isnan(result.history.train_loss[1]).all()
    chex.assert_trees_all_equal(unstack(result, 1), unstack(result, 1, initial=True))
    state = (result.state.params, result.state.opt_state, result.state.best_params)
    assert all(np.all(np.isfinite(a)) for a in jax.tree.leaves(state))


@pytest.mark.heavy
def test_a_member_that_diverged_never_wins_though_its_best_epoch_was_best(key):
    # Two orthogonal directions: at learning rate 2.1 the error along the first (started at
    # 1e-4) grows 1.1-fold per epoch while the second's shrinks 0.81-fold, so member 1 is
    # far better than member 0 for hundreds of epochs, then overflows.
    i = np.arange(32)
    X = np.stack([np.where(i % 2, 1.0, -1.0), np.where(i // 2 % 2, 0.3, -0.3)], 1)
    mlp = jaxmlp.MLP((2, 1), "identity", "identity")
    W = jaxmlp.init_params(member_keys(key, 0)[0], mlp, dtype=jnp.float32)[0]["W"]
    y = X @ np.array([[float(W[0, 0]) + 1e-4], [3.0]])
    result = jaxmlp.fit_many(
        mlp, X.astype(np.float32), y.astype(np.float32), key=key, learning_rates=[1e-3, 2.1],
        epochs=800, early_stopping=True, patience=800,
    )  # fmt: skip
    history = result.history
    assert history.stop_reason == ("epochs", "diverged")
    last = history.epochs_trained[1]  # its last finite epoch: from the next one on, nan
    assert 0 < last < 800 and np.isfinite(history.train_loss[1, :last]).all()
    assert np.isnan(history.train_loss[1, last:]).all()
    state = (result.state.params, result.state.opt_state, result.state.best_params)
    assert all(np.all(np.isfinite(a)) for a in jax.tree.leaves(state))
    losses = sweep.final_metric(result, "train_loss")  # at the best epochs: finite
    assert losses[1] < losses[0] / 1000
    assert best_member(result) == 0


@pytest.mark.heavy
def test_one_compiled_program_for_every_block_and_every_sweep(wave, key, monkeypatch):
    X, y = wave
    X, y = X[:37], y[:37]  # a size no other test compiles
    traces = []

    def counted(*args):
        traces.append(1)
        return run_block(*args)

    run_block = epoch.block
    monkeypatch.setattr(epoch, "block", chex.assert_max_traces(counted, n=1))
    mlp = jaxmlp.MLP((1, 6, 1), "tanh", "identity")
    kwargs = dict(key=key, epochs=6, epochs_per_program=2, widths=[2, 6, 4])
    first = jaxmlp.fit_many(mlp, X, y, seeds=[0, 1, 2], learning_rates=[0.1, 0.2, 0.3], **kwargs)
    second = jaxmlp.fit_many(
        mlp, X, y, seeds=[3, 4, 5], learning_rates=0.05, l2s=[0, 1e-3, 0.1], **kwargs
    )
    assert len(traces) == 1, "three blocks and two sweeps run one program"
    assert first.history.compile_time > 0 and second.history.time > 0
    np.testing.assert_array_equal(second.history.epochs_trained, [6, 6, 6])


@pytest.mark.heavy
def test_grid_trains_every_combination_in_order(wave, key):
    X, y = wave
    mlp = jaxmlp.MLP((1, 4, 1), "tanh", "identity")
    result = jaxmlp.fit_many(
        mlp,
        X,
        y,
        key=key,
        seeds=[0, 1],
        learning_rates=[0.1, 0.2, 0.3],
        widths=[2, 4],
        grid=True,
        epochs=2,
    )
    assert result.n_members == 12
    np.testing.assert_array_equal(result.seeds, [0] * 6 + [1] * 6)
    np.testing.assert_allclose(result.learning_rates[:6], [0.1, 0.1, 0.2, 0.2, 0.3, 0.3])
    np.testing.assert_array_equal(result.widths[:4, 0], [2, 4, 2, 4])


@pytest.mark.heavy
def test_best_member_unstack_and_ensemble_predictions(moons, key):
    X, y = moons
    mlp = jaxmlp.MLP((2, 16, 2), "relu", "softmax")
    result = jaxmlp.fit_many(
        mlp,
        X,
        y,
        key=key,
        loss="cross_entropy",
        seeds=[0, 1, 2],
        learning_rates=[1e-4, 0.5, 0.1],
        widths=[16, 16, 3],
        validation_fraction=0.25,
        epochs=60,
    )
    assert result.history.has_validation
    assert np.all(np.isfinite(result.history.val_accuracy))
    final = sweep.final_metric(result, "val_loss")
    assert best_member(result) == int(np.argmin(final))  # val_loss by default
    assert best_member(result, "train_loss") == int(
        np.argmin(sweep.final_metric(result, "train_loss"))
    )
    assert best_member(result, metric="val_accuracy") in (1, 2)
    best = best_member(result)
    params = unstack(result, best)
    narrow = member_mlp(result, best)
    assert [p["W"].shape for p in unstack(result, 2)] == [(2, 3), (3, 2)]
    # Full float32 products: a GPU's default (TF32) rounds the masked and the narrowed
    # member's products differently, by about 1e-4.
    with jax.default_matmul_precision("float32"):
        proba = predict_many(result, X)
        narrow_proba = jaxmlp.predict_proba(narrow, params, X)
    assert proba.shape == (3, len(X), 2)
    np.testing.assert_allclose(proba[best], narrow_proba, rtol=1e-5)
    chex.assert_trees_all_equal(unstack(result, -1), unstack(result, 2))


@pytest.mark.heavy
def test_an_optax_transformation_with_an_injected_learning_rate_is_swept(wave, key):
    X, y = wave
    mlp = jaxmlp.MLP((1, 4, 1), "tanh", "identity")
    optimizer = optax.inject_hyperparams(optax.rmsprop)(learning_rate=0.01)
    result = jaxmlp.fit_many(
        mlp, X, y, key=key, optimizer=optimizer, learning_rates=[1e-3, 1e-2], epochs=3
    )
    np.testing.assert_allclose(result.history.learning_rate, [[1e-3] * 3, [1e-2] * 3], rtol=1e-6)
    own = jaxmlp.fit_many(mlp, X, y, key=key, optimizer=optimizer, seeds=[0, 1], epochs=3)
    np.testing.assert_allclose(own.learning_rates, [0.01, 0.01], rtol=1e-6)


MLP = jaxmlp.MLP((1, 8, 1), "tanh", "identity")
BAD = {
    "lengths-disagree": (
        dict(seeds=[0, 1, 2], learning_rates=[0.1, 0.2]),
        ValueError,
        "seeds has 3, learning_rates has 2 values",
    ),
    "width-too-large": (dict(widths=[4, 9]), ValueError, r"widths\[1\]=9.*\[1, 8\]"),
    "width-zero": (dict(widths=0), ValueError, r"widths\[0\]=0"),
    "width-tuple-length": (dict(widths=[(2, 3)]), ValueError, "tuple of 1 hidden widths"),
    "negative-seed": (
        dict(seeds=[-1]),
        ValueError,
        r"seeds\[0\] must be an integer in \[0, 2\*\*32\), got -1",
    ),
    "float-seed": (
        dict(seeds=[1.5]),
        ValueError,
        r"seeds\[0\] must be an integer in \[0, 2\*\*32\), got 1.5",
    ),
    "zero-lr": (
        dict(learning_rates=[0.1, 0.0]),
        ValueError,
        r"learning_rates\[1\] must be a finite number > 0, got 0.0",
    ),
    "negative-l2": (dict(l2s=-1.0), ValueError, r"l2s\[0\] must be a finite number >= 0, got -1.0"),
    "empty": (dict(seeds=[]), ValueError, "seeds is empty"),
    "grid-not-bool": (dict(grid="yes"), TypeError, "grid must be True or False, got 'yes'"),
    "rescale-not-bool": (
        dict(rescale_init=1),
        TypeError,
        "rescale_init must be True or False, got 1",
    ),
    "members-at-once-zero": (
        dict(members_at_once=0),
        ValueError,
        r"members_at_once must be a positive integer below 2\*\*31, got 0",
    ),
    "min-delta-negative": (
        dict(min_delta=-0.1),
        ValueError,
        "min_delta must be a finite number >= 0, got -0.1",
    ),
    "epochs-per-program-zero": (
        dict(epochs_per_program=0),
        ValueError,
        r"epochs_per_program must be a positive integer below 2\*\*31, got 0",
    ),
    "lbfgs-mini-batches": (
        dict(optimizer="lbfgs", learning_rates=None, batch_size=8),
        ValueError,
        "optimizer='lbfgs' is full-batch: batch_size must be None, got 8",
    ),
    "scheduled-lrs": (
        dict(learning_rates=[0.1, 0.2], schedule="cosine"),
        ValueError,
        "schedule='cosine' computes",
    ),
    "lbfgs-lrs": (
        dict(learning_rates=[0.1, 0.2], optimizer="lbfgs"),
        ValueError,
        "lbfgs' has no learning rate",
    ),
    "no-injected-lr": (
        dict(learning_rates=[0.1], optimizer=optax.sgd(0.1)),
        ValueError,
        "injected learning rate",
    ),
    "optimizer-type": (dict(optimizer=3), TypeError, "optimizer must be a name"),
    "unknown-init": (dict(init="zeros"), ValueError, "init='zeros' is not a known scheme"),
    "swept-type": (dict(l2s={"a": 1}), TypeError, "l2s must be a number or a list"),
}


@pytest.mark.parametrize("kwargs, error, match", BAD.values(), ids=BAD.keys())
def test_bad_sweeps_are_named(wave, key, kwargs, error, match):
    X, y = wave
    with pytest.raises(error, match=match):
        jaxmlp.fit_many(MLP, X, y, key=key, epochs=1, **kwargs)


@pytest.mark.heavy
def test_widths_need_a_hidden_layer_and_members_an_index(wave, key):
    X, y = wave
    with pytest.raises(ValueError, match="has no hidden layer"):
        jaxmlp.fit_many(jaxmlp.MLP((1, 1), output="identity"), X, y, key=key, widths=[1])
    result = jaxmlp.fit_many(MLP, X, y, key=key, seeds=[0, 1], epochs=1)
    with pytest.raises(ValueError, match=r"i=2 must be a member index in \[0, 2\)"):
        unstack(result, 2)
    with pytest.raises(ValueError, match="metric='loss' is not known"):
        best_member(result, "loss")


@pytest.mark.heavy
def test_members_trained_in_groups_equal_members_trained_side_by_side(wave, key):
    X, y = wave
    mlp = jaxmlp.MLP((1, 6, 1), "tanh", "identity")
    kwargs = dict(
        key=key,
        seeds=[0, 1, 2, 3, 4],
        learning_rates=[1e-7, 0.1, 0.2, 0.3, 0.05],
        widths=[6, 2, 4, 6, 3],
        early_stopping=True,
        patience=2,
        epochs=12,
        epochs_per_program=5,
        dtype=jnp.float64,
    )
    together = jaxmlp.fit_many(mlp, X, y, **kwargs)
    grouped = jaxmlp.fit_many(mlp, X, y, members_at_once=2, **kwargs)  # 2 + 2 + 1
    chex.assert_trees_all_close(grouped.params, together.params, **TOLERANCE)
    np.testing.assert_allclose(grouped.history.train_loss, together.history.train_loss, **TOLERANCE)
    assert grouped.history.stop_reason == together.history.stop_reason
    assert together.history.stop_reason[0] == "early_stopping"


@pytest.mark.heavy
def test_lbfgs_members_equal_lbfgs_alone(wave, key):
    X, y = wave
    mlp = jaxmlp.MLP((1, 6, 1), "tanh", "identity")
    result = jaxmlp.fit_many(
        mlp, X, y, key=key, seeds=[0, 1], optimizer="lbfgs", epochs=4, dtype=jnp.float64
    )
    assert np.all(np.isnan(result.learning_rates))
    for i in range(2):
        params, history = fit_alone(mlp, key, i, X, y, optimizer="lbfgs", epochs=4)
        chex.assert_trees_all_close(unstack(result, i), params, rtol=1e-7, atol=1e-10)
        np.testing.assert_allclose(result.history.train_loss[i], history.train_loss, rtol=1e-7)


@pytest.mark.heavy
@pytest.mark.parametrize("init", ["glorot_uniform", "he_normal", "sklearn"])
def test_members_start_from_what_init_params_draws_from_their_keys(key, init):
    mlp = jaxmlp.MLP((3, 16, 2), "tanh", "identity")
    X, T = np.zeros((8, 3), np.float32), np.zeros((8, 2), np.float32)
    result = jaxmlp.fit_many(mlp, X, T, key=key, seeds=[0, 7], init=init, epochs=1)
    for i, seed in enumerate([0, 7]):
        init_key, _ = member_keys(key, seed)
        expected = jaxmlp.init_params(init_key, mlp, init)
        # The same draws; float ones may round differently in the last bit, as the members
        # draw inside the sweep's own (vmapped) program.
        chex.assert_trees_all_close(
            unstack(result, i, initial=True), expected, rtol=5e-7, atol=1e-7
        )
