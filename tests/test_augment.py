"""Tests of data augmentation: per-example zero-filled shifts, and the engine applying them to
training batches only."""

import json

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from sklearn.datasets import load_digits

import jaxmlp
from jaxmlp.app import saved
from jaxmlp.app.cli import main
from jaxmlp.app.config_file import read_config_file
from jaxmlp.data.augment import Shifts, shift, shifts_from_spec
from jaxmlp.data.catalog import parse_augment
from jaxmlp.io.rundir import CONFIG

# Seconds a test (a program each): make test runs them, make test-quick not.
pytestmark = pytest.mark.heavy


@pytest.fixture(scope="module")
def digits():
    data = load_digits()
    return (data.data[:300] / 16).astype(np.float32), data.target[:300]


def image(h, w, c=None):
    """One flattened image whose pixels are 1, 2, ... (none is 0)."""
    shape = (h, w) if c is None else (h, w, c)
    return jnp.arange(1.0, np.prod(shape) + 1, dtype=jnp.float32).reshape(1, -1), shape


def test_a_zero_shift_is_the_identity(key):
    X = jax.random.normal(key, (5, 28 * 28), jnp.float32)
    np.testing.assert_array_equal(shift(X, jnp.zeros((5, 2), jnp.int32), (28, 28), 2), X)
    np.testing.assert_array_equal(Shifts((28, 28), max_shift=0)(key, X), X)


@pytest.mark.parametrize("channels", [None, 3], ids=["gray", "rgb"])
def test_a_known_shift_moves_a_known_pixel_and_fills_with_zeros(channels):
    X, shape = image(4, 5, channels)
    moved = np.asarray(shift(X, jnp.array([[1, -2]]), shape, 2)).reshape(shape)
    original = np.asarray(X).reshape(shape)
    # one down, two left: pixel (i, j) lands at (i + 1, j - 2)
    np.testing.assert_array_equal(moved[1:, :3], original[:-1, 2:])
    np.testing.assert_array_equal(moved[0], 0)  # the top row came in from outside
    np.testing.assert_array_equal(moved[:, 3:], 0)  # the two right columns too
    assert moved[2, 0].tolist() == original[1, 2].tolist()


def test_each_example_gets_its_own_shift_within_the_bound(key):
    X = jnp.tile(image(6, 6)[0], (64, 1))
    out = np.asarray(Shifts((6, 6), max_shift=1)(key, X))
    assert len({row.tobytes() for row in out}) > 1, "rows of one batch must move differently"
    candidates = {
        np.asarray(shift(X[:1], jnp.array([[dy, dx]]), (6, 6), 1)).tobytes(): (dy, dx)
        for dy in (-1, 0, 1)
        for dx in (-1, 0, 1)
    }
    drawn = [candidates.get(row[None].tobytes()) for row in out]
    assert None not in drawn, "every row is its image shifted by at most max_shift"
    assert len(set(drawn)) >= 5
    other = np.asarray(Shifts((6, 6), max_shift=1)(jax.random.key(1), X))
    assert not np.array_equal(out, other), "another key draws other shifts"


def test_shifts_are_hashable_static_and_jit_compatible(key):
    a, b = Shifts((28, 28), 2), Shifts((28, 28), max_shift=2)
    assert a == b and hash(a) == hash(b) and a != Shifts((28, 28), 1)
    X = jax.random.normal(key, (8, 784), jnp.float32)
    np.testing.assert_array_equal(jax.jit(a)(key, X), a(key, X))


@pytest.mark.parametrize(
    "shape, max_shift, match",
    [
        ((28,), 2, "image_shape must be a tuple"),
        ([28, 28], 2, "image_shape must be a tuple"),
        ((28, 0), 1, "image_shape must be a tuple"),
        ((28, 28), -1, r"max_shift must be an integer in \[0, 28\).*got -1"),
        ((28, 28), 28, r"max_shift must be an integer in \[0, 28\).*got 28"),
        ((28, 28), 1.5, "max_shift must be an integer.*got 1.5"),
        ((8, 8), True, "max_shift must be an integer.*got True"),
    ],
    ids=["1-d", "list", "zero-width", "negative", "too-large", "float", "bool"],
)
def test_bad_shifts_are_named(shape, max_shift, match):
    with pytest.raises(ValueError, match=match):
        Shifts(shape, max_shift)


