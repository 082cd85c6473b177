"""Optimizers by name, built on optax, with the learning-rate schedules of scikit-learn's MLP.

Every named optimizer is wrapped in ``optax.inject_hyperparams``: the learning rate lives in the
state, where the history reads it and ``"adaptive"`` changes it inside the compiled program.
The engine describes one by value (``NamedOptimizer``), as programs are cached by value.
"""

from __future__ import annotations

import dataclasses
import functools
import math

import jax.numpy as jnp
import optax

from .. import checks
from ..names import OPTIMIZERS as OPTIMIZERS
from ..names import SCHEDULES as SCHEDULES
from .lbfgs import STATE_OPTIONS, stopping_lbfgs

MOMENTUM = 0.9  # for "momentum" and "nesterov", as scikit-learn's default
POWER_T = 0.5  # "invscaling": lr_t = lr / (t + 1) ** POWER_T, scikit-learn's default
ADAPTIVE_FACTOR = 5.0  # "adaptive": lr /= 5 when the loss stops improving (scikit-learn)
ADAPTIVE_MIN_LR = 1e-6  # "adaptive": training stops once lr falls below this (scikit-learn)
# The hyperparameters each named optimizer takes besides its rate (optax's names), and the
# schedules' own, with the rule each value must meet: constants of the compiled program.
OPTIONS = {
    "sgd": {},
    "momentum": {"momentum": "unit_interval"},
    "nesterov": {"momentum": "unit_interval"},
    "adam": {"b1": "fraction_or_zero", "b2": "fraction_or_zero", "eps": "positive"},
    "adamw": {
        "b1": "fraction_or_zero",
        "b2": "fraction_or_zero",
        "eps": "positive",
        "weight_decay": "non_negative",
    },
    # scipy's L-BFGS-B tests (lbfgs.stopping_lbfgs); none given: optax's lbfgs, never stopping
    "lbfgs": {"gtol": "non_negative", "ftol": "non_negative", "max_evaluations": "count"},
}
SCHEDULE_OPTIONS = {"invscaling": {"power_t": "non_negative"}}


def make_optimizer(
    name: str,
    learning_rate: float,
    schedule: str = "constant",
    total_steps: int | None = None,
    options: dict[str, float] | None = None,
) -> optax.GradientTransformation:
    """An optax optimizer by name.

    Args:
      name: one of ``OPTIMIZERS``; ``"lbfgs"`` (full batch, a zoom line search) has no rate.
      learning_rate: the initial learning rate, ``> 0``.
      schedule: ``"constant"``, ``"invscaling"`` (``lr / (t + 1)^0.5`` at step ``t``),
        ``"cosine"`` (to 0 over ``total_steps``) or ``"adaptive"`` (÷5 when the loss stalls).
      total_steps: the number of updates in the whole run; needed by ``"cosine"``.
      options: hyperparameters in ``OPTIONS[name]`` or ``SCHEDULE_OPTIONS[schedule]``
        (e.g. ``{"b1": 0.8}`` for adam, ``{"power_t": 0.25}`` for invscaling); optax's
        defaults (``MOMENTUM``, ``POWER_T``) for those not given.
    """
    optimizer, _ = named_optimizer(name, learning_rate, schedule, total_steps, options)
    return _make_optimizer(
        name, float(learning_rate), schedule, optimizer.total_steps, optimizer.options
    )


@dataclasses.dataclass(frozen=True)
class NamedOptimizer:
    """A named optimizer as a hashable value: the static description of a compiled program.
    ``learning_rate`` is set only for ``"invscaling"`` and ``"cosine"``; else it is data in the
    state (``with_learning_rate``), so that one program serves every learning rate."""

    name: str
    schedule: str = "constant"
    learning_rate: float | None = None
    total_steps: int | None = None  # "cosine" only
    options: tuple[tuple[str, float], ...] = ()  # sorted (name, value) pairs, see OPTIONS

    def _identity(self):
        # The options kept in the optimizer's state (lbfgs.STATE_OPTIONS) count by name only:
        # the program reads their values from the state, and one program serves them all.
        options = tuple((k, None if k in STATE_OPTIONS else v) for k, v in self.options)
        return (self.name, self.schedule, self.learning_rate, self.total_steps, options)

    def __eq__(self, other):
        return isinstance(other, NamedOptimizer) and self._identity() == other._identity()

    def __hash__(self):
        return hash(self._identity())

    def transformation(self) -> optax.GradientTransformation:
        """The optax transformation."""
        learning_rate = math.nan if self.learning_rate is None else self.learning_rate
        return _make_optimizer(
            self.name, learning_rate, self.schedule, self.total_steps, self.options
        )


def check_options(name: str, schedule: str, options) -> tuple[tuple[str, float], ...]:
    """``options`` checked against ``OPTIONS[name]`` and ``SCHEDULE_OPTIONS[schedule]``, as the
    sorted pairs a ``NamedOptimizer`` holds."""
    if options is None:
        return ()
    if not isinstance(options, dict):
        raise TypeError(f"optimizer_options must be a dict, got {type(options).__name__}")
    rules = {**OPTIONS[name], **SCHEDULE_OPTIONS.get(schedule, {})}
    for option, value in options.items():
        if option not in rules:
            raise ValueError(
                f"optimizer_options has {option!r}, which optimizer={name!r} with "
                f"schedule={schedule!r} does not take; it takes {sorted(rules)}"
            )
        checks.check_scalar(value, rules[option], f"optimizer_options[{option!r}]")
    return tuple(sorted((option, float(value)) for option, value in options.items()))


