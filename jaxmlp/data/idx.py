"""MNIST-format IDX files, raw or gzipped, and the directories that hold a train/test pair.

An IDX file is two zero bytes, a data type code, the number of dimensions ``k``, then ``k``
big-endian ``uint32`` sizes and the values, big-endian, in C order. Gzip is recognised by its
magic bytes, not by the file name.
"""

from __future__ import annotations

import gzip
import math
import os
import zlib

import numpy as np

from .checks import DataError, check_directory, check_features, read_bytes
from .labels import check_class_indices

# IDX data type codes and the big-endian numpy types they stand for.
IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
GZIP_MAGIC = b"\x1f\x8b"

FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"
FASHION_MNIST_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
# The four files of an MNIST-style directory, under the names they are published with.
IDX_FILES = {
    "X_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "X_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}


def read_idx(path) -> np.ndarray:
    """Reads one IDX file (raw or gzip) into an array of its native type and shape.

    Args:
      path: the file.

    Returns:
      The array, e.g. ``(n, 28, 28) uint8`` images or ``(n,) uint8`` labels.

    Raises:
      DataError: the file is missing, unreadable, not gzip/IDX, or its size does not match
        the sizes in its header.
    """
    path = os.fspath(path)
    data = read_bytes(path, "IDX file")
    if data[:2] == GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as error:
            raise DataError(f"IDX file {path!r} is a damaged gzip file: {error}") from None
    if len(data) < 4 or data[:2] != b"\0\0":
        raise DataError(
            f"IDX file {path!r} has a bad magic number {data[:4].hex() or 'empty file'}; "
            "an IDX file starts with two zero bytes, a type code and the number of dimensions"
        )
    code, ndim = data[2], data[3]
    if code not in IDX_DTYPES:
        known = ", ".join(f"0x{c:02X}" for c in IDX_DTYPES)
        raise DataError(
            f"IDX file {path!r} has an unknown data type code 0x{code:02X}; expected one of {known}"
        )
    if ndim == 0 or len(data) < 4 + 4 * ndim:
        raise DataError(
            f"IDX file {path!r} has a truncated header: {len(data)} bytes for {ndim} dimensions"
        )
    shape = tuple(int(s) for s in np.frombuffer(data, ">u4", count=ndim, offset=4))
    dtype = IDX_DTYPES[code]
    # Python integers: sizes whose product wraps around in int64 cannot match a short file.
    expected = 4 + 4 * ndim + math.prod(shape) * dtype.itemsize
    if len(data) != expected:
        raise DataError(
            f"IDX file {path!r} holds {len(data)} bytes but its header (shape {shape}, "
            f"{dtype.name}) needs {expected}; the file is {_truncated_or_long(len(data), expected)}"
        )
    values = np.frombuffer(data, dtype, offset=4 + 4 * ndim).reshape(shape)
    return values.astype(dtype.newbyteorder("="))  # a writable copy in native byte order


def write_idx(path, array, *, compress: bool = False) -> None:
    """Writes ``array`` as an IDX file (gzipped if ``compress``), the inverse of ``read_idx``."""
    array = np.asarray(array)
    codes = {dtype.newbyteorder("="): code for code, dtype in IDX_DTYPES.items()}
    if array.dtype not in codes or array.ndim == 0:
        raise DataError(
            f"array of dtype {array.dtype} and shape {array.shape} cannot be written as IDX; "
            f"expected at least 1 dimension and one of {sorted(str(d) for d in codes)}"
        )
    header = bytes([0, 0, codes[array.dtype], array.ndim])
    header += np.asarray(array.shape, ">u4").tobytes()
    data = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    with open(path, "wb") as file:
        file.write(gzip.compress(data) if compress else data)


def find_idx_files(directory) -> dict[str, str]:
    """The paths of the four MNIST-style files in ``directory``, by role.

    Each role (``X_train``, ``y_train``, ``X_test``, ``y_test``) accepts the published name,
    with ``.gz`` or not, and the common variant with a dot (``train-images.idx3-ubyte``).

    Raises:
      DataError: the directory is missing, or lacks one of the files.
    """
    directory = check_directory(directory, "IDX directory")
    found, missing = {}, []
    for role, name in IDX_FILES.items():
        dotted = name.replace("-idx", ".idx")
        candidates = [name, name + ".gz", dotted, dotted + ".gz"]
        paths = [os.path.join(directory, c) for c in candidates]
        existing = [p for p in paths if os.path.isfile(p)]
        if existing:
            found[role] = existing[0]
        else:
            missing.append(f"{name}[.gz]")
    if missing:
        raise DataError(f"IDX directory {directory!r} lacks {', '.join(missing)}")
    return found


