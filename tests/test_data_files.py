"""IDX, CSV and NPZ files: round trips, and a clear error naming the file for each damage."""

import gzip
import io
import math
import os
import re
import struct
import warnings
import zipfile

import numpy as np
import pytest

from jaxmlp.data import (
    DataError,
    checks,
    idx,
    load_idx_dir,
    read_csv,
    read_idx,
    read_npz,
    write_idx,
)

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


# --- NPZ headers: checked against the bytes the archive holds, before anything is allocated ---


def npy_bytes(shape, descr="<f8", data=b"", *, version=1, header=None):
    """A ``.npy`` file written by hand, so that its header may claim anything."""
    if header is None:
        header = repr({"descr": descr, "fortran_order": False, "shape": shape})
    text = header.encode("latin1") + b"\n"
    length = struct.pack("<H" if version == 1 else "<I", len(text))
    return b"\x93NUMPY" + bytes([version, 0]) + length + text + data


def npy(array, version=None):
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.asarray(array), version=version, allow_pickle=False)
    return buffer.getvalue()


def write_npz(path, compression=zipfile.ZIP_STORED, **members):
    """An ``.npz`` archive of ``.npy`` members given as bytes (or as arrays)."""
    with zipfile.ZipFile(path, "w", compression) as archive:
        for key, raw in members.items():
            archive.writestr(key + ".npy", raw if isinstance(raw, bytes) else npy(raw))
    return path


GOOD_NPZ = {
    "x": np.zeros((30, 5)),
    "y": np.arange(30) % 2,
    "x_test": np.zeros((4, 5)),
    "y_test": np.arange(4) % 2,
}


@pytest.mark.parametrize(
    "compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED], ids=["stored", "deflated"]
)
@pytest.mark.parametrize("key", ["x", "y", "x_test", "y_test"])
def test_npz_header_claiming_a_huge_shape_names_the_file_and_the_array(key, compression, tmp_path):
    shape = (10**11, 5) if key.startswith("x") else (10**11,)
    members = {**GOOD_NPZ, key: npy_bytes(shape, data=b"\0" * 64)}
    path = write_npz(tmp_path / "huge.npz", compression, **members)
    assert path.stat().st_size < 4096  # the claim is 4 TB (x) or 800 GB (y)
    needed = math.prod(shape) * 8
    message = (
        rf"NPZ file '.*huge.npz': array '{key}' has a header claiming shape "
        rf"{re.escape(str(shape))} of float64, which needs {needed} bytes, but the archive "
        r"holds 64 bytes for it: it is truncated or damaged"
    )
    with pytest.raises(DataError, match=message):
        read_npz(path)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            npy_bytes((2**32, 2**32), "|u1"),  # the product wraps to 0 in int64
            r"has a header claiming shape \(4294967296, 4294967296\) of uint8, which needs "
            r"18446744073709551616 bytes, but the archive holds 0 bytes for it: it is truncated",
        ),
        (
            npy_bytes((30, 5), data=bytes(30 * 5 * 8 + 8)),
            r"has a header claiming shape \(30, 5\) of float64, which needs 1200 bytes, but the archive "
            r"holds 1208 bytes for it: it is too long or damaged",
        ),
        (
            npy_bytes((0, 10**30)),
            r"has a header claiming shape \(0, 1000000000000000000000000000000\): ",
        ),
        (
            npy_bytes(None, header=repr({"descr": "<f8", "fortran_order": False, "shape": (30, 5)}) + " " * 20000),
            r"has a header of 20\d\d\d bytes, more than the 10000 that numpy parses safely "
            r"\(np.load's max_header_size\)",
        ),
        (
            npy_bytes((30, 5), "|O", data=b"\x80\x04N."),
            r"holds Python objects \(dtype object\), which are not loaded \(allow_pickle=False\)",
        ),
        (npy_bytes((-30, 5)), r"has a header with an invalid shape \(-30, 5\)"),
        (npy_bytes((30, 5), "<z9"), r"has a header with an invalid dtype '<z9'"),
        (npy_bytes(None, header="[1, 2]"), r"has a header that is not a .npy header \('\[1, 2\]'\)"),
        (npy_bytes((30, 5), "|S0"), r"has dtype \|S0, whose items are 0 bytes long"),
        (npy_bytes((30, 5), version=9), r"has .npy format version 9.0; known versions are 1.0, 2.0, 3.0"),
        (npy(np.zeros((30, 5)))[:9], r"is truncated inside its header"),
        (npy(np.zeros((30, 5)))[:40], r"is truncated inside its header \(40 bytes, the header needs 128\)"),
        (b"x,y\n1,2\n", r"is not a .npy array: it does not start with \\x93NUMPY"),
    ],
    ids=[
        "shape-wraps-int64",
        "too-long",
        "empty-but-too-big-for-numpy",
        "header-too-long",
        "object-dtype",
        "negative-size",
        "bad-dtype",
        "not-a-dict",
        "zero-size-items",
        "unknown-version",
        "cut-in-header-length",
        "cut-in-header",
        "not-npy",
    ],
)  # fmt: skip
def test_npz_damaged_header_names_the_file_the_array_and_the_reason(raw, message, tmp_path):
    path = write_npz(tmp_path / "bad.npz", **{**GOOD_NPZ, "x": raw})
    with pytest.raises(DataError, match=r"NPZ file '.*bad.npz': array 'x' " + message) as error:
        read_npz(path)
    assert str(error.value).count("\n") == 0
    if "Python objects" not in message:
        assert "Python objects" not in str(error.value)


