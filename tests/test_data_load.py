"""``load(spec, key)``: every kind of spec, the ``Dataset`` it gives, and clear errors."""

import os
import types
import warnings

import jax
import numpy as np
import pytest

from jaxmlp.data import FASHION_MNIST_DIR, DataError, Dataset, load, read, write_idx
from jaxmlp.data.idx import IDX_FILES


@pytest.mark.parametrize(
    ("spec", "n_features", "n_classes"),
    [
        ("xor", 2, 2),
        ("moons:noise=0.2", 2, 2),
        ("circles", 2, 2),
        ("spirals:k=4", 2, 4),
        ("blobs:k=5,d=3", 3, 5),
    ],
    ids=["xor", "moons", "circles", "spirals", "blobs"],
)
def test_synthetic_specs(spec, n_features, n_classes, key):
    data = load(spec, key, n=200)
    assert isinstance(data, Dataset) and data.name == spec
    assert data.X_train.shape == data.X_test.shape == (200, n_features)
    assert data.X_train.dtype == np.float32 and data.y_train.dtype == np.int32
    assert (data.n_features, data.n_classes, data.n_outputs) == (n_features, n_classes, n_classes)
    np.testing.assert_array_equal(data.classes, np.arange(n_classes))
    assert not np.array_equal(data.X_train, data.X_test)  # an independent test sample
    again = load(spec, key, n=200)
    np.testing.assert_array_equal(again.X_train, data.X_train)
    np.testing.assert_array_equal(again.y_test, data.y_test)


def test_xor_spec_options_give_the_four_points(key):
    data = load("xor:n=4,noise=0", key)
    assert data.X_train.shape == (4, 2)
    assert sorted(map(tuple, data.X_train.tolist())) == [(-1, -1), (-1, 1), (1, -1), (1, 1)]


def test_regression_spec(key):
    data = load("sine:noise=0", key, n=200)
    assert data.y_train.shape == (200, 1) and data.y_train.dtype == np.float32
    assert data.classes is None and data.n_classes is None and data.n_outputs == 1
    np.testing.assert_allclose(data.y_train, np.sin(np.pi * data.X_train), atol=1e-5)


def test_digits_default_dataset(key):
    pytest.importorskip("sklearn", reason="digits needs scikit-learn (the experiments extra)")
    data = load("digits", key)
    assert len(data.X_train) + len(data.X_test) == 1797
    assert data.X_train.shape[1] == 64 and data.X_test.shape == (359, 64)  # 20% of 1797, rounded
    assert 0 <= data.X_train.min() and data.X_train.max() == 1
    assert data.n_classes == 10
    y = np.concatenate([data.y_train, data.y_test])
    assert (np.abs(np.bincount(data.y_test) - 0.2 * np.bincount(y)) < 1).all()  # stratified


