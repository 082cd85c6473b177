"""NPZ archives holding arrays ``x`` and ``y`` (and optionally ``x_test``, ``y_test``).

They are loaded with ``allow_pickle=False``: an archive cannot run code, and an array of Python
objects is refused with a message saying so.
"""

from __future__ import annotations

import io
import os
import zipfile
import zlib

import numpy as np

from .checks import DataError, check_features, check_same_length, read_bytes

NPZ_KEYS = ("x", "y", "x_test", "y_test")


def read_npz(
    path, *, flatten: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Reads features and labels from an ``.npz`` archive (``np.savez(path, x=X, y=y)``).

    Args:
      path: the file.
      flatten: return ``x: (n, h, w)`` images as ``(n, h * w)`` rows.

    Returns:
      ``X: (n, ...)``, ``y: (n,)``, and ``X_test``, ``y_test`` or ``None`` where the archive
      has no ``x_test``/``y_test``; arrays keep their stored types.

    Raises:
      DataError: the file is missing, unreadable or not an archive; ``x`` or ``y`` is
        missing; an array holds Python objects or is damaged; lengths differ.
    """
    path = os.fspath(path)
    data = read_bytes(path, "NPZ file")
    if data.startswith(b"\x93NUMPY"):
        raise DataError(
            f"NPZ file {path!r} holds a single .npy array; expected an .npz archive with "
            "arrays x and y, saved with np.savez(path, x=X, y=y)"
        )
    try:
        archive = np.load(io.BytesIO(data), allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
        raise DataError(f"NPZ file {path!r} is not a readable .npz archive: {error}") from None
    with archive:
        keys = list(archive.files)
        missing = [key for key in ("x", "y") if key not in keys]
        if ("x_test" in keys) != ("y_test" in keys):
            missing += ["y_test" if "x_test" in keys else "x_test"]
        if missing:
            raise DataError(
                f"NPZ file {path!r} lacks the array(s) {missing}; it holds {keys}, expected "
                "'x' and 'y' (and optionally both 'x_test' and 'y_test')"
            )
        arrays = {key: _read_array(archive, key, path) for key in NPZ_KEYS if key in keys}
    for x_key, y_key in (("x", "y"), ("x_test", "y_test")):
        if x_key in arrays:
            X = check_features(arrays[x_key], x_key, file=path)
            check_same_length(X, arrays[y_key], f"{x_key}, {y_key}", file=path)
            arrays[x_key] = X.reshape(len(X), -1) if flatten else X
    return arrays["x"], arrays["y"], arrays.get("x_test"), arrays.get("y_test")


def _read_array(archive, key: str, path: str) -> np.ndarray:
    try:
        return archive[key]
    except ValueError as error:
        if "allow_pickle" in str(error):
            raise DataError(
                f"NPZ file {path!r}: array {key!r} holds Python objects (dtype object), which "
                "are not loaded (allow_pickle=False); save numbers or fixed-width strings"
            ) from None
        raise DataError(f"NPZ file {path!r}: array {key!r} is damaged: {error}") from None
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as error:
        raise DataError(f"NPZ file {path!r}: array {key!r} is damaged: {error}") from None