@pytest.mark.parametrize(
    "x",
    [
        np.arange(12.0).reshape(4, 3),
        np.asfortranarray(np.arange(12, dtype=np.float32).reshape(4, 3)),
        np.arange(4 * 2 * 3, dtype=np.uint8).reshape(4, 2, 3),
        np.arange(12, dtype=">i2").reshape(4, 3),
        np.array([[True, False]] * 4),
    ],
    ids=["float64", "fortran-float32", "uint8-images", "big-endian-int16", "bool"],
)
@pytest.mark.parametrize(
    ("save", "version"),
    [("savez", None), ("savez_compressed", None), ("members", (1, 0)), ("members", (2, 0)), ("members", (3, 0))],
    ids=["savez", "savez_compressed", "npy-v1", "npy-v2", "npy-v3"],
)  # fmt: skip
def test_npz_arrays_read_as_np_load_reads_them(x, save, version, tmp_path):
    y = np.array(["a", "bb", "a", "ccc"])
    path = tmp_path / "data.npz"
    if save == "members":
        write_npz(path, x=npy(x, version), y=npy(y, version))
    else:
        getattr(np, save)(path, x=x, y=y)
    X, Y, _, _ = read_npz(path)
    with np.load(path, allow_pickle=False) as expected:
        for got, want in ((X, expected["x"]), (Y, expected["y"])):
            assert got.dtype == want.dtype and got.shape == want.shape
            np.testing.assert_array_equal(got, want)
            assert got.flags.writeable
    np.testing.assert_array_equal(X, x)


# --- Features: no empty columns, test features like the training features, float32 range ---


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        ({"x": np.zeros((30, 0)), "y": np.arange(30) % 2}, r"x in '.*data.npz' has no feature columns: shape \(30, 0\)"),
        ({"x": np.zeros((30, 0, 28)), "y": np.arange(30) % 2}, r"x in '.*data.npz' has no feature columns: shape \(30, 0, 28\)"),
        ({**GOOD_NPZ, "x_test": np.zeros((4, 0))}, r"x_test in '.*data.npz' has no feature columns: shape \(4, 0\)"),
        ({**GOOD_NPZ, "x_test": np.zeros((4, 6))}, r"NPZ file '.*data.npz': x_test has examples of shape \(6,\) but x has \(5,\); both must have the same features"),
        ({**GOOD_NPZ, "y_test": np.arange(3) % 2}, r"x_test has 4 samples but y_test has 3 in '.*data.npz'"),
    ],
    ids=["no-columns", "images-without-rows", "x_test-no-columns", "x_test-other-width", "y_test-shorter"],
)  # fmt: skip
def test_npz_features_that_do_not_fit_name_the_file_and_the_array(arrays, message, tmp_path):
    np.savez(tmp_path / "data.npz", **arrays)
    with pytest.raises(DataError, match=message):
        read_npz(tmp_path / "data.npz")


def overflowing(key, index, value):
    arrays = {k: v.copy() for k, v in GOOD_NPZ.items()}
    arrays[key][index] = value
    return arrays


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        (overflowing("x", (7, 2), 1e39), r"x in '.*data.npz' holds 1e\+39 at index \(7, 2\), beyond the range of float32"),
        (overflowing("x_test", (3, 4), -1e39), r"x_test in '.*data.npz' holds -1e\+39 at index \(3, 4\), beyond the range of float32"),
        (overflowing("x", (29, 0), np.nan), r"x in '.*data.npz' holds a non-finite value \(nan\) at index \(29, 0\)"),
        (overflowing("x_test", (0, 1), -np.inf), r"x_test in '.*data.npz' holds a non-finite value \(-inf\) at index \(0, 1\)"),
    ],
    ids=["overflow", "x_test-overflow", "nan", "x_test-inf"],
)  # fmt: skip
def test_npz_values_float32_cannot_hold_name_the_array_and_index_without_warnings(
    arrays, message, tmp_path
):
    np.savez(tmp_path / "data.npz", **arrays)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a RuntimeWarning from a cast fails the test
        with pytest.raises(DataError, match=message):
            read_npz(tmp_path / "data.npz")


