"""Scalers fitted on the training split only, stratified splits, and label encoding."""

import jax
import numpy as np
import pytest

from jaxmlp.data import (
    DataError,
    fit_scaler,
    label_encoder,
    minmax,
    split,
    standardize,
    standardize_global,
)


@pytest.fixture
def train_test():
    rng = np.random.default_rng(0)
    X_train = rng.normal(3.0, 2.0, (50, 3)).astype(np.float32)
    X_train[:, 2] = 7.0  # a constant feature
    X_test = rng.normal(-1.0, 5.0, (20, 3)).astype(np.float32)
    return X_train, X_test


# --- scalers -----------------------------------------------------------------------------------


def test_standardize_uses_training_statistics_only(train_test):
    X_train, X_test = train_test
    scaler = standardize(X_train)
    np.testing.assert_allclose(scaler.offset, X_train.astype(np.float64).mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(
        scaler.scale[:2], X_train[:, :2].astype(np.float64).std(axis=0), rtol=1e-6
    )
    Z_train, Z_test = scaler(X_train), scaler(X_test)
    assert Z_train.dtype == Z_test.dtype == np.float32
    np.testing.assert_allclose(Z_train[:, :2].mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(Z_train[:, :2].std(axis=0), 1, rtol=1e-5)
    np.testing.assert_allclose(Z_test, (X_test - scaler.offset) / scaler.scale, rtol=1e-5)
    assert abs(Z_test[:, :2].mean()) > 0.5  # the test split keeps its own shift


def test_zero_variance_feature_is_centred_not_divided_by_zero(train_test):
    X_train, X_test = train_test
    scaler = standardize(X_train)
    assert scaler.scale[2] == 1.0
    np.testing.assert_array_equal(scaler(X_train)[:, 2], 0.0)
    assert np.isfinite(scaler(X_test)).all()
    assert minmax(X_train).scale[2] == 1.0


def test_minmax_maps_the_training_range_onto_0_1(train_test):
    X_train, X_test = train_test
    scaler = minmax(X_train)
    Z_train = scaler(X_train)
    np.testing.assert_allclose(Z_train[:, :2].min(axis=0), 0, atol=1e-6)
    np.testing.assert_allclose(Z_train[:, :2].max(axis=0), 1, atol=1e-6)
    Z_test = scaler(X_test)
    assert Z_test.min() < 0 or Z_test.max() > 1  # test values beyond the training range
    np.testing.assert_allclose(scaler.inverse(Z_test), X_test, rtol=1e-5, atol=1e-5)


def test_standardize_global_gives_every_feature_one_mean_and_one_std(train_test):
    X_train, X_test = train_test
    scaler = standardize_global(X_train)
    assert scaler.name == "standardize_global" and scaler.offset.shape == (X_train.shape[1],)
    np.testing.assert_allclose(scaler.offset, X_train.mean())
    np.testing.assert_allclose(scaler.scale, X_train.std())
    Z = scaler(X_train)
    assert abs(Z.mean()) < 1e-5 and Z.std() == pytest.approx(1, rel=1e-5)
    # One affine map for all: features keep their differences, unlike per-feature scaling.
    np.testing.assert_allclose(
        Z[:, 0] - Z[:, 1], (X_train[:, 0] - X_train[:, 1]) / X_train.std(), rtol=1e-4, atol=1e-5
    )
    np.testing.assert_allclose(scaler(X_test), (X_test - X_train.mean()) / X_train.std(), rtol=1e-5)
    images = np.arange(2 * 4 * 4, dtype=np.float64).reshape(2, 4, 4)
    assert standardize_global(images).offset.shape == (4, 4)
    constant = standardize_global(np.full((3, 2), 7.0))
    np.testing.assert_array_equal(constant(np.full((1, 2), 8.0)), [[1.0, 1.0]])  # only centred


@pytest.mark.parametrize("name", ["standardize", "standardize_global", "minmax"])
def test_scalers_do_not_modify_their_inputs(name, train_test):
    X_train, X_test = train_test
    before = X_train.copy(), X_test.copy()
    scaler = fit_scaler(name, X_train)
    Z = scaler(X_test)
    np.testing.assert_array_equal(X_train, before[0])
    np.testing.assert_array_equal(X_test, before[1])
    assert not np.shares_memory(Z, X_test)


def test_scalers_work_per_pixel_on_images():
    images = np.arange(2 * 4 * 4, dtype=np.uint8).reshape(2, 4, 4)
    scaler = minmax(images)
    assert scaler.offset.shape == (4, 4)
    np.testing.assert_array_equal(scaler(images), np.stack([np.zeros((4, 4)), np.ones((4, 4))]))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda X: standardize(X)(X[:, :2]),
            r"X has features of shape \(2,\) but the standardize scaler was fitted on \(3,\)",
        ),
        (
            lambda X: standardize(np.where(X > 5, np.nan, X)),
            r"X_train holds a non-finite value \(nan\)",
        ),
        (lambda X: minmax(X[:0]), r"X_train has 0 samples"),
        (lambda X: minmax(X[:, 0]), r"X_train must have shape \(n, d\), got shape \(50,\)"),
        (
            lambda X: fit_scaler("standardise", X),
            r"scale='standardise' is not known; choose one of \['standardize', 'standardize_global', 'minmax'\]; did you mean 'standardize'\?",
        ),
    ],
    ids=["feature-count", "nan", "empty", "1-d", "unknown-name"],
)
def test_scaler_errors(call, message, train_test):
    with pytest.raises(DataError, match=message):
        call(train_test[0])


