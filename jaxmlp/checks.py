"""Checks of user input at the library's boundary, before anything reaches ``jit``.

Value checks (finite, within the params' dtype, what a loss needs) run only on concrete
arrays, so the public functions stay usable inside ``jit``. Every message names the
argument, the value it got, and what was expected. The scalar rules (``RULES``,
``check_scalar``, ``check_full_batch``) live in ``rules``, which needs no JAX, and are
re-exported here: one home, usable by the command line without importing JAX.
"""

from __future__ import annotations

import numbers
import sys

import jax
import jax.numpy as jnp
import numpy as np

from .mlp import MLP
from .rules import RULES as RULES
from .rules import check_full_batch as check_full_batch
from .rules import check_scalar as check_scalar


def is_concrete(x) -> bool:
    return not isinstance(x, jax.core.Tracer)


def to_device(x, dtype) -> jax.Array:
    """``x`` as a ``dtype`` array on the default device.
    Host data is converted by numpy: ``jnp.asarray`` can compile a program per new shape."""
    dtype = jnp.dtype(dtype)
    if isinstance(x, jax.Array):
        return x if x.dtype == dtype else x.astype(dtype)
    return jax.device_put(np.asarray(x, dtype))


def check_mlp(mlp) -> MLP:
    if not isinstance(mlp, MLP):
        raise TypeError(f"mlp must be a jaxmlp.MLP, got {type(mlp).__name__} {mlp!r}")
    return mlp


def check_key(key, name: str = "key"):
    """One PRNG key: ``jax.random.key(seed)``, or a raw ``uint32`` ``jax.random.PRNGKey(seed)``."""
    dtype = getattr(key, "dtype", None)
    shape = getattr(key, "shape", None)
    if dtype is not None and jax.dtypes.issubdtype(dtype, jax.dtypes.prng_key):
        if shape == ():
            return key
    elif dtype == np.uint32 and shape in ((2,), (4,)):  # threefry's raw key, or rbg's
        return key
    raise TypeError(f"{name} must be one PRNG key such as jax.random.key(0), got {key!r}")


def check_params(mlp: MLP, params):
    """Checks ``mlp`` and that ``params`` is its ``init_params`` pytree; returns their dtype."""
    check_mlp(mlp)
    if not isinstance(params, list | tuple) or len(params) != mlp.n_layers:
        got = f"{len(params)} layers" if isinstance(params, list | tuple) else type(params).__name__
        raise ValueError(
            f"params must be a list of {mlp.n_layers} layers {{'W', 'b'}} for sizes={mlp.sizes}, "
            f"got {got}"
        )
    for i, (layer, n_in, n_out) in enumerate(zip(params, mlp.sizes[:-1], mlp.sizes[1:])):
        if not isinstance(layer, dict) or set(layer) != {"W", "b"}:
            keys = sorted(layer) if isinstance(layer, dict) else type(layer).__name__
            raise ValueError(f"params[{i}] must be a dict with keys 'W' and 'b', got {keys}")
        for name, expected in (("W", (n_in, n_out)), ("b", (n_out,))):
            shape = tuple(jnp.shape(layer[name]))
            if shape != expected:
                raise ValueError(
                    f"params[{i}][{name!r}] has shape {shape} but sizes={mlp.sizes} "
                    f"expects {expected}"
                )
    leaves = [
        (f"params[{i}][{k!r}]", layer[k]) for i, layer in enumerate(params) for k in ("W", "b")
    ]
    for where, leaf in leaves:
        # Read before JAX canonicalises it: float64 would silently become float32.
        check_dtype_enabled(getattr(leaf, "dtype", None), f"{where}.dtype")
    # One dtype: a float64 bias on float32 weights would promote halfway and fail inside jit.
    dtype = jnp.result_type(params[0]["W"])
    for where, leaf in leaves:
        leaf_dtype = jnp.result_type(leaf)
        if not jnp.issubdtype(leaf_dtype, jnp.floating):
            raise TypeError(f"{where} has dtype {leaf_dtype}; expected a floating dtype")
        if leaf_dtype != dtype:
            raise TypeError(
                f"{where} has dtype {leaf_dtype} but params[0]['W'] has {dtype}; expected one "
                "dtype for every layer (see init_params(dtype=...))"
            )
    return dtype