def test_float32_range_check_agrees_with_the_cast():
    limit = checks.FLOAT32_OVERFLOW
    biggest = float(np.finfo(np.float32).max)
    values = [biggest, -biggest, np.nextafter(limit, 0), -np.nextafter(limit, 0), limit, -limit]
    values += [1e39, np.nextafter(limit, np.inf)]
    for dtype in (np.float64, np.longdouble):
        for value in values:
            X = np.full((2, 2), value, dtype)
            with np.errstate(over="ignore"):
                overflows = bool(np.isinf(X.astype(np.float32)).any())
            if overflows:
                with pytest.raises(DataError, match=r"beyond the range of float32"):
                    checks.check_features(X)
            else:
                assert checks.check_features(X) is X
    assert (
        checks.check_features(np.full((1, 1), np.finfo(np.float16).max, np.float16)).dtype
        == np.float16
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a,b,label\n\n1,2,x\n3,1e39,y\n", r"line 4, column 2 \('b'\): '1e39' is beyond the range of float32"),
        ("1,2,x\n3,4,y\n-1e39,4,y\n", r"line 3, column 1: '-1e39' is beyond the range of float32"),
        ("a,b,label\n1,2,x\n3,-inf,y\n", r"line 3, column 2 \('b'\): '-inf' is not finite"),
    ],
    ids=["overflow-after-a-blank-line", "negative-overflow", "minus-infinity"],
)  # fmt: skip
def test_csv_values_float32_cannot_hold_name_the_line_and_column_without_warnings(
    text, message, tmp_path
):
    path = write(tmp_path, text)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(DataError, match=message):
            read_csv(path)


def test_csv_integral_label_beyond_int64_stays_a_number_without_warnings(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, y = read_csv(write(tmp_path, "1,2,0\n3,4,1\n5,6,1e39\n"))
    assert y.dtype == np.float64 and y.tolist() == [0.0, 1.0, 1e39]


# --- IDX: header sizes against the file's bytes; features; a named dataset's classes ---


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gzip"])
@pytest.mark.parametrize(
    ("shape", "data", "needed"),
    [
        ((10**9, 28, 28), bytes(20), 16 + 784 * 10**9),
        ((2**31, 2**31, 4), b"", 16 + 2**64),  # the product wraps to 0 in int64
        ((2**32 - 1, 2**32 - 1), bytes(4), 12 + (2**32 - 1) ** 2),
    ],
    ids=["billion-images", "wraps-int64", "largest-sizes"],
)
def test_idx_header_claiming_more_than_the_file_holds_names_the_file(
    shape, data, needed, compress, tmp_path
):
    content = bytes([0, 0, 0x08, len(shape)]) + np.asarray(shape, ">u4").tobytes() + data
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(gzip.compress(content) if compress else content)
    message = rf"IDX file '.*train-images-idx3-ubyte' holds {len(content)} bytes but its header "
    message += rf"\(shape {re.escape(str(shape))}, uint8\) needs {needed}; the file is truncated"
    with pytest.raises(DataError, match=message):
        read_idx(path)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (1e39, r"the image array in '.*train-images-idx3-ubyte.gz' holds 1e\+39 at index \(2, 1, 3\), beyond the range of float32"),
        (np.nan, r"the image array in '.*train-images-idx3-ubyte.gz' holds a non-finite value \(nan\) at index \(2, 1, 3\)"),
    ],
    ids=["overflow", "nan"],
)  # fmt: skip
def test_idx_float_images_float32_cannot_hold_name_the_file_and_index(value, message, tmp_path):
    write_idx_dir(tmp_path)
    images = np.zeros((6, 5, 5))
    images[2, 1, 3] = value
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", images, compress=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(DataError, match=message):
            load_idx_dir(tmp_path)


def test_idx_images_without_pixels_or_of_another_shape_name_the_file(tmp_path):
    write_idx_dir(tmp_path)
    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", np.zeros((4, 5, 6), np.uint8), compress=True)
    with pytest.raises(
        DataError,
        match=r"IDX file '.*t10k-images-idx3-ubyte.gz' holds images of shape \(5, 6\) but "
        r"'.*train-images-idx3-ubyte.gz' holds \(5, 5\); they must match",
    ):
        load_idx_dir(tmp_path)
    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", np.zeros((4, 0, 5), np.uint8), compress=True)
    with pytest.raises(
        DataError,
        match=r"the image array in '.*t10k-images-idx3-ubyte.gz' has no feature columns: shape \(4, 0, 5\)",
    ):
        load_idx_dir(tmp_path)


@pytest.mark.parametrize(
    ("role", "labels", "bad"),
    [
        ("y_train", [0, 1, 2, 10, 3, 11], "10 at index 3"),
        ("y_test", [255, 0, 1, 2], "255 at index 0"),
    ],
    ids=["train-label-10", "test-label-255"],
)
def test_fashion_mnist_labels_outside_0_to_9_name_the_file_and_the_first_index(
    role, labels, bad, tmp_path
):
    write_idx_dir(tmp_path)
    name = idx.IDX_FILES[role] + ".gz"
    write_idx(tmp_path / name, np.array(labels, np.uint8), compress=True)
    message = rf"Fashion-MNIST IDX file '.*{name}' holds the label {bad}; its labels are the "
    with pytest.raises(DataError, match=message + r"10 classes 0..9"):
        idx.load_fashion_mnist(tmp_path)
    with pytest.raises(DataError, match=message.replace("Fashion-MNIST", "MNIST")):
        load_idx_dir(tmp_path, n_classes=10, dataset="MNIST")
    arrays = dict(zip(("X_train", "y_train", "X_test", "y_test"), load_idx_dir(tmp_path)))
    assert arrays[role].tolist() == labels  # any labels, where the classes are not known
