"""Synthetic datasets: shapes, determinism, balance, and the property that defines each one."""

import jax
import numpy as np
import pytest

from jaxmlp.data import DataError, synthetic

N = 200  # one size for most tests: each new size compiles jax.random's kernels again

CLASSIFIERS = {
    "xor": (lambda key, **kw: synthetic.xor(key, n=N, noise=0.2, **kw), 2),
    "two_moons": (lambda key, **kw: synthetic.two_moons(key, n=N, **kw), 2),
    "circles": (lambda key, **kw: synthetic.circles(key, n=N, **kw), 2),
    "spirals": (lambda key, **kw: synthetic.spirals(key, n=N, k=4, **kw), 4),
    "blobs": (lambda key, **kw: synthetic.blobs(key, n=N, k=3, **kw), 3),
}


def linear_least_squares_accuracy(X, y):
    """Training accuracy of the best linear classifier in the least-squares sense."""
    A = np.hstack([X, np.ones((len(X), 1))])
    T = np.eye(y.max() + 1)[y]
    W, *_ = np.linalg.lstsq(A, T, rcond=None)
    return np.mean(np.argmax(A @ W, axis=1) == y)


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_classifier_shapes_dtypes_and_balance(name, key):
    generate, c = CLASSIFIERS[name]
    X, y = generate(key)
    assert X.shape == (N, 2) and X.dtype == np.float32
    assert y.shape == (N,) and y.dtype == np.int32
    counts = np.bincount(y, minlength=c)
    assert len(counts) == c and counts.max() - counts.min() <= 1
    assert np.isfinite(X).all()


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_classifier_is_deterministic_for_a_key(name, key):
    generate, _ = CLASSIFIERS[name]
    X1, y1 = generate(key)
    X2, y2 = generate(key)
    X3, _ = generate(jax.random.key(1))
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)


def test_same_data_with_legacy_uint32_key():
    X1, _ = synthetic.two_moons(jax.random.key(3), n=N)
    X2, _ = synthetic.two_moons(jax.random.PRNGKey(3), n=N)
    np.testing.assert_array_equal(X1, X2)


def test_xor_defaults_are_the_four_corners(key):
    X, y = synthetic.xor(key)
    assert sorted(map(tuple, X.tolist())) == [(-1, -1), (-1, 1), (1, -1), (1, 1)]
    np.testing.assert_array_equal(y, (X[:, 0] > 0) ^ (X[:, 1] > 0))


def test_xor_labels_are_the_xor_of_the_signs(key):
    X, y = synthetic.xor(key, n=N, noise=0.2)
    np.testing.assert_array_equal(y, (X[:, 0] > 0) ^ (X[:, 1] > 0))
    assert linear_least_squares_accuracy(X, y) < 0.75


def test_moons_lie_on_two_shifted_half_circles_and_are_not_linearly_separable(key):
    X, y = synthetic.two_moons(key, n=N, noise=0.0)
    upper, lower = X[y == 0], X[y == 1] - np.array([1.0, 0.5], np.float32)
    np.testing.assert_allclose(np.linalg.norm(upper, axis=1), 1, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(lower, axis=1), 1, atol=1e-5)
    assert (upper[:, 1] >= -1e-6).all() and (lower[:, 1] <= 1e-6).all()
    X, y = synthetic.two_moons(key, n=N, noise=0.1)
    assert 0.7 < linear_least_squares_accuracy(X, y) < 0.95


def test_circles_have_radius_1_and_factor(key):
    X, y = synthetic.circles(key, n=N, noise=0.0, factor=0.3)
    radius = np.linalg.norm(X, axis=1)
    np.testing.assert_allclose(radius[y == 0], 1, atol=1e-5)
    np.testing.assert_allclose(radius[y == 1], 0.3, atol=1e-5)
    assert linear_least_squares_accuracy(X, y) < 0.75


