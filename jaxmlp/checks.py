"""Checks of user input at the library's boundary, before anything reaches ``jit``.

Shape checks are free under ``jit`` (shapes are static); value checks (finiteness) run only
on concrete arrays, never on tracers, so the public functions stay usable inside ``jit``.
Every message names the argument, the value it got, and what was expected.
"""

from __future__ import annotations

import numbers

import jax
import jax.numpy as jnp
import numpy as np

from .mlp import MLP


def is_concrete(x) -> bool:
    return not isinstance(x, jax.core.Tracer)


def to_device(x, dtype) -> jax.Array:
    """``x`` as a ``dtype`` array on the default device.

    Host data is converted by numpy and transferred: ``jnp.asarray`` can compile a program
    (a conversion or a copy) for every new shape, which a cold ``fit`` pays for each array.
    """
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


def check_params(mlp: MLP, params) -> None:
    """Checks that ``params`` is the pytree ``init_params`` makes for ``mlp``."""
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
    # One floating dtype throughout: a float64 bias on float32 weights would promote the
    # activations halfway through the network and fail deep inside the compiled step.
    dtype = jnp.result_type(params[0]["W"])
    for i, layer in enumerate(params):
        for name in ("W", "b"):
            leaf_dtype = jnp.result_type(layer[name])
            if not jnp.issubdtype(leaf_dtype, jnp.floating):
                raise TypeError(
                    f"params[{i}][{name!r}] has dtype {leaf_dtype}; expected a floating dtype"
                )
            if leaf_dtype != dtype:
                raise TypeError(
                    f"params[{i}][{name!r}] has dtype {leaf_dtype} but params[0]['W'] has "
                    f"{dtype}; expected one dtype for every layer (see init_params(dtype=...))"
                )


def check_inputs(mlp: MLP, X, *, name: str = "X", ndim: int = 2):
    """Checks ``X: (n, d)`` (or ``x: (d,)`` with ``ndim=1``): numeric, the MLP's width, finite."""
    X = _as_numeric_array(X, name)
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
    check_finite(X, name)
    return X


def check_targets(mlp: MLP, T, n: int | None, *, name: str = "T"):
    """Checks ``T: (n, c)`` real targets (or one ``t: (c,)`` with ``n=None``), finite."""
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
    check_finite(T, name)
    return T


def check_weights(weights, n: int, *, name: str = "weights"):
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
        if not np.any(w > 0):
            raise ValueError(f"{name} are all zero; at least one example needs a weight > 0")
    return weights


def check_finite(X, name: str) -> None:
    if is_concrete(X):
        finite = np.isfinite(np.asarray(X))
        if not finite.all():
            index = tuple(int(i) for i in np.argwhere(~finite)[0])
            value = np.asarray(X)[index]
            raise ValueError(
                f"{name} holds a non-finite value ({value}) at index {index}; "
                "remove or impute NaN and infinite values first"
            )


def check_l2(l2) -> float:
    if isinstance(l2, jax.core.Tracer):
        return l2
    if isinstance(l2, bool) or not isinstance(l2, numbers.Real) or not np.isfinite(l2) or l2 < 0:
        raise ValueError(f"l2={l2!r} must be a finite number >= 0")
    return float(l2)


def _as_numeric_array(X, name: str):
    if isinstance(X, jax.Array):
        dtype = X.dtype
    else:
        try:
            X = np.asarray(X)
        except (ValueError, TypeError) as error:
            raise TypeError(
                f"{name} must be a numeric array, could not convert it: {error}"
            ) from None
        dtype = X.dtype
    if not (
        jnp.issubdtype(dtype, jnp.floating)
        or jnp.issubdtype(dtype, jnp.integer)
        or dtype == jnp.bool_
    ):
        raise TypeError(f"{name} must be a numeric array, got dtype {dtype}")
    return X