def test_digits_without_scikit_learn_says_which_extra_to_install(key, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(DataError, match=r"needs scikit-learn.*pip install 'jaxmlp\[experiments\]'"):
        load("digits", key)


def test_csv_spec_with_string_labels_decodes_back(tmp_path, key):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    labels = np.array(["setosa", "versicolor", "virginica", "versicolor"] * 10)
    rows = [",".join([*map(str, x), label]) for x, label in zip(X, labels)]
    path = tmp_path / "flowers.csv"
    path.write_text("a,b,c,species\n" + "\n".join(rows) + "\n")
    data = load(f"csv:{path}", key, test_fraction=0.25)
    assert data.X_train.shape == (30, 3) and data.X_test.shape == (10, 3)
    assert data.classes.tolist() == ["setosa", "versicolor", "virginica"]
    assert np.bincount(data.y_test).tolist() in ([3, 5, 2], [2, 5, 3])  # stratified
    assert set(data.decode(data.y_test).tolist()) == {"setosa", "versicolor", "virginica"}
    by_name = load(f"csv:{path}", key, label_column="species", test_fraction=0.25)
    np.testing.assert_array_equal(by_name.X_train, data.X_train)
    # Labels of new data are encoded with a trained model's classes.
    path.write_text("a,b,c,species\n1,2,3,virginica\n4,5,6,setosa\n")
    with pytest.raises(
        DataError, match=r"the labels of 'csv:.*' holds 1 class|y_train holds 1 class"
    ):
        load(f"csv:{path}", key, test_fraction=0.5)
    new = load(f"csv:{path}", key, test_fraction=0.5, classes=data.classes)
    assert sorted(new.decode(np.concatenate([new.y_train, new.y_test])).tolist()) == [
        "setosa",
        "virginica",
    ]
    path.write_text("a,b,c,species\n1,2,3,virginica\n4,5,6,daisy\n")
    with pytest.raises(
        DataError, match=r"holds the label 'daisy', which is not one of the 3 classes"
    ):
        load(f"csv:{path}", key, test_fraction=0.5, classes=data.classes)


def test_npz_spec_with_its_own_test_split_and_images(tmp_path, key):
    x = np.arange(12 * 4 * 4, dtype=np.uint8).reshape(12, 4, 4)
    y = np.array([3, 5] * 6)
    path = tmp_path / "images.npz"
    np.savez(path, x=x, y=y, x_test=x[:4], y_test=y[:4])
    data = load(f"npz:{path}", key)
    assert data.X_train.shape == (12, 4, 4) and data.n_features == 16  # not flattened unless asked
    np.testing.assert_allclose(data.X_train, x / 255, rtol=1e-6)  # 8-bit pixels scaled to [0, 1]
    assert data.classes.tolist() == [3, 5] and data.y_test.tolist() == [0, 1, 0, 1]
    assert load(f"npz:{path}", key, flatten=True).X_train.shape == (12, 16)


def test_idx_spec(tmp_path, key):
    rng = np.random.default_rng(0)
    for role, name in IDX_FILES.items():
        n = 9 if "train" in role else 3
        array = rng.integers(0, 256, (n, 2, 2)) if role.startswith("X") else np.arange(n) % 3
        write_idx(tmp_path / (name + ".gz"), array.astype(np.uint8), compress=True)
    for kind in ("idx", "mnist"):
        data = load(f"{kind}:{tmp_path}", key, flatten=True)
        assert data.X_train.shape == (9, 4) and data.X_test.shape == (3, 4) and data.n_classes == 3
        assert data.image_shape == (2, 2)


def test_image_data_know_their_image_shape_flattened_or_not(tmp_path, key):
    x = np.zeros((8, 3, 5, 2), np.uint8)  # 3 x 5 images of 2 channels
    np.savez(tmp_path / "rgb.npz", x=x, y=np.arange(8) % 2)
    np.savez(tmp_path / "rows.npz", x=x.reshape(8, -1), y=np.arange(8) % 2)
    for flatten in (False, True):
        assert load(f"npz:{tmp_path / 'rgb.npz'}", key, flatten=flatten).image_shape == (3, 5, 2)
        assert load(f"npz:{tmp_path / 'rows.npz'}", key, flatten=flatten).image_shape is None
    assert load("digits", key).image_shape == (8, 8)
    assert load("moons", key).image_shape is None
    path = tmp_path / "rows.csv"
    path.write_text("x1,x2,label\n1,2,b\n3,4,a\n5,6,b\n7,8,a\n")
    assert load(f"csv:{path}", key, test_fraction=0.5).image_shape is None


def test_read_gives_every_example_in_file_order(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("x1,x2,label\n1,2,b\n3,4,a\n5,6,b\n")
    X, y = read(f"csv:{path}")
    np.testing.assert_array_equal(X, [[1, 2], [3, 4], [5, 6]])
    assert X.dtype == np.float32 and y.tolist() == ["b", "a", "b"]
    x = np.arange(6 * 4, dtype=np.uint8).reshape(6, 2, 2)
    np.savez(tmp_path / "images.npz", x=x[:4], y=np.arange(4), x_test=x[4:], y_test=[7, 8])
    X, y = read(f"npz:{tmp_path / 'images.npz'}", flatten=True)
    np.testing.assert_allclose(X, x.reshape(6, 4) / 255, rtol=1e-6)
    assert y.tolist() == [0, 1, 2, 3, 7, 8]  # the training file, then the test file
    with pytest.raises(DataError, match="synthetic"):
        read("moons")


def test_validation_is_held_out_before_the_scaler_is_fitted(key):
    data = load("blobs", key, validation=0.2, scale="standardize")
    assert len(data.X_train) == 240 and len(data.X_val) == 60 and len(data.X_test) == 300
    np.testing.assert_allclose(data.X_train.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(data.X_train.std(axis=0), 1, atol=1e-5)
    assert np.abs(data.X_val.mean(axis=0)).max() > 1e-3  # scaled with the training statistics
    np.testing.assert_array_equal(np.bincount(data.y_val), [20, 20, 20])
    assert data.scaler.name == "standardize"


def test_with_validation_returns_a_new_dataset(key):
    data = load("moons", key, n=200)
    X_train = data.X_train.copy()
    held_out = data.with_validation(jax.random.key(1), 0.25)
    assert held_out.X_train.shape == (150, 2) and held_out.X_val.shape == (50, 2)
    np.testing.assert_array_equal(np.bincount(held_out.y_val), [25, 25])
    np.testing.assert_array_equal(data.X_train, X_train)
    assert data.X_val is None
    with pytest.raises(DataError, match=r"already has a validation split"):
        held_out.with_validation(key)
    with pytest.raises(DataError, match=r"fraction=1.0 must be a fraction in \(0, 1\)"):
        data.with_validation(key, 1.0)


def test_load_does_not_modify_user_files_arrays(tmp_path, key):
    path = tmp_path / "data.npz"
    x, y = np.arange(20.0).reshape(10, 2), np.arange(10) % 2
    np.savez(path, x=x, y=y)
    before = path.read_bytes()
    data = load(f"npz:{path}", key, scale="minmax")
    assert path.read_bytes() == before
    data.X_train[:] = 0  # the dataset's arrays are its own
    assert load(f"npz:{path}", key).X_train.max() > 0


@pytest.mark.parametrize(
    ("spec", "kwargs", "message"),
    [
        (
            "moon",
            {},
            r"data spec 'moon' is not known; choose one of \['digits', 'fashion-mnist', 'mnist:DIR', .*\]; did you mean 'moons'\?",
        ),
        ("fashion_mnist", {}, r"did you mean 'fashion-mnist'\?"),
        ("csv", {}, r"data spec 'csv' needs a path: csv:PATH"),
        ("idx", {}, r"data spec 'idx' needs a directory: idx:DIR"),
        ("digits:extra", {}, r"digits takes no argument"),
        (
            "spirals:arms=3",
            {},
            r"spirals has no option 'arms'; its options are \['n', 'k', 'noise', 'turns'\]",
        ),
        ("moons:nosie=0.1", {}, r"did you mean 'noise'\?"),
        ("moons:n=many", {}, r"moons option n='many' must be a number"),
        ("moons:n=0", {}, r"n=0 must be an integer >= 2"),
        ("digits", {"n": 10}, r"n and noise apply to synthetic data, not to 'digits'"),
        ("moons", {"test_fraction": 1.0}, r"test_fraction=1.0 must be a fraction in \(0, 1\)"),
        ("moons", {"validation": -0.1}, r"validation=-0.1 must be a finite number > 0"),
        ("moons", {"scale": "z"}, r"scale='z' is not known"),
        ("csv:/no/such/file.csv", {}, r"CSV file '/no/such/file.csv' does not exist"),
        ("npz:/no/such/file.npz", {}, r"NPZ file '/no/such/file.npz' does not exist"),
        ("mnist:/no/such/dir", {}, r"IDX directory '/no/such/dir' does not exist"),
        ("fashion-mnist:/no/such/dir", {}, r"IDX directory '/no/such/dir' does not exist"),
        (42, {}, r"data spec must be a string such as 'digits', got 42"),
    ],
    ids=lambda value: value if isinstance(value, str) and len(value) < 30 else None,
)
def test_bad_specs_raise_a_clear_error(spec, kwargs, message, key):
    with pytest.raises(DataError, match=message):
        load(spec, key, **kwargs)


def test_single_class_file_is_refused(tmp_path, key):
    path = tmp_path / "one.npz"
    np.savez(path, x=np.zeros((5, 2)), y=np.full(5, 7))
    with pytest.raises(
        DataError, match=r"y_train holds 1 class \(\[7\]\); classification needs at least 2"
    ):
        load(f"npz:{path}", key)


@pytest.mark.heavy
@pytest.mark.slow
def test_fashion_mnist_from_the_debian_package(key):
    if not os.path.isdir(FASHION_MNIST_DIR):
        pytest.skip(
            f"Fashion-MNIST is not installed in {FASHION_MNIST_DIR} (apt-get install dataset-fashion-mnist)"
        )
    data = load("fashion-mnist", key, flatten=True)
    assert data.X_train.shape == (60000, 784) and data.X_test.shape == (10000, 784)
    assert data.X_train.dtype == data.X_test.dtype == np.float32
    assert 0 <= data.X_train.min() and data.X_train.max() <= 1
    assert data.y_train.dtype == np.int32 and set(np.unique(data.y_test)) == set(range(10))
    np.testing.assert_array_equal(np.bincount(data.y_train), [6000] * 10)
    assert load("fashion-mnist", key).X_train.shape == (60000, 28, 28)


# Files whose numbers would mislead: each refused by load and read, naming the file's own place.


def write_idx_labels(directory, train_labels, test_labels=(0, 1, 9)):
    for role, name in IDX_FILES.items():
        labels = np.array(train_labels if "train" in role else test_labels, np.uint8)
        array = np.zeros((len(labels), 2, 2), np.uint8) if role.startswith("X") else labels
        write_idx(directory / (name + ".gz"), array, compress=True)


@pytest.mark.parametrize("kind", ["mnist", "fashion-mnist"])
def test_named_idx_dataset_refuses_labels_outside_its_classes(kind, tmp_path, key):
    write_idx_labels(tmp_path, [0, 9, 3, 10, 1, 11])
    name = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST"}[kind]
    message = (
        rf"{name} IDX file '.*train-labels-idx1-ubyte.gz' holds the label 10 at index 3; its "
        r"labels are the 10 classes 0..9"
    )
    for call in (lambda: load(f"{kind}:{tmp_path}", key), lambda: read(f"{kind}:{tmp_path}")):
        with pytest.raises(DataError, match=message):
            call()
    data = load(f"idx:{tmp_path}", key)  # a plain IDX directory: its labels are its classes
    assert data.classes.tolist() == [0, 1, 3, 9, 10, 11]


def test_digits_refuses_labels_outside_0_to_9(key, monkeypatch):
    import sklearn.datasets

    real = sklearn.datasets.load_digits()
    target = real.target.copy()
    target[5] = 10
    fake = types.SimpleNamespace(data=real.data, images=real.images, target=target)
    monkeypatch.setattr(sklearn.datasets, "load_digits", lambda: fake)
    with pytest.raises(
        DataError,
        match=r"scikit-learn's digits holds the label 10 at index 5; its labels are the 10 classes",
    ):
        load("digits", key)


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        (
            {"x": np.where(np.arange(90).reshape(30, 3) == 23, 1e39, 0.5), "y": np.arange(30) % 2},
            r"x in '.*data.npz' holds 1e\+39 at index \(7, 2\), beyond the range of float32",
        ),
        (
            {"x": np.zeros((30, 0)), "y": np.arange(30) % 2},
            r"x in '.*data.npz' has no feature columns: shape \(30, 0\)",
        ),
        (
            {"x": np.zeros((30, 3)), "y": np.where(np.arange(30) == 4, 1e39, np.arange(30) % 2)},
            r"holds the label 1e\+39, beyond the range of int64",
        ),
    ],
    ids=["x-overflows-float32", "x-without-columns", "label-overflows-int64"],
)
def test_npz_values_are_refused_where_they_are_in_the_file(arrays, message, tmp_path, key):
    np.savez(tmp_path / "data.npz", **arrays)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning from a cast before the error
        for call in (
            lambda: load(f"npz:{tmp_path / 'data.npz'}", key),
            lambda: read(f"npz:{tmp_path / 'data.npz'}"),
        ):
            with pytest.raises(DataError, match=message) as error:
                call()
            assert "X_train" not in str(error.value)  # a split's row is not the file's row


def test_csv_value_beyond_float32_names_the_line_of_the_file(tmp_path, key):
    path = tmp_path / "data.csv"
    rows = [f"{i},{i % 2}" for i in range(30)]
    rows[20] = "1e39,0"
    path.write_text("x,label\n" + "\n".join(rows) + "\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(
            DataError,
            match=r"CSV file '.*data.csv', line 22, column 1 \('x'\): '1e39' is beyond the "
            r"range of float32",
        ):
            load(f"csv:{path}", key)


# --- Example weights ---------------------------------------------------------------------------


def _weighted_rows(n=40):
    """Features, labels and weights whose weight is read off the row: ``w = 10 + x_0``."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 2)).astype(np.float32)
    return X, np.arange(n) % 2, 10 + X[:, 0].astype(np.float64)


def _assert_each_weight_stays_with_its_row(data):
    for part in ("train", "val", "test"):
        X, w = getattr(data, f"X_{part}"), getattr(data, f"w_{part}")
        np.testing.assert_allclose(w, 10 + X[:, 0], rtol=1e-6)


@pytest.mark.parametrize("column", ["w", 1], ids=["name", "index"])
def test_a_csv_weight_column_leaves_the_features_and_follows_its_rows(column, tmp_path, key):
    X, y, w = _weighted_rows()
    path = tmp_path / "w.csv"
    rows = "".join(f"{a},{float(ww)!r},{b},{label}\n" for (a, b), ww, label in zip(X, w, y))
    path.write_text("a,w,b,label\n" + rows)
    data = load(f"csv:{path}", key, weight_column=column, validation=0.25)
    assert data.n_features == 2  # the weights are not a feature
    assert len(data.w_train) + len(data.w_val) + len(data.w_test) == len(X)
    _assert_each_weight_stays_with_its_row(data)
    X_all, y_all = read(f"csv:{path}", weight_column=column)
    np.testing.assert_array_equal(X_all, X)


def test_npz_weights_follow_their_rows_and_a_dataset_without_them_has_none(tmp_path, key):
    X, y, w = _weighted_rows()
    np.savez(tmp_path / "w.npz", x=X, y=y, w=w)
    data = load(f"npz:{tmp_path / 'w.npz'}", key, validation=0.25)
    _assert_each_weight_stays_with_its_row(data)
    later = load(f"npz:{tmp_path / 'w.npz'}", key).with_validation(key, 0.25)
    _assert_each_weight_stays_with_its_row(later)
    plain = load("moons:n=20", key, validation=0.25)
    assert plain.w_train is None and plain.w_val is None and plain.w_test is None


BAD_WEIGHTS = {
    "csv-negative": ("a,w,label\n1,1,0\n2,-0.5,1\n", dict(weight_column="w"), r"line 3, column 2 \('w'\): the weight '-0.5' must be a finite number >= 0"),
    "csv-not-a-number": ("a,w,label\n1,x,0\n2,1,1\n", dict(weight_column="w"), r"line 2, column 2 \('w'\): the weight 'x' must be"),
    "csv-unknown-column": ("a,w,label\n1,1,0\n2,1,1\n", dict(weight_column="weight"), r"weight_column='weight' is not known; choose one of \['a', 'w', 'label'\]"),
    "csv-label-column": ("a,w,label\n1,1,0\n2,1,1\n", dict(weight_column=-1), r"weight_column=-1 is the label column"),
    "csv-out-of-range": ("a,w,label\n1,1,0\n2,1,1\n", dict(weight_column=5), r"weight_column=5 is out of range"),
    "npz-negative": (dict(x=np.zeros((4, 2)), y=np.arange(4) % 2, w=np.array([1, 1, -1.0, 1])), {}, r"NPZ file '.*': w\[2\]=-1.0 must be a finite number >= 0"),
    "npz-length": (dict(x=np.zeros((4, 2)), y=np.arange(4) % 2, w=np.ones(3)), {}, r"x has 4 samples but w has 3"),
    "npz-w-test-alone": (dict(x=np.zeros((4, 2)), y=np.arange(4) % 2, w_test=np.ones(4)), {}, r"holds w_test but no x_test"),
    "weight-column-of-npz": (dict(x=np.zeros((4, 2)), y=np.arange(4) % 2), dict(weight_column=0), r"weight_column=0 applies to CSV files"),
}  # fmt: skip


@pytest.mark.parametrize("content, kwargs, message", BAD_WEIGHTS.values(), ids=BAD_WEIGHTS.keys())
def test_bad_weights_in_a_file_name_the_file_and_the_place(content, kwargs, message, tmp_path, key):
    if isinstance(content, str):
        path = tmp_path / "w.csv"
        path.write_text(content)
        spec = f"csv:{path}"
    else:
        np.savez(tmp_path / "w.npz", **content)
        spec = f"npz:{tmp_path / 'w.npz'}"
    with pytest.raises(DataError, match=message):
        load(spec, key, test_fraction=0.5, **kwargs)