def check_dtype_enabled(dtype, name: str) -> None:
    """Refuses a float64 ``dtype`` while 64-bit JAX is off (it would silently be float32)."""
    if dtype is not None and np.dtype(dtype) == np.float64 and not jax.config.jax_enable_x64:
        raise ValueError(
            f"{name}=float64 needs 64-bit JAX: set jax.config.update('jax_enable_x64', True) "
            "first, or use float32"
        )


def check_inputs(mlp: MLP, X, *, name: str = "X", ndim: int = 2, dtype=None):
    """Checks ``X: (n, d)`` (``x: (d,)`` with ``ndim=1``): numeric, the MLP's width, finite, and
    within the range of ``dtype`` (the params').
    ``uint8`` is refused: 8-bit pixels, which ``jaxmlp.data.load`` scales to ``[0, 1]``, would
    reach a model trained on loaded images 255 times too large."""
    X = _as_numeric_array(X, name)
    if X.dtype == np.uint8:
        raise TypeError(
            f"{name} has dtype uint8 (8-bit pixels?), whose scale jaxmlp does not guess: pass "
            f"{name} / 255 for values in [0, 1], as jaxmlp.data.load scales images, or "
            f"{name}.astype(np.float32) for the values as they are"
        )
    if X.ndim != ndim:
        expected = "(n, d)" if ndim == 2 else "(d,)"
        hint = " (flatten images first, e.g. X.reshape(len(X), -1))" if X.ndim > ndim else ""
        raise ValueError(
            f"{name} must have shape {expected}, got {X.ndim} dimensions {X.shape}{hint}"
        )
    if ndim == 2 and X.shape[0] == 0:
        raise ValueError(f"{name} has 0 samples; at least 1 is needed")
    if X.shape[-1] != mlp.n_inputs:
        raise ValueError(
            f"{name} has {X.shape[-1]} features but the MLP expects {mlp.n_inputs} (sizes[0])"
        )
    check_finite(X, name, dtype)
    return X


def check_targets(mlp: MLP, T, n: int | None, *, name: str = "T", dtype=None, loss=None):
    """Checks ``T: (n, c)`` real targets (or one ``t: (c,)`` with ``n=None``): finite, within
    the range of ``dtype``, and what ``loss`` (a ``Loss`` or its name) needs of them."""
    T = _as_numeric_array(T, name)
    if n is None:
        expected, what = (mlp.n_outputs,), ""
    else:
        expected, what = (n, mlp.n_outputs), "n samples, "
    if T.shape != expected:
        hint = ""
        if n is not None and T.ndim == 1:
            hint = " (for integer class labels use jaxmlp.one_hot(y, c))"
        raise ValueError(
            f"{name} has shape {T.shape} but {expected} was expected ({what}"
            f"sizes[-1]={mlp.n_outputs} outputs){hint}"
        )
    check_finite(T, name, dtype)
    check_target_values(T, getattr(loss, "name", loss), name, dtype)
    return T


def check_target_values(T, loss: str | None, name: str, dtype=None) -> None:
    """Refuses targets a cross-entropy is not defined for (they would train silently).
    ``cross_entropy``: rows of values ``>= 0`` summing to 1 within ``sqrt(eps) + c·eps`` of
    ``dtype``; ``binary_cross_entropy``: every value in ``[0, 1]``."""
    if loss not in ("cross_entropy", "binary_cross_entropy") or not is_concrete(T):
        return
    T = np.asarray(T)
    rows = T.reshape(-1, T.shape[-1])
    where = (lambda i: f"{name}[{i}]") if T.ndim == 2 else (lambda i: name)
    if loss == "binary_cross_entropy":
        bad = (rows < 0) | (rows > 1)
        if bad.any():
            i, j = (int(k) for k in np.argwhere(bad)[0])
            at = f"{name}[{i}, {j}]" if T.ndim == 2 else f"{name}[{j}]"
            raise ValueError(
                f"{at}={rows[i, j]} is outside [0, 1]: loss='binary_cross_entropy' needs "
                "targets that are probabilities"
            )
        return
    c = rows.shape[1]
    if dtype is None:
        dtype = T.dtype if jnp.issubdtype(T.dtype, jnp.floating) else jnp.float32
    eps = float(jnp.finfo(dtype).eps)
    tolerance = np.sqrt(eps) + c * eps
    sums = rows.sum(axis=1, dtype=np.float64)
    negative = (rows < 0).any(axis=1)
    bad = negative | (np.abs(sums - 1) > tolerance)
    if bad.any():
        i = int(np.argmax(bad))
        what = (
            f"holds the negative value {rows[i][rows[i] < 0][0]}"
            if negative[i]
            else f"sums to {sums[i]:.6g}"
        )
        raise ValueError(
            f"{where(i)} {what}: loss='cross_entropy' needs each target row to be a "
            f"probability distribution, values >= 0 that sum to 1 (within {tolerance:.2g} in "
            f"{jnp.dtype(dtype)}); "
            "for class labels pass integers y: (n,) or jaxmlp.one_hot(y, c)"
        )