@pytest.mark.parametrize("spec", ["shift", "shift:0", "shift:-1", "shift:x", "roll:2", "", 2])
def test_bad_augment_specs_are_named(spec):
    with pytest.raises(ValueError, match=r"augmentation .* is not known; expected 'none' or"):
        parse_augment(spec)


def test_specs_give_shifts_for_images_and_refuse_other_data():
    assert parse_augment("none") == 0 and parse_augment(" shift:3 ") == 3
    assert shifts_from_spec("shift:2", (28, 28)) == Shifts((28, 28), 2)
    assert shifts_from_spec("none", None) is None
    with pytest.raises(ValueError, match="'shift:2' shifts images, but the data have no image"):
        shifts_from_spec("shift:2", None)


FIT = dict(loss="cross_entropy", optimizer="adam", learning_rate=0.01, batch_size=32)
MANY = {**{k: v for k, v in FIT.items() if k != "learning_rate"}, "learning_rates": 0.01}


def fit(digits, epochs=3, state=None, **kwargs):
    X, y = digits
    mlp = jaxmlp.MLP((64, 16, 10), "relu", "softmax")
    params = jaxmlp.init_params(jax.random.key(0), mlp) if state is None else state
    kwargs = {**FIT, **kwargs}
    return jaxmlp.fit(mlp, params, X, y, key=jax.random.key(3), epochs=epochs, **kwargs)


def test_fit_without_a_shift_is_bit_identical_and_with_one_trains_otherwise(digits):
    plain, _ = fit(digits)
    still, _ = fit(digits, augment=Shifts((8, 8), 0))
    shifted, _ = fit(digits, augment=Shifts((8, 8), 1))
    chex.assert_trees_all_equal(plain, still)
    assert not np.array_equal(plain[0]["W"], shifted[0]["W"])


@pytest.mark.parametrize("batch_size", [32, None], ids=["mini-batch", "full-batch"])
def test_validation_is_scored_on_the_raw_rows(digits, batch_size):
    X, y = digits
    validation = (X[:50], y[:50])
    mlp = jaxmlp.MLP((64, 16, 10), "relu", "softmax")
    params, history = fit(
        (X[50:], y[50:]),
        epochs=2,
        validation=validation,
        augment=Shifts((8, 8), 3),
        batch_size=batch_size,
    )
    raw = jaxmlp.evaluate(mlp, params, *validation, loss="cross_entropy")
    np.testing.assert_allclose(history.val_loss[-1], raw["loss"], rtol=1e-5)
    assert history.val_accuracy[-1] == pytest.approx(raw["accuracy"])


def test_resuming_with_augmentation_equals_training_straight(digits):
    augment = Shifts((8, 8), 2)
    straight, _ = fit(digits, epochs=4, augment=augment)
    _, first = fit(digits, epochs=2, augment=augment)
    resumed, second = fit(digits, epochs=4, state=first.state, augment=augment)
    chex.assert_trees_all_equal(straight, resumed)
    assert second.epoch == [3, 4]


def test_a_last_smaller_batch_trains_with_augmentation(digits):
    X, y = digits
    params, history = fit((X[:70], y[:70]), epochs=2, augment=Shifts((8, 8), 1))
    assert np.isfinite(history.train_loss).all()
    assert history.steps == [3, 6]  # 70 rows: two batches of 32 and one of 6


def test_fit_many_augments_each_member(digits):
    X, y = digits
    mlp = jaxmlp.MLP((64, 16, 10), "relu", "softmax")
    kwargs = dict(key=jax.random.key(0), seeds=[0, 1], epochs=2, **MANY)
    plain = jaxmlp.fit_many(mlp, X, y, **kwargs)
    still = jaxmlp.fit_many(mlp, X, y, augment=Shifts((8, 8), 0), **kwargs)
    shifted = jaxmlp.fit_many(mlp, X, y, augment=Shifts((8, 8), 1), **kwargs)
    chex.assert_trees_all_equal(plain.params, still.params)
    assert not np.array_equal(plain.params[0]["W"], shifted.params[0]["W"])


