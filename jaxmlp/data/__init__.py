"""Datasets for jaxmlp: synthetic problems, digits, IDX (Fashion-MNIST), CSV and NPZ files.

``load(spec, key)`` gives a ``Dataset`` for any data spec the command line accepts; the
modules below it can be used on their own.

Example:
  >>> import jax
  >>> import jaxmlp.data
  >>> data = jaxmlp.data.load("spirals:n=90,k=3", jax.random.key(0), scale="standardize")
  >>> data.X_train.shape, data.y_train.dtype, data.n_classes
  ((90, 2), dtype('int32'), 3)
"""

from ..lazy import lazy_attributes

# Each public name -> the module that defines it, imported on first use: ``SPECS`` (the listing
# of ``jaxmlp train --help``) costs no JAX.
_ATTRIBUTES = {
    "DataError": ".checks",
    "read_csv": ".csv",
    "Dataset": ".dataset",
    "load_digits": ".digits",
    "FASHION_MNIST_CLASSES": ".idx",
    "FASHION_MNIST_DIR": ".idx",
    "load_fashion_mnist": ".idx",
    "load_idx_dir": ".idx",
    "read_idx": ".idx",
    "write_idx": ".idx",
    "LabelEncoder": ".labels",
    "label_encoder": ".labels",
    "read_npz": ".npz",
    "SCALERS": ".preprocessing",
    "Scaler": ".preprocessing",
    "fit_scaler": ".preprocessing",
    "minmax": ".preprocessing",
    "standardize": ".preprocessing",
    "standardize_global": ".preprocessing",
    "SPECS": ".catalog",
    "load": ".specs",
    "read": ".specs",
    "split": ".splits",
}
_MODULES = {"synthetic": ".synthetic"}
__all__ = [*_MODULES, *_ATTRIBUTES]
__getattr__, __dir__ = lazy_attributes(__name__, _ATTRIBUTES, _MODULES)
