"""NPZ archives holding arrays ``x`` and ``y`` (and optionally ``x_test``, ``y_test``, and the
examples' weights ``w``, ``w_test``).

Each array's ``.npy`` header is read here rather than by ``np.load``: an archive cannot run
code (there is no pickle), an array of Python objects is refused with a message saying so,
and the shape a header claims is checked against the bytes the archive holds for it before
anything is allocated, so a damaged or crafted header gives an error, not a ``MemoryError``.
"""

from __future__ import annotations

import ast
import io
import math
import os
import struct
import zipfile
import zlib

import numpy as np

from .checks import DataError, check_features, check_same_length, read_bytes

NPZ_KEYS = ("x", "y", "x_test", "y_test", "w", "w_test")
NPY_MAGIC = b"\x93NUMPY"
# The .npy format versions: how the header's length is stored, and the header's encoding.
NPY_VERSIONS = {1: ("<H", "latin1"), 2: ("<I", "latin1"), 3: ("<I", "utf8")}
# np.load's default max_header_size: numpy refuses to parse a longer header, as unsafe.
MAX_HEADER_SIZE = 10000


def read_npz(path, *, flatten: bool = False, weights: bool = False) -> tuple:
    """Reads features and labels from an ``.npz`` archive (``np.savez(path, x=X, y=y)``).

    Args:
      path: the file.
      flatten: return ``x: (n, h, w)`` images as ``(n, h * w)`` rows.
      weights: also return the examples' weights ``w: (n,)`` and ``w_test: (m,)``, finite
        and ``>= 0`` (``None`` where the archive has none).

    Returns:
      ``X: (n, ...)``, ``y: (n,)``, and ``X_test``, ``y_test`` or ``None`` where the archive
      has no ``x_test``/``y_test``; arrays keep their stored types; with ``weights``, then
      ``w``, ``w_test`` as ``float64`` or ``None``.

    Raises:
      DataError: the file is missing, unreadable or not an archive; ``x`` or ``y`` is
        missing; an array holds Python objects, is damaged, or holds fewer or more bytes
        than its header's shape needs; ``x`` has no features or a value that is not finite
        in ``float32``; lengths differ; ``x_test`` has other features than ``x``; a weight
        is not a finite number ``>= 0``, or ``w_test`` comes without ``x_test``.
    """
    path = os.fspath(path)
    data = read_bytes(path, "NPZ file")
    if data.startswith(NPY_MAGIC):
        raise DataError(
            f"NPZ file {path!r} holds a single .npy array; expected an .npz archive with "
            "arrays x and y, saved with np.savez(path, x=X, y=y)"
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
        raise DataError(f"NPZ file {path!r} is not a readable .npz archive: {error}") from None
    with archive:
        members = {}  # key -> member name, as np.load names them: "x.npy" is x
        for name in archive.namelist():
            members.setdefault(name.removesuffix(".npy"), name)
        keys = list(members)
        missing = [key for key in ("x", "y") if key not in keys]
        if ("x_test" in keys) != ("y_test" in keys):
            missing += ["y_test" if "x_test" in keys else "x_test"]
        if missing:
            raise DataError(
                f"NPZ file {path!r} lacks the array(s) {missing}; it holds {keys}, expected "
                "'x' and 'y' (and optionally both 'x_test' and 'y_test')"
            )
        arrays = {
            key: _read_member(archive, members[key], key, path) for key in NPZ_KEYS if key in keys
        }
    for x_key, y_key in (("x", "y"), ("x_test", "y_test")):
        if x_key in arrays:
            X = check_features(arrays[x_key], x_key, file=path)
            check_same_length(X, arrays[y_key], f"{x_key}, {y_key}", file=path)
            arrays[x_key] = X.reshape(len(X), -1) if flatten else X
    if "x_test" in arrays and arrays["x_test"].shape[1:] != arrays["x"].shape[1:]:
        raise DataError(
            f"NPZ file {path!r}: x_test has examples of shape {arrays['x_test'].shape[1:]} but "
            f"x has {arrays['x'].shape[1:]}; both must have the same features"
        )
    examples = arrays["x"], arrays["y"], arrays.get("x_test"), arrays.get("y_test")
    if not weights:
        return examples
    if "w_test" in arrays and "x_test" not in arrays:
        raise DataError(f"NPZ file {path!r} holds w_test but no x_test for it to weigh")
    w = [
        _weights(arrays[key], key, arrays[x_key], x_key, path) if key in arrays else None
        for key, x_key in (("w", "x"), ("w_test", "x_test"))
    ]
    return (*examples, *w)


def _weights(w: np.ndarray, key: str, X: np.ndarray, x_key: str, path: str) -> np.ndarray:
    """``w: (n,)`` the weights of the examples ``X`` (array ``x_key``) as ``float64``, checked."""
    if w.ndim != 1 or w.dtype.kind not in "biuf":
        raise DataError(
            f"NPZ file {path!r}: {key} must be a 1-D array of numbers (one weight per example "
            f"of {x_key}), got shape {w.shape} of {w.dtype}"
        )
    check_same_length(X, w, f"{x_key}, {key}", file=path)
    w = w.astype(np.float64)
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        i = int(np.argmax(bad))
        raise DataError(f"NPZ file {path!r}: {key}[{i}]={w[i]} must be a finite number >= 0")
    return w


def _read_member(archive: zipfile.ZipFile, name: str, key: str, path: str) -> np.ndarray:
    """The array stored in the archive member ``name``, a writable copy."""
    try:
        # What is read is the data the member really holds, whatever its headers claim.
        raw = archive.read(name)
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error, NotImplementedError) as error:
        raise DataError(f"NPZ file {path!r}: array {key!r} is damaged: {error}") from None
    except RuntimeError as error:  # zipfile's "File ... is encrypted, password required"
        raise DataError(f"NPZ file {path!r}: array {key!r} cannot be read: {error}") from None
    return npy_array(raw, f"NPZ file {path!r}: array {key!r}")