@pytest.mark.parametrize(
    "augment, error, match",
    [
        (Shifts((28, 28), 2), ValueError, r"images of 784 pixels but the MLP takes 64 inputs"),
        ("shift:2", TypeError, r"augment must be None or a jaxmlp.data.augment.Shifts.*str"),
    ],
    ids=["wrong-image-shape", "a-string"],
)
def test_fit_and_fit_many_check_augment_at_the_boundary(digits, augment, error, match):
    X, y = digits
    mlp = jaxmlp.MLP((64, 16, 10), "relu", "softmax")
    with pytest.raises(error, match=match):
        fit(digits, augment=augment)
    with pytest.raises(error, match=match):
        jaxmlp.fit_many(mlp, X, y, key=jax.random.key(0), augment=augment, **MANY)


@pytest.fixture
def cli(capsys):
    """Runs ``jaxmlp ARGS`` in-process; returns ``(status, stdout, stderr)``."""

    def run_cli(*argv):
        status = main([str(arg) for arg in argv])
        out, err = capsys.readouterr()
        return status, out, err

    return run_cli


DIGITS = ["--data", "digits", "--sizes", "d,16,c", "--batch-size", "64", "--lr", "0.01"]


def test_the_command_line_trains_with_shifts_saves_them_and_resumes_exactly(cli, tmp_path):
    argv = ["train", *DIGITS, "--augment", "shift:1", "--quiet"]
    assert cli(*argv, "--epochs", "3", "--run-dir", tmp_path / "straight")[0] == 0
    assert cli(*argv, "--epochs", "1", "--run-dir", tmp_path / "split")[0] == 0
    assert json.loads((tmp_path / "split" / CONFIG).read_text())["augment"] == "shift:1"
    status, _, err = cli("train", "--resume", tmp_path / "split", "--epochs", "3")
    assert status == 0, err
    straight, split = (saved.open_run(tmp_path / name)[1] for name in ("straight", "split"))
    chex.assert_trees_all_equal(split, straight)
    plain = tmp_path / "plain"
    assert cli("train", *DIGITS, "--epochs", "3", "--quiet", "--run-dir", plain)[0] == 0
    assert not np.array_equal(saved.open_run(plain)[1].params[0]["W"], straight.params[0]["W"])
    status, _, err = cli("train", "--resume", tmp_path / "split", "--augment", "none")
    assert status == 2 and "--augment cannot change when resuming" in err


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--augment", "shift:x"], "augment (--augment) 'shift:x' is not known"),
        (
            ["--augment", "shift:9"],
            "--augment shift:9 on 'digits': max_shift must be an integer in [0, 8)",
        ),
        (["--data", "moons:n=64", "--augment", "shift:2"], "'moons:n=64' has no image shape"),
        (["--augment", "shift:1", "--scale", "standardize"], "use --scale none with --augment"),
        (
            ["--augment", "shift:1", "--scale", "standardize_global"],
            "--scale standardize_global maps black to a negative value",
        ),
    ],
    ids=["bad-spec", "too-large-for-8x8", "not-images", "per-pixel-scaler", "global-scaler"],
)
def test_bad_augmentation_on_the_command_line_is_one_line_and_status_2(
    cli, tmp_path, flags, message
):
    run_dir = tmp_path / "run"
    status, out, err = cli("train", *DIGITS, *flags, "--run-dir", run_dir)
    assert status == 2 and out == ""
    assert err.startswith("jaxmlp: error: ") and err.count("\n") == 1 and message in err
    assert not run_dir.exists()  # nothing written


def test_a_config_file_sets_augment_and_is_checked(cli, tmp_path):
    (tmp_path / "good.toml").write_text('augment = "shift:2"\n')
    assert read_config_file(tmp_path / "good.toml") == {"augment": "shift:2"}
    (tmp_path / "bad.toml").write_text('augment = "roll:2"\n')
    status, _, err = cli("train", "--config", tmp_path / "bad.toml", "--run-dir", tmp_path / "a")
    assert status == 2 and "augment (--augment) 'roll:2' is not known" in err