def check_weights(weights, n: int, *, name: str = "weights", dtype=None):
    if weights is None:
        return None
    weights = _as_numeric_array(weights, name)
    if weights.shape != (n,):
        raise ValueError(f"{name} has shape {weights.shape} but ({n},) was expected")
    if is_concrete(weights):
        w = np.asarray(weights)
        bad = ~np.isfinite(w) | (w < 0)
        if bad.any():
            i = int(np.argwhere(bad)[0, 0])
            raise ValueError(f"{name}[{i}]={w[i]} must be finite and >= 0")
        check_finite(w, name, dtype)  # what is left: values beyond the range of dtype
        if not np.any(w > 0):
            raise ValueError(f"{name} are all zero; at least one example needs a weight > 0")
    return weights


def check_masks(mlp: MLP, masks, n: int) -> None:
    """Checks dropout ``masks``: ``None``, or one ``(h_l,)`` or ``(n, h_l)`` per hidden layer."""
    if masks is None:
        return
    hidden = mlp.sizes[1:-1]
    if not isinstance(masks, list | tuple) or len(masks) != len(hidden):
        got = f"{len(masks)} masks" if isinstance(masks, list | tuple) else type(masks).__name__
        raise ValueError(
            f"masks must be a list of {len(hidden)} masks, one per hidden layer of "
            f"sizes={mlp.sizes}, got {got}"
        )
    for l, (mask, h) in enumerate(zip(masks, hidden)):
        shape = tuple(jnp.shape(mask))
        if shape not in ((h,), (n, h)):
            raise ValueError(f"masks[{l}] has shape {shape} but ({h},) or ({n}, {h}) was expected")


def check_finite(X, name: str, dtype=None) -> None:
    """Refuses NaN, infinite values, and values beyond the range of ``dtype`` (the params').
    A fine ``X`` costs its min and max (NaN propagates); the search for the bad value runs only
    when it is not."""
    if not is_concrete(X):
        return
    X = np.asarray(X)
    limit = _largest(X.dtype, dtype)
    if limit is None or X.size == 0 or (X.min() >= -limit and X.max() <= limit):
        return
    with np.errstate(all="ignore"):
        finite = np.isfinite(X) if jnp.issubdtype(X.dtype, jnp.floating) else True
        bad = ~(finite & (X >= -limit) & (X <= limit))
    index = tuple(int(i) for i in np.argwhere(bad)[0])
    value = X[index]
    if not np.isfinite(value):
        raise ValueError(
            f"{name} holds a non-finite value ({value}) at index {index}; "
            "remove or impute NaN and infinite values first"
        )
    raise ValueError(
        f"{name} holds the value {value} at index {index}, beyond the range of "
        f"{jnp.dtype(dtype)} (|value| <= {limit:.8g}), the params' dtype the MLP computes in: "
        "rescale it first (e.g. standardize the features)"
    )


def _largest(array_dtype, dtype) -> float | None:
    """The largest magnitude of ``array_dtype`` finite in ``dtype`` (``None``: every value)."""
    floating = jnp.issubdtype(array_dtype, jnp.floating)
    if not floating and not jnp.issubdtype(array_dtype, jnp.integer):
        return None  # bool
    limits = [float(jnp.finfo(array_dtype).max)] if floating else []
    if dtype is not None and jnp.issubdtype(dtype, jnp.floating):
        limit = float(jnp.finfo(dtype).max)
        if floating or np.iinfo(array_dtype).max > limit:  # int32 into float16, say
            limits.append(limit)
    return min(limits) if limits else None