def npy_array(raw: bytes, what: str = "the .npy data") -> np.ndarray:
    """The array in the bytes of one ``.npy`` file, checked against its header first.

    Args:
      raw: the whole ``.npy`` file (as ``np.save`` writes it).
      what: how messages name it, e.g. ``"NPZ file 'a.npz': array 'x'"``.

    Raises:
      DataError: not ``.npy`` data; a header that is too long, malformed, or describes
        Python objects; or data whose size differs from what the header's shape needs.
    """
    if not raw.startswith(NPY_MAGIC) or len(raw) < len(NPY_MAGIC) + 2:
        raise DataError(f"{what} is not a .npy array: it does not start with \\x93NUMPY")
    major, minor = raw[6], raw[7]
    if major not in NPY_VERSIONS:
        raise DataError(
            f"{what} has .npy format version {major}.{minor}; known versions are "
            f"{', '.join(f'{v}.0' for v in NPY_VERSIONS)}"
        )
    length_format, encoding = NPY_VERSIONS[major]
    start = 8 + struct.calcsize(length_format)
    if len(raw) < start:
        raise DataError(f"{what} is truncated inside its header")
    (length,) = struct.unpack_from(length_format, raw, 8)
    if length > MAX_HEADER_SIZE:
        raise DataError(
            f"{what} has a header of {length} bytes, more than the {MAX_HEADER_SIZE} that "
            "numpy parses safely (np.load's max_header_size); np.save writes under 200 for "
            "such an array: the file is damaged or was not written by numpy"
        )
    if len(raw) < start + length:
        raise DataError(
            f"{what} is truncated inside its header ({len(raw)} bytes, the header needs "
            f"{start + length})"
        )
    shape, fortran_order, dtype = _parse_header(raw[start : start + length], encoding, what)
    if dtype.hasobject:
        raise DataError(
            f"{what} holds Python objects (dtype {dtype}), which are not loaded "
            "(allow_pickle=False); save numbers or fixed-width strings"
        )
    if dtype.itemsize == 0:
        raise DataError(f"{what} has dtype {dtype}, whose items are 0 bytes long")
    count = math.prod(shape)  # Python integers: no overflow, whatever the header claims
    needed, held = count * dtype.itemsize, len(raw) - start - length
    if held != needed:
        problem = "truncated" if held < needed else "too long"
        raise DataError(
            f"{what} has a header claiming shape {shape} of {dtype}, which needs {needed} "
            f"bytes, but the archive holds {held} bytes for it: it is {problem} or damaged"
        )
    values = np.frombuffer(raw, dtype, count=count, offset=start + length)
    try:
        if fortran_order:
            return values.reshape(shape[::-1]).transpose().copy()
        return values.reshape(shape).copy()
    except (ValueError, OverflowError) as error:  # e.g. an empty shape (0, 10**30)
        raise DataError(f"{what} has a header claiming shape {shape}: {error}") from None


def _parse_header(header: bytes, encoding: str, what: str) -> tuple[tuple, bool, np.dtype]:
    """``shape``, ``fortran_order`` and ``dtype`` from the text of a ``.npy`` header."""
    try:
        fields = ast.literal_eval(header.decode(encoding))
    except (ValueError, SyntaxError, UnicodeDecodeError, MemoryError, RecursionError):
        fields = None
    keys = {"descr", "fortran_order", "shape"}
    if not isinstance(fields, dict) or fields.keys() != keys:
        text = header.decode("latin1").strip()
        raise DataError(
            f"{what} has a header that is not a .npy header ({text[:80]!r}); expected a "
            "dict of 'descr', 'fortran_order' and 'shape'"
        )
    shape, fortran_order = fields["shape"], fields["fortran_order"]
    valid = isinstance(shape, tuple) and all(
        isinstance(size, int) and not isinstance(size, bool) and size >= 0 for size in shape
    )
    if not valid:
        raise DataError(f"{what} has a header with an invalid shape {shape!r}")
    if not isinstance(fortran_order, bool):
        raise DataError(f"{what} has a header with fortran_order={fortran_order!r}")
    try:
        dtype = np.lib.format.descr_to_dtype(fields["descr"])
    except (TypeError, ValueError) as error:
        raise DataError(
            f"{what} has a header with an invalid dtype {fields['descr']!r}: {error}"
        ) from None
    return shape, fortran_order, dtype
