"""``load``: a ``Dataset`` from the data spec the command line takes (``--data``).

A spec is a name, with a path or directory after a colon for files (``csv:iris.csv``) and
options for synthetic data (``spirals:n=600,k=4,noise=0.1``).

Example:
  >>> import jax
  >>> from jaxmlp.data import load
  >>> data = load("moons:n=100", jax.random.key(0))
  >>> data.X_train.shape, data.X_test.shape, data.n_classes
  ((100, 2), (100, 2), 2)
"""

from __future__ import annotations

import difflib
import inspect

import jax
import numpy as np

from . import synthetic
from .catalog import FILE_KINDS as FILE_KINDS
from .catalog import REGRESSION as REGRESSION
from .catalog import SPECS as SPECS
from .checks import DataError, check_features, check_key, check_real
from .csv import read_csv
from .dataset import Dataset
from .digits import load_digits
from .idx import load_fashion_mnist, load_idx_dir
from .labels import LabelEncoder, check_labels, label_encoder
from .npz import read_npz
from .preprocessing import fit_scaler
from .splits import split

CLASSIFIERS = {
    "xor": synthetic.xor,
    "moons": synthetic.two_moons,
    "circles": synthetic.circles,
    "spirals": synthetic.spirals,
    "blobs": synthetic.blobs,
}
# load("xor") is a noisy cloud; "xor:n=4,noise=0" gives the four points.
SYNTHETIC_DEFAULTS = {"xor": {"n": 200, "noise": 0.2}}


def load(
    spec: str,
    key,
    *,
    n: int | None = None,
    noise: float | None = None,
    flatten: bool = False,
    test_fraction: float = 0.2,
    validation: float = 0.0,
    scale: str | None = None,
    label_column: int | str = -1,
    header: bool | None = None,
    classes=None,
    weight_column: int | str | None = None,
) -> Dataset:
    """Loads the dataset ``spec`` as train and test splits.

    Datasets without their own test split (digits, CSV, an NPZ without ``x_test``) get a
    stratified one drawn with ``key``; synthetic datasets get an independent test sample of
    the same size. Features become ``float32``; 8-bit (``uint8``) pixels are scaled to
    ``[0, 1]``. Labels become class indices ``0 .. c-1``; ``classes`` keeps the originals.

    Args:
      spec: ``digits``, ``fashion-mnist[:DIR]``, ``mnist:DIR``, ``idx:DIR``, ``csv:PATH``,
        ``npz:PATH``, a synthetic classifier (``xor``, ``moons``, ``circles``, ``spirals``,
        ``blobs``) or regression target (``sine``, ``abs``, ``step``, ``sawtooth``), each with
        optional generator options: ``spirals:n=600,k=4``.
      key: PRNG key for synthetic data and random splits.
      n: number of synthetic training samples (same as ``:n=`` in the spec).
      noise: noise of synthetic data (same as ``:noise=`` in the spec).
      flatten: return images ``(n, h, w)`` as rows ``(n, h * w)``; unflattened images are
        refused by the MLP.
      test_fraction: share of the data held out for testing where there is no test split.
      validation: share of the training split held out as ``X_val``, ``y_val`` before any
        scaler is fitted.
      scale: ``"standardize"``, ``"standardize_global"`` or ``"minmax"`` (``SCALERS``),
        fitted on the training split only.
      label_column: for CSV, the labels' column index or name (default: the last).
      header: for CSV, whether the first row is a header (``None``: detect it).
      classes: ``(c,)`` original labels to encode against (those of a trained model), instead
        of the labels found in the training split.
      weight_column: for CSV, a column of example weights (index or name), taken out of the
        features. An NPZ archive's weights are its arrays ``w`` (and ``w_test``). The splits
        keep each example's weight (``Dataset.w_train`` ...).

    Returns:
      The ``Dataset``.

    Raises:
      DataError: an unknown spec or option, or a missing or malformed file.
    """
    key = check_key(key)
    if not isinstance(spec, str):
        raise DataError(f"data spec must be a string such as 'digits', got {spec!r}")
    kind, _, argument = spec.strip().partition(":")
    _check_kind(kind, spec)
    data_key, test_key, validation_key = jax.random.split(key, 3)
    _check_fraction(test_fraction, "test_fraction")
    regression = kind in REGRESSION
    if kind in CLASSIFIERS or regression:
        options = _synthetic_options(kind, argument, n=n, noise=noise)
        if regression:
            generate = synthetic.regression
            options = {"name": kind, **options}
        else:
            generate = CLASSIFIERS[kind]
        _check_weight_column(weight_column, spec)
        X_train, y_train = generate(data_key, **options)
        X_test, y_test = generate(test_key, **options)
        w_train = w_test = image_shape = None
    else:
        if n is not None or noise is not None:
            raise DataError(f"n and noise apply to synthetic data, not to {spec!r}")
        X_train, y_train, X_test, y_test, w_train, w_test, image_shape = _load_real(
            kind, argument, spec, flatten, label_column, header, weight_column
        )
        y_train = check_labels(y_train, f"the labels of {spec!r}")
        if X_test is None:
            fractions = (1 - test_fraction, test_fraction)
            (X_train, y_train, w_train), (X_test, y_test, w_test) = _split(
                data_key, X_train, y_train, w_train, fractions
            )
    splits = {"train": [X_train, y_train, w_train], "test": [X_test, y_test, w_test]}
    if validation != 0:
        _check_fraction(validation, "validation")
        fractions = (1 - validation, validation)
        parts = _split(validation_key, X_train, y_train, w_train, fractions)
        splits["train"], splits["val"] = (list(part) for part in parts)
    for name, pair in splits.items():
        pair[0] = _features(pair[0], f"X_{name}")
    if regression:
        encoder = None
    else:
        if classes is None:
            encoder = label_encoder(splits["train"][1], name="y_train")
        else:
            encoder = _encoder_for(classes)
        for name, pair in splits.items():
            pair[1] = encoder.encode(pair[1], f"y_{name}")
    scaler = fit_scaler(scale, splits["train"][0]) if scale is not None else None
    if scaler is not None:
        for name, pair in splits.items():
            pair[0] = scaler(pair[0], f"X_{name}")
    X_val, y_val, w_val = splits.get("val", (None, None, None))
    (X_train, y_train, w_train), (X_test, y_test, w_test) = splits["train"], splits["test"]
    return Dataset(
        spec,
        X_train,
        y_train,
        X_test,
        y_test,
        classes=None if encoder is None else encoder.classes,
        scaler=scaler,
        X_val=X_val,
        y_val=y_val,
        w_train=w_train,
        w_test=w_test,
        w_val=w_val,
        image_shape=image_shape,
    )