def check_augment(augment, mlp: MLP):
    """``augment``: ``None`` or a ``jaxmlp.data.augment.Shifts`` whose images are the MLP's rows."""
    from .data.augment import Shifts  # the data package is imported on first use

    if augment is None:
        return None
    if not isinstance(augment, Shifts):
        raise TypeError(
            f"augment must be None or a jaxmlp.data.augment.Shifts such as "
            f"Shifts((28, 28), max_shift=2), got {type(augment).__name__} {augment!r}"
        )
    if augment.n_inputs != mlp.n_inputs:
        raise ValueError(
            f"augment={augment!r} shifts images of {augment.n_inputs} pixels but the MLP takes "
            f"{mlp.n_inputs} inputs (sizes[0]); give the image_shape of its rows"
        )
    return augment


def check_l2(l2) -> float:
    if isinstance(l2, jax.core.Tracer):
        return l2
    return check_scalar(l2, "non_negative", "l2")


def check_dense(X, name: str) -> None:
    """Refuses a ``scipy.sparse`` matrix or array, which numpy would wrap as one object."""
    sparse = sys.modules.get("scipy.sparse")  # not imported: X cannot be one
    if sparse is not None and sparse.issparse(X):
        raise TypeError(
            f"{name} is a scipy.sparse {type(X).__name__} of shape {X.shape}, but jaxmlp "
            f"computes on dense arrays: pass {name}.toarray() (it holds every zero)"
        )


def _as_numeric_array(X, name: str):
    check_dense(X, name)
    array = X
    if not isinstance(X, jax.Array):
        try:
            array = np.asarray(X)
        except (ValueError, TypeError) as error:
            raise TypeError(
                f"{name} must be a numeric array, could not convert it: {_ragged(X) or error}"
            ) from None
    dtype = array.dtype
    if not (
        jnp.issubdtype(dtype, jnp.floating)
        or jnp.issubdtype(dtype, jnp.integer)
        or dtype == jnp.bool_
    ):
        raise TypeError(
            f"{name} must be a numeric array, got dtype {dtype}{_not_numeric(X, array, name)}"
        )
    return array


def _ragged(rows) -> str | None:
    """Says which rows differ in length, if ``rows`` is a sequence of rows that do."""
    if not isinstance(rows, list | tuple | np.ndarray) or not all(
        isinstance(row, list | tuple | np.ndarray) for row in rows
    ):
        return None
    lengths = [len(row) for row in rows]
    if len(set(lengths)) < 2:
        return None
    i = next(i for i, length in enumerate(lengths) if length != lengths[0])
    return (
        f"its rows differ in length (row 0 has {lengths[0]} values, row {i} has "
        f"{lengths[i]}); every row needs one value per feature"
    )


def _not_numeric(X, array: np.ndarray, name: str) -> str:
    """What makes ``array`` (made from ``X``) not numeric, and what to do about it."""
    columns = getattr(X, "dtypes", None)
    if columns is not None and hasattr(X, "columns"):  # a pandas DataFrame
        bad = [column for column, dtype in columns.items() if dtype.kind not in "biuf"]
        if bad:  # else numeric columns holding missing values (pandas.NA): found below
            return (
                f": {name} is a DataFrame whose columns {bad} are not numeric; encode them as "
                "numbers first (e.g. pandas.get_dummies for categories, .astype(float) for "
                "numbers stored as objects)"
            )
    if array.dtype.kind in "US" and array.size:
        return f" (values such as {array.flat[0].item()!r}); encode them as numbers first"
    if array.dtype != object:
        return ""
    if array.ndim == 1 and (ragged := _ragged(list(array))):
        return f": {ragged}"
    for index, value in np.ndenumerate(array):
        if not isinstance(value, numbers.Real):
            return f": {name}{list(index)} is {value!r} ({type(value).__name__}), not a number"
    return (
        f": it holds numbers as Python objects; convert it with np.asarray({name}, "
        "dtype=np.float32)"
    )
