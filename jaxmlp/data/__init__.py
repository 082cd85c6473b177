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

from . import synthetic as synthetic
from .checks import DataError as DataError
from .csv import read_csv as read_csv
from .dataset import Dataset as Dataset
from .digits import load_digits as load_digits
from .idx import FASHION_MNIST_CLASSES as FASHION_MNIST_CLASSES
from .idx import FASHION_MNIST_DIR as FASHION_MNIST_DIR
from .idx import load_fashion_mnist as load_fashion_mnist
from .idx import load_idx_dir as load_idx_dir
from .idx import read_idx as read_idx
from .idx import write_idx as write_idx
from .labels import LabelEncoder as LabelEncoder
from .labels import label_encoder as label_encoder
from .npz import read_npz as read_npz
from .preprocessing import SCALERS as SCALERS
from .preprocessing import Scaler as Scaler
from .preprocessing import fit_scaler as fit_scaler
from .preprocessing import minmax as minmax
from .preprocessing import standardize as standardize
from .specs import SPECS as SPECS
from .specs import load as load
from .specs import read as read
from .splits import split as split
