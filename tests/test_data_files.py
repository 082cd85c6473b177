"""IDX, CSV and NPZ files: round trips, and a clear error naming the file for each damage."""

import gzip
import os
import re

import numpy as np
import pytest

from jaxmlp.data import DataError, idx, load_idx_dir, read_csv, read_idx, read_npz, write_idx

# --- IDX ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gzip"])
@pytest.mark.parametrize(
    "array",
    [
        np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4),
        np.arange(5, dtype=np.uint8),
        np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3),
        np.array([-300, 0, 300], dtype=np.int16),
    ],
    ids=["images-uint8", "labels-uint8", "float32", "int16"],
)
def test_idx_round_trip(array, compress, tmp_path):
    path = tmp_path / "data-idx"
    write_idx(path, array, compress=compress)
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == compress
    read = read_idx(path)
    assert read.dtype == array.dtype and read.dtype.isnative
    np.testing.assert_array_equal(read, array)
    read[...] = 0  # a writable copy, not a view of the file's bytes


def test_idx_gzip_is_detected_by_magic_bytes_not_by_name(tmp_path):
    array = np.arange(12, dtype=np.uint8).reshape(3, 4)
    write_idx(tmp_path / "gzipped-but-named-raw", array, compress=True)
    write_idx(tmp_path / "raw-but-named.gz", array, compress=False)
    np.testing.assert_array_equal(read_idx(tmp_path / "gzipped-but-named-raw"), array)
    np.testing.assert_array_equal(read_idx(tmp_path / "raw-but-named.gz"), array)


def idx_bytes(array):
    header = bytes([0, 0, 0x08, array.ndim]) + np.asarray(array.shape, ">u4").tobytes()
    return header + array.astype(np.uint8).tobytes()


GOOD = idx_bytes(np.zeros((2, 3, 3), np.uint8))


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gzip"])
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x01\x02" + GOOD[2:], r"bad magic number 0102"),
        (b"", r"bad magic number empty file"),
        (GOOD[:2] + b"\x0a" + GOOD[3:], r"unknown data type code 0x0A"),
        (GOOD[:6], r"truncated header: 6 bytes for 3 dimensions"),
        (
            GOOD[:-5],
            r"holds 29 bytes but its header \(shape \(2, 3, 3\), uint8\) needs 34; the file is truncated \(5 bytes missing\)",
        ),
        (GOOD + b"\0" * 4, r"holds 38 bytes .* needs 34; the file is too long"),
        (
            idx_bytes(np.zeros((2, 3, 4), np.uint8))[:16] + GOOD[16:],
            r"holds 34 bytes but its header \(shape \(2, 3, 4\), uint8\) needs 40",
        ),
    ],
    ids=[
        "bad-magic",
        "empty",
        "bad-type-code",
        "truncated-header",
        "truncated-data",
        "too-long",
        "wrong-dims",
    ],
)
def test_broken_idx_file_names_the_file_and_the_problem(content, message, compress, tmp_path):
    path = tmp_path / "broken-idx3-ubyte"
    path.write_bytes(gzip.compress(content) if compress else content)
    with pytest.raises(DataError, match=re.escape(repr(str(path))) + ".*" + message):
        read_idx(path)


def test_truncated_gzip_is_reported_as_damaged(tmp_path):
    path = tmp_path / "images.gz"
    path.write_bytes(gzip.compress(GOOD)[:-12])
    with pytest.raises(DataError, match=re.escape(repr(str(path))) + " is a damaged gzip file"):
        read_idx(path)


def test_missing_or_unreadable_path_is_named(tmp_path):
    with pytest.raises(DataError, match=r"IDX file '.*nope' does not exist"):
        read_idx(tmp_path / "nope")
    with pytest.raises(DataError, match=r"IDX file '.*' is a directory, expected a file"):
        read_idx(tmp_path)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file_is_named(tmp_path):
    path = tmp_path / "secret"
    path.write_bytes(GOOD)
    path.chmod(0)
    with pytest.raises(DataError, match=r"'.*secret' is not readable \(permission denied\)"):
        read_idx(path)


def write_idx_dir(directory, n_train=6, n_test=4, names=None):
    rng = np.random.default_rng(0)
    arrays = {
        "X_train": rng.integers(0, 256, (n_train, 5, 5), dtype=np.uint8),
        "y_train": np.arange(n_train, dtype=np.uint8) % 3,
        "X_test": rng.integers(0, 256, (n_test, 5, 5), dtype=np.uint8),
        "y_test": np.arange(n_test, dtype=np.uint8) % 3,
    }
    names = names or {role: name + ".gz" for role, name in idx.IDX_FILES.items()}
    for role, name in names.items():
        write_idx(directory / name, arrays[role], compress=name.endswith(".gz"))
    return arrays