# --- splits ------------------------------------------------------------------------------------


def labelled(counts):
    """``X: (n, 1)`` holding each row's index, and labels with ``counts[j]`` samples of class j."""
    y = np.repeat(np.arange(len(counts)), counts)
    return np.arange(len(y), dtype=np.float32)[:, None], y


def test_stratified_split_keeps_class_proportions(key):
    X, y = labelled([100, 60, 40])
    fractions = (0.6, 0.2, 0.2)
    parts = split(key, X, y, fractions)
    assert [len(X_part) for X_part, _ in parts] == [120, 40, 40]
    for (X_part, y_part), fraction in zip(parts, fractions):
        np.testing.assert_array_equal(np.bincount(y_part), fraction * np.array([100, 60, 40]))
        np.testing.assert_array_equal(y[X_part[:, 0].astype(int)], y_part)  # rows stay paired
    rows = np.concatenate([X_part[:, 0] for X_part, _ in parts])
    np.testing.assert_array_equal(np.sort(rows), X[:, 0])  # a partition: nothing lost or repeated
    assert not np.all(np.diff(parts[0][0][:, 0]) > 0)  # shuffled, not sorted by class


def test_split_is_deterministic_for_a_key(key):
    X, y = labelled([30, 30])
    (a, _), _ = split(key, X, y)
    (b, _), _ = split(key, X, y)
    (c, _), _ = split(jax.random.key(1), X, y)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_every_class_is_in_every_part_where_possible(key):
    X, y = labelled([50, 3, 1])
    parts = split(key, X, y, (0.8, 0.1, 0.1))
    for _, y_part in parts:
        assert {0, 1} <= set(y_part.tolist())
    assert 2 in parts[0][1]  # a single sample goes to the first part


def test_string_labels_are_stratified(key):
    y = np.array(["cat"] * 40 + ["dog"] * 10)
    (_, y_train), (_, y_test) = split(key, np.zeros((50, 2)), y, (0.8, 0.2))
    assert (y_test == "dog").sum() == 2 and (y_test == "cat").sum() == 8


def test_real_targets_are_split_without_stratification(key):
    X, t = np.zeros((10, 1)), np.linspace(0, 1, 10)[:, None]
    (_, t_train), (_, t_test) = split(key, X, t, (0.7, 0.3))
    assert t_train.shape == (7, 1) and t_test.shape == (3, 1)


