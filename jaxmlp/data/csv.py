"""CSV files of numeric features and one label column, with errors that name the line and column.

Lines and columns in messages count from 1, as a text editor shows them.
"""

from __future__ import annotations

import csv
import io
import os

import numpy as np

from .checks import FLOAT32_OVERFLOW, DataError, beyond_float32, check_choice, read_bytes
from .labels import INT64_LIMIT


def read_csv(
    path, *, label_column: int | str = -1, header: bool | None = None, delimiter: str = ",",
    weight_column: int | str | None = None,
) -> tuple[np.ndarray, ...]:  # fmt: skip
    """Reads a CSV file of numeric features, one column of labels and optionally one of weights.

    Args:
      path: the file.
      label_column: the labels' column: an index (negative counts from the end, default the
        last column) or a name from the header.
      header: whether the first row names the columns; ``None`` detects it: the first row is
        a header if it has a non-number in a column where the second row has a number.
      delimiter: the field separator.
      weight_column: a column of example weights (finite, ``>= 0``), an index or a name, taken
        out of the features; ``None``: none.

    Returns:
      ``X: (n, d) float32`` features and ``y: (n,)`` labels: ``int64`` if every label is an
      integer, ``float64`` for other numbers, else ``str``; with a ``weight_column``, then
      ``w: (n,) float64`` the weights.

    Raises:
      DataError: the file is missing or unreadable, ragged, or a feature is not a finite
        number, or a weight not a finite number ``>= 0``; the message names the file, line
        and column.
    """
    path = os.fspath(path)
    rows, lines = _read_rows(path, delimiter)
    if header is None:
        named = isinstance(label_column, str) or isinstance(weight_column, str)
        header = named or _looks_like_header(rows)
    names = [name.strip() for name in rows[0]] if header else None
    if header:
        rows, lines = rows[1:], lines[1:]
    if not rows:
        raise DataError(f"CSV file {path!r} has no data rows")
    width = len(names) if names else len(rows[0])
    for row, line in zip(rows, lines):
        if len(row) != width:
            first = "the header" if header else f"line {lines[0]}"
            raise DataError(
                f"CSV file {path!r}, line {line}: {len(row)} fields, but {first} has {width}"
            )
    if width < 2:
        raise DataError(
            f"CSV file {path!r} has {width} column; it needs features and a label column"
        )
    label = _column_index(label_column, names, width, path)
    weight = None
    if weight_column is not None:
        weight = _column_index(weight_column, names, width, path, "weight_column")
        if weight == label:
            raise DataError(
                f"weight_column={weight_column!r} is the label column of CSV file {path!r}; "
                "the weights need a column of their own"
            )
        if width < 3:
            raise DataError(
                f"CSV file {path!r} has {width} columns; with weights it needs features, a "
                "label column and a weight column"
            )
    cells = np.char.strip(np.array(rows, dtype=str))  # (n, width)
    features = [j for j in range(width) if j not in (label, weight)]

    def where(i: int, j: int) -> str:
        name = f" ({names[j]!r})" if names else ""
        return f"CSV file {path!r}, line {lines[i]}, column {j + 1}{name}"

    try:
        X = cells[:, features].astype(np.float64)
    except ValueError:  # find the culprit, parsing one field at a time
        X = np.empty((len(cells), len(features)))
        for i in range(len(cells)):
            for column, j in enumerate(features):
                try:
                    X[i, column] = float(cells[i, j])
                except ValueError:
                    text = repr(str(cells[i, j])) if cells[i, j] else "an empty field"
                    raise DataError(f"{where(i, j)}: {text} is not a number") from None
    bad = beyond_float32(X)
    if bad.any():
        i, column = (int(v) for v in np.argwhere(bad)[0])
        j = features[column]
        text = repr(str(cells[i, j]))
        if np.isfinite(X[i, column]):
            raise DataError(
                f"{where(i, j)}: {text} is beyond the range of float32 (magnitudes below "
                f"{FLOAT32_OVERFLOW:.4g}) that the MLP computes in; rescale that column"
            )
        raise DataError(f"{where(i, j)}: {text} is not finite; remove or impute it")
    y = _parse_labels(cells[:, label])
    if y.dtype.kind == "U" and (y == "").any():
        i = int(np.argmax(y == ""))
        raise DataError(f"{where(i, label)}: the label is empty")
    if weight is None:
        return X.astype(np.float32), y
    return X.astype(np.float32), y, _weights(cells[:, weight], lambda i: where(i, weight))


def _weights(cells: np.ndarray, where) -> np.ndarray:
    """The weight column as ``float64``; a ``DataError`` names the first that is not a finite
    number ``>= 0``."""
    w = np.empty(len(cells))
    for i, cell in enumerate(cells):
        try:
            w[i] = float(cell)
        except ValueError:
            w[i] = np.nan
        if not (np.isfinite(w[i]) and w[i] >= 0):
            text = repr(str(cell)) if cell else "an empty field"
            raise DataError(f"{where(i)}: the weight {text} must be a finite number >= 0")
    return w


def _read_rows(path: str, delimiter: str) -> tuple[list[list[str]], list[int]]:
    """The non-blank rows of the file and the line number where each ends."""
    data = read_bytes(path, "CSV file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        message = f"CSV file {path!r}, line {line}: not UTF-8 text ({error.reason})"
        raise DataError(message) from None
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows, lines = [], []
    try:
        for row in reader:
            if row and any(field.strip() for field in row):
                rows.append(row)
                lines.append(reader.line_num)
    except csv.Error as error:
        raise DataError(f"CSV file {path!r}, line {reader.line_num}: {error}") from None
    if not rows:
        raise DataError(f"CSV file {path!r} is empty")
    return rows, lines


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _looks_like_header(rows: list[list[str]]) -> bool:
    first = rows[0]
    if len(rows) == 1:
        return not any(_is_number(field) for field in first)
    second = rows[1]
    return any(not _is_number(a) and _is_number(b) for a, b in zip(first, second, strict=False))


def _column_index(
    column, names: list[str] | None, width: int, path: str, name: str = "label_column"
) -> int:
    """The index of ``column`` (an index, negative from the end, or a header name)."""
    if isinstance(column, str):
        if names is None:
            raise DataError(
                f"{name}={column!r} is a name, but CSV file {path!r} is read "
                "without a header; give the column's index instead"
            )
        return names.index(check_choice(column, name, names))
    if isinstance(column, bool) or not isinstance(column, int | np.integer):
        raise DataError(f"{name}={column!r} must be a column index or a name")
    if not -width <= column < width:
        raise DataError(
            f"{name}={column} is out of range for CSV file {path!r}, which has "
            f"{width} columns (indices {-width} to {width - 1})"
        )
    return int(column) % width


def _parse_labels(labels: np.ndarray) -> np.ndarray:
    """Labels ``(n,)`` as ``int64`` if all are integers, ``float64`` if all numbers, else str."""
    try:
        values = labels.astype(np.float64)
    except ValueError:
        return labels
    integral = np.isfinite(values) & (values == np.round(values)) & (np.abs(values) < INT64_LIMIT)
    if integral.all():
        return values.astype(np.int64)
    return values