def test_load_idx_dir_finds_the_usual_names_gzip_raw_or_dotted(tmp_path):
    names = {
        "X_train": "train-images-idx3-ubyte.gz",
        "y_train": "train-labels-idx1-ubyte",
        "X_test": "t10k-images.idx3-ubyte",
        "y_test": "t10k-labels.idx1-ubyte.gz",
    }
    arrays = write_idx_dir(tmp_path, names=names)
    X_train, y_train, X_test, y_test = load_idx_dir(tmp_path)
    assert X_train.shape == (6, 5, 5) and X_test.shape == (4, 5, 5)
    np.testing.assert_array_equal(X_train, arrays["X_train"])
    np.testing.assert_array_equal(y_test, arrays["y_test"])
    X_train, _, X_test, _ = load_idx_dir(str(tmp_path), flatten=True)
    assert X_train.shape == (6, 25) and X_test.shape == (4, 25)
    np.testing.assert_array_equal(X_train, arrays["X_train"].reshape(6, 25))


def test_load_idx_dir_names_the_missing_file(tmp_path):
    write_idx_dir(tmp_path)
    os.remove(tmp_path / "t10k-labels-idx1-ubyte.gz")
    with pytest.raises(DataError, match=r"IDX directory '.*' lacks t10k-labels-idx1-ubyte\[.gz\]$"):
        load_idx_dir(tmp_path)
    with pytest.raises(DataError, match=r"IDX directory '.*elsewhere' does not exist"):
        load_idx_dir(tmp_path / "elsewhere")


def test_load_idx_dir_with_images_and_labels_of_different_lengths(tmp_path):
    write_idx_dir(tmp_path)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(5, np.uint8), compress=True)
    with pytest.raises(
        DataError,
        match=r"train-images-idx3-ubyte.gz' and .*train-labels-idx1-ubyte.gz' hold 6 images but 5 labels",
    ):
        load_idx_dir(tmp_path)


def test_fashion_mnist_absent_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setattr(idx, "FASHION_MNIST_DIR", str(tmp_path / "absent"))
    with pytest.raises(
        DataError, match=r"apt-get install dataset-fashion-mnist.*pass the directory"
    ):
        idx.load_fashion_mnist()


# --- CSV ---------------------------------------------------------------------------------------


def write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_csv_with_header_detected_and_string_labels(tmp_path):
    path = write(
        tmp_path, "sepal, petal ,species\n1.5,2,setosa\n3,4.25,virginica\n\n5,-6e-1,setosa\n"
    )
    X, y = read_csv(path)
    np.testing.assert_array_equal(X, np.array([[1.5, 2], [3, 4.25], [5, -0.6]], np.float32))
    assert X.dtype == np.float32
    assert y.tolist() == ["setosa", "virginica", "setosa"]


def test_csv_without_header_integer_labels_detected(tmp_path):
    path = write(tmp_path, "1,2,0\n3,4,1.0\n")
    X, y = read_csv(path)
    assert X.shape == (2, 2) and y.dtype == np.int64 and y.tolist() == [0, 1]
    X, y = read_csv(path, header=False)
    assert X.shape == (2, 2)
    X, y = read_csv(path, header=True)  # the first row taken as names
    assert X.shape == (1, 2) and y.tolist() == [1]


@pytest.mark.parametrize(
    ("label_column", "expected_y", "expected_first_row"),
    [
        ("label", [7, 8], [1, 2]),
        (0, [7, 8], [1, 2]),
        (-3, [7, 8], [1, 2]),
        ("b", [2, 4], [7, 1]),
        (-1, [2, 4], [7, 1]),
    ],
    ids=["by-name", "by-index", "negative-index", "another-name", "last"],
)
def test_csv_label_column_by_name_or_index(label_column, expected_y, expected_first_row, tmp_path):
    path = write(tmp_path, "label,a,b\n7,1,2\n8,3,4\n")
    X, y = read_csv(path, label_column=label_column)
    assert y.tolist() == expected_y
    assert X[0].tolist() == expected_first_row


def test_csv_quoted_labels_may_hold_the_delimiter(tmp_path):
    X, y = read_csv(write(tmp_path, 'x,label\n1,"a, b"\n2,"c"\n'))
    assert X.tolist() == [[1], [2]] and y.tolist() == ["a, b", "c"]


def test_csv_other_delimiter(tmp_path):
    X, y = read_csv(write(tmp_path, "x;y;label\n1;2;a\n3;4;b\n"), delimiter=";")
    assert X.shape == (2, 2) and y.tolist() == ["a", "b"]