def named_optimizer(
    name: str,
    learning_rate: float,
    schedule: str = "constant",
    total_steps: int | None = None,
    options: dict[str, float] | None = None,
) -> tuple[NamedOptimizer, float | None]:
    """``make_optimizer``'s arguments, checked: ``(description, learning_rate for the state)``.
    The learning rate is ``None`` where it is in the description or there is none (``"lbfgs"``)."""
    if name not in OPTIMIZERS:
        raise ValueError(f"optimizer={name!r} is not a known optimizer; choose one of {OPTIMIZERS}")
    if schedule not in SCHEDULES:
        raise ValueError(
            f"schedule={schedule!r} is not a known schedule; choose one of {SCHEDULES}"
        )
    checks.check_scalar(learning_rate, "positive", "learning_rate")
    options = check_options(name, schedule, options)
    if schedule == "cosine":
        if not isinstance(total_steps, int) or total_steps <= 0:
            raise ValueError(f"schedule='cosine' needs total_steps > 0, got {total_steps!r}")
    else:
        total_steps = None  # only cosine depends on it: keep the cache key small
    if name == "lbfgs":  # no learning rate, no schedule
        return NamedOptimizer(name, options=options), None
    if schedule in ("invscaling", "cosine"):
        return NamedOptimizer(name, schedule, float(learning_rate), total_steps, options), None
    return NamedOptimizer(name, schedule, options=options), float(learning_rate)


def resolve_optimizer(optimizer, learning_rate, schedule, total_steps, options=None):
    """``(optimizer, learning_rate, adaptive)``: a name through ``named_optimizer``, or optax's."""
    if isinstance(optimizer, str):
        named, learning_rate = named_optimizer(
            optimizer, learning_rate, schedule, total_steps, options
        )
        return named, learning_rate, schedule == "adaptive"
    if options is not None:
        raise ValueError("optimizer_options are for a named optimizer, not an optax one")
    if not isinstance(optimizer, optax.GradientTransformation):
        raise TypeError(
            "optimizer must be a name or an optax.GradientTransformation, "
            f"got {type(optimizer).__name__}"
        )
    return optimizer, None, False


def transformation(optimizer) -> optax.GradientTransformation:
    """The optax transformation of a description (with ``transformation()``), or optax's own."""
    if isinstance(optimizer, optax.GradientTransformation):
        return optimizer
    return optimizer.transformation()


@functools.lru_cache(maxsize=64)
def _make_optimizer(name, learning_rate, schedule, total_steps, options=()):
    options = dict(options)
    if name == "lbfgs":
        return stopping_lbfgs(**options) if options else optax.lbfgs()
    if schedule == "invscaling":
        power_t = options.pop("power_t", POWER_T)
        lr = lambda t: learning_rate / (t + 1.0) ** power_t  # noqa: E731
    elif schedule == "cosine":
        lr = optax.cosine_decay_schedule(learning_rate, total_steps)
    else:
        lr = learning_rate
    if name in ("momentum", "nesterov"):
        momentum = options.pop("momentum", MOMENTUM)
        factory = functools.partial(optax.sgd, momentum=momentum, nesterov=name == "nesterov")
    else:
        factory = {"sgd": optax.sgd, "adam": optax.adam, "adamw": optax.adamw}[name]
    # The options are constants of the program (not injected into the state): its structure
    # is the same for every value, and a value set compiles once.
    return optax.inject_hyperparams(functools.partial(factory, **options))(learning_rate=lr)


def current_learning_rate(opt_state) -> jnp.ndarray | None:
    """The learning rate in an ``inject_hyperparams`` state (a chain's first), or ``None``."""
    hyperparams = getattr(opt_state, "hyperparams", None)
    if isinstance(hyperparams, dict) and "learning_rate" in hyperparams:
        return hyperparams["learning_rate"]
    if _is_chain(opt_state):
        for inner in opt_state:
            learning_rate = current_learning_rate(inner)
            if learning_rate is not None:
                return learning_rate
    return None


def with_learning_rate(opt_state, learning_rate):
    """``opt_state`` with the learning rate that ``current_learning_rate`` reads set."""
    hyperparams = getattr(opt_state, "hyperparams", None)
    if isinstance(hyperparams, dict) and "learning_rate" in hyperparams:
        old = hyperparams["learning_rate"]
        learning_rate = jnp.asarray(learning_rate, jnp.result_type(old))
        return opt_state._replace(hyperparams={**hyperparams, "learning_rate": learning_rate})
    if _is_chain(opt_state):
        for i, inner in enumerate(opt_state):
            if current_learning_rate(inner) is not None:
                return (
                    *opt_state[:i],
                    with_learning_rate(inner, learning_rate),
                    *opt_state[i + 1 :],
                )
    raise ValueError(
        "the optimizer state holds no injected learning rate (optax.inject_hyperparams)"
    )


def scale_learning_rate(opt_state, factor):
    """``opt_state`` with its injected learning rate multiplied by ``factor``."""
    return with_learning_rate(opt_state, current_learning_rate(opt_state) * factor)


def _is_chain(opt_state) -> bool:
    # optax.chain keeps a plain tuple of its transformations' states; NamedTuples are states.
    return type(opt_state) is tuple
