"""The data specs ``--data`` accepts, in plain Python: the listing of ``jaxmlp train --help``,
without importing JAX or numpy. ``specs`` loads them; ``tests/test_cold_start.py`` checks that
the synthetic names here are its problems."""

from __future__ import annotations

FILE_KINDS = ("mnist", "idx", "csv", "npz")
# The synthetic problems, by spec name: 2-D classes (``specs.CLASSIFIERS``) and 1-D regression
# (``synthetic.REGRESSION_TARGETS``).
CLASSIFIER_NAMES = ("xor", "moons", "circles", "spirals", "blobs")
REGRESSION = ("sine", "abs", "step", "sawtooth")
# The specs --data accepts, and what each one is.
SPECS = {
    "digits": "scikit-learn's 8x8 digits, 1797 images, 10 classes (the default)",
    "fashion-mnist": "Fashion-MNIST from /usr/share/datasets/fashion-mnist (or fashion-mnist:DIR)",
    "mnist:DIR": "MNIST-format IDX files in DIR",
    "idx:DIR": "MNIST-format IDX files in DIR",
    "csv:PATH": "a CSV file of features and a label column (last by default)",
    "npz:PATH": "an .npz archive with arrays x, y (and optionally x_test, y_test)",
    **dict.fromkeys(CLASSIFIER_NAMES, "synthetic 2-D classes, e.g. spirals:n=600,k=4,noise=0.1"),
    **dict.fromkeys(REGRESSION, "synthetic 1-D regression, e.g. sine:n=100,noise=0.1"),
}

# The training-time augmentations --augment accepts (``augment.Shifts``), and what each is.
AUGMENTATIONS = {
    "none": "no augmentation (the default)",
    "shift:S": "shift each training image by its own random (dy, dx) in [-S, S]^2, zero-filled",
}


def parse_augment(spec) -> int:
    """The largest shift of an augmentation spec: ``"shift:2"`` -> 2, ``"none"`` -> 0; a
    ``ValueError`` that names the spec and the forms expected otherwise."""
    if isinstance(spec, str):
        kind, colon, size = spec.strip().partition(":")
        if kind == "none" and not colon:
            return 0
        if kind == "shift" and size.strip().isdigit() and int(size) >= 1:
            return int(size)
    raise ValueError(
        f"augmentation {spec!r} is not known; expected 'none' or 'shift:S' with S a positive "
        "integer, the largest shift in pixels (e.g. 'shift:2')"
    )