@pytest.mark.parametrize(
    ("text", "kwargs", "message"),
    [
        ("a,b,label\n1,2,x\n3,oops,y\n", {}, r"line 3, column 2 \('b'\): 'oops' is not a number"),
        ("1,2,x\n3,,y\n", {}, r"line 2, column 2: an empty field is not a number"),
        ("a,b,label\n1,2,x\n\n3,4\n", {}, r"line 4: 2 fields, but the header has 3"),
        ("1,2,x\n3,4,y,5\n", {}, r"line 2: 4 fields, but line 1 has 3"),
        ("a,b,label\n1,2,x\n3,nan,y\n", {}, r"line 3, column 2 \('b'\): 'nan' is not finite"),
        ("a,b,label\n1,2,x\n3,4,\n", {}, r"line 3, column 3 \('label'\): the label is empty"),
        (
            "a,b,label\n1,2,x\n",
            {"label_column": "lable"},
            r"label_column='lable' is not known; choose one of \['a', 'b', 'label'\]; did you mean 'label'\?",
        ),
        (
            "1,2,3\n4,5,6\n",
            {"label_column": "c", "header": False},
            r"label_column='c' is a name, but CSV file '.*' is read without a header",
        ),
        (
            "1,2,3\n4,5,6\n",
            {"label_column": 3},
            r"label_column=3 is out of range for CSV file '.*', which has 3 columns \(indices -3 to 2\)",
        ),
        ("", {}, r"CSV file '.*' is empty"),
        ("a,b,label\n", {}, r"CSV file '.*' has no data rows"),
        ("1\n2\n", {}, r"has 1 column; it needs features and a label column"),
        ('1,2,"x\n', {}, r"line 1: unexpected end of data"),
    ],
    ids=[
        "non-numeric",
        "empty-field",
        "ragged-short",
        "ragged-long",
        "nan",
        "empty-label",
        "unknown-name",
        "name-without-header",
        "index-out-of-range",
        "empty",
        "header-only",
        "one-column",
        "open-quote",
    ],
)
def test_malformed_csv_names_file_line_and_column(text, kwargs, message, tmp_path):
    path = write(tmp_path, text)
    with pytest.raises(DataError, match=message) as error:
        read_csv(path, **kwargs)
    assert "data.csv" in str(error.value) or "label_column" in str(error.value)


def test_csv_not_utf8_names_the_line(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("a,b,label\n1,2,x\n3,4,caf\u00e9\n".encode("latin-1"))
    with pytest.raises(DataError, match=r"latin1.csv', line 3: not UTF-8 text"):
        read_csv(path)


def test_csv_missing_file(tmp_path):
    with pytest.raises(DataError, match=r"CSV file '.*missing.csv' does not exist"):
        read_csv(tmp_path / "missing.csv")


# --- NPZ ---------------------------------------------------------------------------------------


def test_npz_round_trip_with_and_without_test_split(tmp_path):
    x = np.arange(24, dtype=np.uint8).reshape(6, 2, 2)
    y = np.array(["a", "b"] * 3)
    np.savez(tmp_path / "train.npz", x=x, y=y)
    X, Y, X_test, y_test = read_npz(tmp_path / "train.npz")
    np.testing.assert_array_equal(X, x)
    assert Y.tolist() == y.tolist() and X_test is None and y_test is None
    np.savez_compressed(tmp_path / "both.npz", x=x, y=y, x_test=x[:2], y_test=y[:2])
    X, _, X_test, y_test = read_npz(tmp_path / "both.npz", flatten=True)
    assert X.shape == (6, 4) and X_test.shape == (2, 4) and y_test.tolist() == ["a", "b"]


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        (
            {"X": np.zeros((2, 2)), "y": np.zeros(2)},
            r"lacks the array\(s\) \['x'\]; it holds \['X', 'y'\], expected 'x' and 'y'",
        ),
        (
            {"x": np.zeros((2, 2)), "y": np.zeros(2), "x_test": np.zeros((1, 2))},
            r"lacks the array\(s\) \['y_test'\]",
        ),
        (
            {"x": np.array([[1, "a"]], dtype=object), "y": np.zeros(1)},
            r"array 'x' holds Python objects \(dtype object\), which are not loaded \(allow_pickle=False\)",
        ),
        ({"x": np.zeros((3, 2)), "y": np.zeros(2)}, r"x has 3 samples but y has 2 in '.*'"),
        (
            {"x": np.array([[0.0, np.inf]]), "y": np.zeros(1)},
            r"x in '.*' holds a non-finite value \(inf\) at index \(0, 1\)",
        ),
        (
            {"x": np.array(["a", "b"]), "y": np.zeros(2)},
            r"x in '.*' must hold numbers, got dtype <U1",
        ),
        ({"x": np.zeros((0, 2)), "y": np.zeros(0)}, r"x in '.*' has 0 samples"),
    ],
    ids=[
        "missing-x",
        "x_test-without-y_test",
        "object-array",
        "length-mismatch",
        "infinite",
        "strings",
        "empty",
    ],
)
def test_bad_npz_names_the_file_and_the_problem(arrays, message, tmp_path):
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(DataError, match=message) as error:
        read_npz(path)
    assert "bad.npz" in str(error.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"not a zip file", r"is not a readable .npz archive"), (None, r"holds a single .npy array")],
    ids=["garbage", "npy"],
)
def test_not_an_npz_archive(content, message, tmp_path):
    path = tmp_path / "data.npz"
    if content is None:
        with open(path, "wb") as file:
            np.save(file, np.zeros(3))
    else:
        path.write_bytes(content)
    with pytest.raises(DataError, match=r"NPZ file '.*data.npz' " + message):
        read_npz(path)


def test_truncated_npz_is_reported(tmp_path):
    path = tmp_path / "cut.npz"
    np.savez(path, x=np.zeros((50, 4)), y=np.zeros(50))
    path.write_bytes(path.read_bytes()[:-200])
    with pytest.raises(DataError, match=r"NPZ file '.*cut.npz'"):
        read_npz(path)