def _split(key, X, y, w, fractions) -> tuple[tuple, ...]:
    """``split``'s parts as ``(X, y, w)``; the weights ``w`` (or ``None``) go with their rows."""
    if w is None:
        return tuple((*part, None) for part in split(key, X, y, fractions))
    parts = split(key, np.arange(len(X)), y, fractions)  # the rows' numbers split as the rows
    return tuple((X[rows], y_part, w[rows]) for rows, y_part in parts)


def _check_weight_column(weight_column, spec: str) -> None:
    if weight_column is not None:
        raise DataError(
            f"weight_column={weight_column!r} applies to CSV files (csv:PATH), not to "
            f"{spec!r}; an NPZ archive holds its weights as an array w"
        )


def read(
    spec: str, *, flatten: bool = False, label_column: int | str = -1, header: bool | None = None,
    weight_column: int | str | None = None,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Every example of a file or dataset spec, in the order of its files, not split.

    For the rows of a file as they are (e.g. to predict each one): the training file, then
    the test file where there is one. Features are converted as by ``load``; labels are the
    original ones, not encoded.

    Args:
      spec: ``digits``, ``fashion-mnist[:DIR]``, ``mnist:DIR``, ``idx:DIR``, ``csv:PATH`` or
        ``npz:PATH``.
      flatten, label_column, header, weight_column: as for ``load`` (the weights are left
        out).

    Returns:
      ``X: (n, d) float32`` (or images ``(n, h, w)``) and the labels ``y: (n,)``.

    Raises:
      DataError: an unknown or synthetic spec, or a missing or malformed file.
    """
    if not isinstance(spec, str):
        raise DataError(f"data spec must be a string such as 'digits', got {spec!r}")
    kind, _, argument = spec.strip().partition(":")
    _check_kind(kind, spec)
    if kind in CLASSIFIERS or kind in REGRESSION:
        raise DataError(f"data spec {spec!r} is synthetic: it has no file to read; use load")
    X, y, X_test, y_test, *_ = _load_real(
        kind, argument, spec, flatten, label_column, header, weight_column
    )
    if X_test is not None:
        if np.shape(X)[1:] != np.shape(X_test)[1:]:
            raise DataError(
                f"data spec {spec!r}: the training examples have shape {np.shape(X)[1:]} but "
                f"the test examples {np.shape(X_test)[1:]}"
            )
        X, y = np.concatenate([X, X_test]), np.concatenate([y, y_test])
    return _features(X, "X"), check_labels(y, f"the labels of {spec!r}")


def _load_real(
    kind: str, argument: str, spec: str, flatten: bool, label_column, header, weight_column=None
):
    """``X_train, y_train, X_test, y_test, w_train, w_test, image_shape`` (``None`` where there
    is none; ``image_shape`` that of one example, ``None`` if it is not an image)."""
    *examples, w_train, w_test = _read_files(
        kind, argument, spec, label_column, header, weight_column
    )
    X_train, y_train, X_test, y_test = examples
    image_shape = _image_shape(kind, X_train)
    if flatten:  # the images' shape read first: flattened rows do not tell it
        X_train, X_test = (X if X is None else X.reshape(len(X), -1) for X in (X_train, X_test))
    return X_train, y_train, X_test, y_test, w_train, w_test, image_shape


def _read_files(kind: str, argument: str, spec: str, label_column, header, weight_column):
    """``X_train, y_train, X_test, y_test, w_train, w_test`` as the files hold them, images not
    flattened (``None`` where there is none)."""
    if kind in FILE_KINDS and not argument:
        what = "directory" if kind in ("mnist", "idx") else "path"
        raise DataError(f"data spec {spec!r} needs a {what}: {kind}:{what.upper()[:4]}")
    if kind == "csv":
        if weight_column is None:
            X, y = read_csv(argument, label_column=label_column, header=header)
            return X, y, None, None, None, None
        X, y, w = read_csv(
            argument, label_column=label_column, header=header, weight_column=weight_column
        )
        return X, y, None, None, w, None
    _check_weight_column(weight_column, spec)
    if kind == "digits":
        if argument:
            raise DataError(f"data spec {spec!r}: digits takes no argument")
        return (*load_digits(flatten=True), None, None, None, None)
    if kind == "fashion-mnist":
        return (*load_fashion_mnist(argument or None), None, None)
    if kind == "mnist":
        return (*load_idx_dir(argument, n_classes=10, dataset="MNIST"), None, None)
    if kind == "idx":
        return (*load_idx_dir(argument), None, None)
    return read_npz(argument, weights=True)


def _image_shape(kind: str, X: np.ndarray) -> tuple[int, ...] | None:
    """The shape of one image of ``X`` as read: digits are 8 x 8 (read as rows); IDX and NPZ
    images ``(n, h, w[, c])``; rows of features (CSV, a 2-D NPZ) are not images."""
    if kind == "digits":
        return (8, 8)
    return tuple(int(size) for size in X.shape[1:]) if 3 <= X.ndim <= 4 else None


def _check_kind(kind: str, spec: str) -> None:
    names = ["digits", "fashion-mnist", *FILE_KINDS, *CLASSIFIERS, *REGRESSION]
    if kind not in names:
        close = difflib.get_close_matches(kind, names, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise DataError(f"data spec {spec!r} is not known; choose one of {list(SPECS)}{hint}")


def _check_fraction(value, name: str) -> float:
    if not check_real(value, name, strict=True) < 1:
        raise DataError(f"{name}={value!r} must be a fraction in (0, 1)")
    return float(value)


def _encoder_for(classes) -> LabelEncoder:
    """The encoder of a trained model's ``classes: (c,)``, which must be sorted and distinct."""
    classes = check_labels(classes, "classes")
    if not (classes[1:] > classes[:-1]).all():
        raise DataError(
            f"classes must be sorted and distinct, as in Dataset.classes; got {classes}"
        )
    return LabelEncoder(classes)


def _synthetic_options(kind: str, argument: str, **given) -> dict:
    """The generator's keyword arguments: defaults, then ``n``/``noise``, then the spec's."""
    generate = synthetic.regression if kind in REGRESSION else CLASSIFIERS[kind]
    skip = ("key", "name", "interval")
    allowed = [p for p in inspect.signature(generate).parameters if p not in skip]
    options = dict(SYNTHETIC_DEFAULTS.get(kind, {}))
    options.update({name: value for name, value in given.items() if value is not None})
    for item in filter(None, (part.strip() for part in argument.split(","))):
        name, equals, text = (part.strip() for part in item.partition("="))
        if name not in allowed:
            close = difflib.get_close_matches(name, allowed, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise DataError(f"{kind} has no option {name!r}; its options are {allowed}{hint}")
        if not equals or not text:
            raise DataError(f"option {item!r} of {kind} needs a value: {name}=VALUE")
        options[name] = _number(text, f"{kind} option {name}")
    return options


def _number(text: str, what: str) -> int | float:
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    raise DataError(f"{what}={text!r} must be a number")


def _features(X, name: str) -> np.ndarray:
    """``X`` as ``float32``; 8-bit pixels are scaled to ``[0, 1]``."""
    X = check_features(X, name)  # refuses wider floats beyond float32's range before the cast
    return X / np.float32(255) if X.dtype == np.uint8 else X.astype(np.float32)
