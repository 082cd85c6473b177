"""The rules for scalar arguments (counts, seeds, rates, fractions, flags), in plain Python.

Their one home: ``checks`` re-exports them, and the configuration checks its fields with them
without importing JAX, so that the command line answers ``--help`` or a bad flag at once.
"""

from __future__ import annotations

import math
import numbers
import sys


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_real(value) -> bool:
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int beyond float's range
        return False


def _is_bool(value) -> bool:
    numpy = sys.modules.get("numpy")  # not imported: value cannot be a numpy bool
    return isinstance(value, bool) or (numpy is not None and isinstance(value, numpy.bool_))


# The rules for scalar arguments, by name: (what is expected, the test). The compiled loop
# counts epochs and steps in int32; a seed is drawn as 32 bits (a larger one would alias).
RULES = {
    "count": ("a positive integer below 2**31", lambda v: _is_int(v) and 1 <= v < 2**31),
    "count_or_zero": ("an integer in [0, 2**31)", lambda v: _is_int(v) and 0 <= v < 2**31),
    "seed": ("an integer in [0, 2**32)", lambda v: _is_int(v) and 0 <= v < 2**32),
    "positive": ("a finite number > 0", lambda v: _is_real(v) and v > 0),
    "non_negative": ("a finite number >= 0", lambda v: _is_real(v) and v >= 0),
    "fraction": ("a number in (0, 1)", lambda v: _is_real(v) and 0 < v < 1),
    "fraction_or_zero": ("a number in [0, 1)", lambda v: _is_real(v) and 0 <= v < 1),
    "unit_interval": ("a number in [0, 1]", lambda v: _is_real(v) and 0 <= v <= 1),
    "bool": ("True or False", _is_bool),
}


def check_scalar(value, rule: str, name: str, *, error: type[Exception] = ValueError):
    """``value`` checked against ``RULES[rule]`` and converted (``int``, ``float``, ``bool``).
    ``name`` is the argument as its caller's user knows it."""
    expected, ok = RULES[rule]
    if not ok(value):
        raise error(f"{name} must be {expected}, got {value!r}")
    if rule == "bool":
        return bool(value)
    return int(value) if _is_int(value) else float(value)


def check_full_batch(
    optimizer, batch_size, n=None, *, name="batch_size", full="None", error=ValueError
) -> None:
    """L-BFGS's line search needs the same objective at every step: the full batch.
    ``None``, ``"full"`` and values ``>= n`` are; without ``n`` (data not loaded) only the two."""
    partial = batch_size not in (None, "full") and (n is None or batch_size < n)
    if isinstance(optimizer, str) and optimizer == "lbfgs" and partial:
        raise error(f"optimizer='lbfgs' is full-batch: {name} must be {full}, got {batch_size}")