def test_split_does_not_modify_its_inputs(key):
    X, y = labelled([10, 10])
    X_before, y_before = X.copy(), y.copy()
    (X_train, _), _ = split(key, X, y)
    X_train[:] = -1
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(y, y_before)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"fractions": (0.8, 0.3)},
            r"fractions=\(0.8, 0.3\) must be at least two numbers in \(0, 1\) summing to 1",
        ),
        ({"fractions": (1.0,)}, r"fractions=\(1.0,\) must be"),
        ({"fractions": 0.8}, r"fractions=0.8 must be"),
        ({"y": np.zeros(9)}, r"X has 10 samples but y has 9"),
        (
            {"X": np.zeros((2, 1)), "y": np.zeros(2), "fractions": (0.5, 0.25, 0.25)},
            r"cannot split 2 samples into 3 non-empty parts",
        ),
    ],
    ids=["sum>1", "one-part", "not-a-sequence", "length-mismatch", "too-few"],
)
def test_split_errors(kwargs, message, key):
    arguments = {"X": np.zeros((10, 1)), "y": np.zeros(10), **kwargs}
    with pytest.raises(DataError, match=message):
        split(key, **arguments)


# --- labels ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("y", "classes"),
    [
        (np.array(["dog", "cat", "dog", "bird"]), ["bird", "cat", "dog"]),
        (np.array([9, 3, 7, 3]), [3, 7, 9]),
        (np.array([1.0, -2.0, 1.0]), [-2, 1]),
        (np.array([True, False]), [False, True]),
        (["b", "a"], ["a", "b"]),
    ],
    ids=["strings", "non-contiguous-ints", "integral-floats", "booleans", "list"],
)
def test_label_encoding_round_trip(y, classes):
    encoder = label_encoder(y)
    assert encoder.classes.tolist() == classes and encoder.n_classes == len(classes)
    indices = encoder.encode(y)
    assert indices.dtype == np.int32 and indices.min() == 0 and indices.max() == len(classes) - 1
    np.testing.assert_array_equal(encoder.decode(indices), np.asarray(y))


def test_label_encoder_does_not_modify_its_input():
    y = np.array([5, 2, 5])
    label_encoder(y).encode(y)
    np.testing.assert_array_equal(y, [5, 2, 5])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: label_encoder(np.array([4, 4, 4])),
            r"y holds 1 class \(\[4\]\); classification needs at least 2",
        ),
        (
            lambda: label_encoder(np.array([[0], [1]])),
            r"y must be 1-D class labels \(n,\), got shape \(2, 1\) \(use y.ravel\(\)\)",
        ),
        (
            lambda: label_encoder(np.array([0.0, 0.5])),
            r"y holds the label 0.5; class labels must be integers or strings",
        ),
        (lambda: label_encoder(np.array([0.0, np.nan])), r"y holds the label nan"),
        (lambda: label_encoder(np.array([], dtype=int)), r"y has 0 samples"),
        (
            lambda: label_encoder(np.array([1, "a"], dtype=object)),
            r"y mixes labels of types \['int', 'str'\]",
        ),
        (
            lambda: label_encoder([0, 1]).encode(np.array([0, 2]), "y_test"),
            r"y_test holds the label 2, which is not one of the 2 classes \[0, 1\]",
        ),
        (
            lambda: label_encoder([0, 1]).encode(np.array(["a"])),
            r"y holds labels of dtype <U1 but the classes are int64",
        ),
        (
            lambda: label_encoder(["a", "b"]).decode(np.array([0, 2])),
            r"predictions holds the class index 2, outside \[0, 2\)",
        ),
        (
            lambda: label_encoder(["a", "b"]).decode(np.array([0.5])),
            r"predictions must hold integer class indices",
        ),
    ],
    ids=[
        "single-class",
        "column-vector",
        "non-integer",
        "nan",
        "empty",
        "mixed-types",
        "unknown-label",
        "wrong-type",
        "decode-out-of-range",
        "decode-float",
    ],
)
def test_label_errors(call, message):
    with pytest.raises(DataError, match=message):
        call()