def test_spiral_arms_follow_their_angle(key):
    k, turns = 4, 1.5
    X, y = synthetic.spirals(key, n=N, k=k, noise=0.0, turns=turns)
    radius = np.linalg.norm(X, axis=1)
    angle = 2 * np.pi * (y / k + turns * radius)
    np.testing.assert_allclose(
        X, radius[:, None] * np.stack([np.cos(angle), np.sin(angle)], 1), atol=1e-5
    )
    assert linear_least_squares_accuracy(X, y) < 0.8


def test_blobs_cluster_around_one_centre_per_class(key):
    X, y = synthetic.blobs(key, n=N, k=3, d=5, noise=0.1)
    assert X.shape == (N, 5)
    centres = np.stack([X[y == j].mean(axis=0) for j in range(3)])
    nearest = np.argmin(np.linalg.norm(X[:, None] - centres[None], axis=2), axis=1)
    assert (nearest == y).mean() > 0.99
    assert np.std(X - centres[y]) == pytest.approx(0.1, rel=0.2)


@pytest.mark.parametrize(
    ("name", "f"),
    [
        ("sine", lambda x: np.sin(np.pi * x)),
        ("abs", np.abs),
        ("step", lambda x: (x >= 0).astype(np.float32)),
        ("sawtooth", lambda x: 2 * (2 * x % 1) - 1),
    ],
    ids=["sine", "abs", "step", "sawtooth"],
)
def test_regression_targets(name, f, key):
    X, t = synthetic.regression(key, name, n=N, interval=(-2.0, 2.0))
    assert X.shape == t.shape == (N, 1) and X.dtype == t.dtype == np.float32
    assert (X >= -2).all() and (X <= 2).all() and X.min() < -1.5 and X.max() > 1.5
    np.testing.assert_allclose(t, f(X), atol=1e-5)
    X2, t2 = synthetic.regression(key, name, n=N, interval=(-2.0, 2.0), noise=0.1)
    np.testing.assert_array_equal(X, X2)
    assert np.std(t2 - t) == pytest.approx(0.1, rel=0.25)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda k: synthetic.two_moons(k, n=0), r"n=0 must be an integer >= 2"),
        (lambda k: synthetic.two_moons(k, n=10.5), r"n=10.5 must be an integer"),
        (lambda k: synthetic.two_moons(k, n=True), r"n=True must be an integer"),
        (lambda k: synthetic.xor(k, n=3), r"n=3 must be an integer >= 4"),
        (lambda k: synthetic.circles(k, noise=-0.1), r"noise=-0.1 must be a finite number >= 0"),
        (lambda k: synthetic.circles(k, noise=float("nan")), r"noise=nan must be a finite"),
        (lambda k: synthetic.circles(k, factor=1.5), r"factor=1.5 must be in \(0, 1\)"),
        (lambda k: synthetic.spirals(k, k=1), r"k=1 must be an integer >= 2"),
        (lambda k: synthetic.spirals(k, n=3, k=4), r"n=3 must be an integer >= 4"),
        (lambda k: synthetic.blobs(k, d=0), r"d=0 must be an integer >= 1"),
        (lambda k: synthetic.regression(k, "sin"), r"name='sin' is not known.*did you mean 'sine'"),
        (lambda k: synthetic.regression(k, "abs", interval=(1, 0)), r"interval=\(1, 0\) must be"),
    ],
    ids=[
        "n=0",
        "n-float",
        "n-bool",
        "xor-n<4",
        "noise<0",
        "noise-nan",
        "factor>1",
        "k=1",
        "n<k",
        "d=0",
        "unknown-target",
        "empty-interval",
    ],
)
def test_bad_arguments_raise_a_clear_error(call, message, key):
    with pytest.raises(DataError, match=message):
        call(key)


def test_a_seed_instead_of_a_key_is_a_type_error():
    with pytest.raises(TypeError, match=r"key must be a jax.random key .* got int 0"):
        synthetic.two_moons(0)