def load_idx_dir(
    directory, *, flatten: bool = False, n_classes: int | None = None, dataset: str = "IDX"
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Reads the train and test images and labels of an MNIST-style directory.

    Args:
      directory: the folder holding ``train-images-idx3-ubyte[.gz]``, ``train-labels-...``,
        ``t10k-images-...`` and ``t10k-labels-...``.
      flatten: return images as ``(n, h * w)`` rows instead of ``(n, h, w)``.
      n_classes: the number of classes of a named dataset whose labels are ``0 .. c-1``
        (10 for MNIST); a label outside them is refused. ``None`` accepts any labels.
      dataset: the dataset's name in messages, e.g. ``"MNIST"``.

    Returns:
      ``X_train: (n, h, w)``, ``y_train: (n,)``, ``X_test: (m, h, w)``, ``y_test: (m,)``,
      in the files' types (``uint8`` for MNIST and Fashion-MNIST).

    Raises:
      DataError: a file is missing or damaged; images without pixels, or with a value that
        is not finite in ``float32``; images and labels of different lengths; train and
        test images of different shapes; a label outside ``0 .. n_classes-1``. The message
        names the file.
    """
    paths = find_idx_files(directory)
    arrays = {role: read_idx(path) for role, path in paths.items()}
    for split in ("train", "test"):
        images, labels = f"X_{split}", f"y_{split}"
        X, y = arrays[images], arrays[labels]
        if X.ndim < 2:
            raise DataError(
                f"IDX file {paths[images]!r} should hold images (n, h, w), got shape {X.shape}"
            )
        check_features(X, "the image array", file=paths[images])
        if y.ndim != 1:
            raise DataError(f"IDX file {paths[labels]!r} should hold labels (n,), got {y.shape}")
        if len(X) != len(y):
            raise DataError(
                f"IDX files {paths[images]!r} and {paths[labels]!r} hold {len(X)} images but "
                f"{len(y)} labels"
            )
        if n_classes is not None:
            check_class_indices(y, n_classes, f"{dataset} IDX file {paths[labels]!r}")
        if flatten:
            arrays[images] = X.reshape(len(X), -1)
    if arrays["X_test"].shape[1:] != arrays["X_train"].shape[1:]:
        raise DataError(
            f"IDX file {paths['X_test']!r} holds images of shape {arrays['X_test'].shape[1:]} "
            f"but {paths['X_train']!r} holds {arrays['X_train'].shape[1:]}; they must match"
        )
    return arrays["X_train"], arrays["y_train"], arrays["X_test"], arrays["y_test"]


def load_fashion_mnist(
    directory=None, *, flatten: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Fashion-MNIST: 60000 training and 10000 test images ``28 x 28 uint8``, labels 0..9.

    Args:
      directory: where the IDX files are; by default ``FASHION_MNIST_DIR``, where the Debian
        package ``dataset-fashion-mnist`` installs them.
      flatten: return images as ``(n, 784)`` rows instead of ``(n, 28, 28)``.

    Returns:
      ``X_train, y_train, X_test, y_test`` as in ``load_idx_dir``.
    """
    if directory is None:
        if not os.path.isdir(FASHION_MNIST_DIR):
            raise DataError(
                f"Fashion-MNIST is not installed in {FASHION_MNIST_DIR}: install it with "
                "`sudo apt-get install dataset-fashion-mnist`, or pass the directory that "
                "holds its IDX files (idx:DIR)"
            )
        directory = FASHION_MNIST_DIR
    n_classes = len(FASHION_MNIST_CLASSES)
    return load_idx_dir(directory, flatten=flatten, n_classes=n_classes, dataset="Fashion-MNIST")


def _truncated_or_long(actual: int, expected: int) -> str:
    if actual < expected:
        return f"truncated ({expected - actual} bytes missing)"
    return f"too long ({actual - expected} bytes more than the header describes)"
