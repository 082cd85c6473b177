"""XLA options for the programs that run once: initial draws, training state, data splits.

Such a program runs in milliseconds, and optimising it costs more than it can save. Drawing
the initial params of a 20-16-3 MLP took 0.7 s cold as eager operations (a program each),
0.45 s as one program compiled with XLA's default options and 0.15 s with ``RUN_ONCE_CPU``;
a sweep's draws for 32 members, 0.7-0.95 s and 0.16-0.18 s.

Integer work (keys, random bits, copies) is bit for bit the same under any options. Float
arithmetic can differ in the last bits from an optimised program, whose backend fuses a
multiply and an add into one rounding (an FMA): a normal or scaled-uniform draw traced
inside a user's ``jit`` may differ from ``init_params``' own by a unit or two in the last
place. Every program compiled with these options gives the same bits on every call.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import jax

# The backend's optimisations off, and on the CPU XLA's elemental emitter, which compiles
# in half the time of its fusion emitters (and runs a little slower, which a program run
# once does not notice).
RUN_ONCE = {"xla_backend_optimization_level": 0}
RUN_ONCE_CPU = {**RUN_ONCE, "xla_cpu_use_fusion_emitters": False}


def run_once_options(backend: str | None = None) -> dict:
    """The compiler options of a program that runs once, on ``backend`` (default JAX's)."""
    backend = jax.default_backend() if backend is None else backend
    return dict(RUN_ONCE_CPU if backend == "cpu" else RUN_ONCE)


def run_once(fn: Callable | None = None, *, static_argnums: tuple[int, ...] = ()) -> Callable:
    """``jax.jit(fn)`` compiled with ``run_once_options`` for the default backend.

    Called while another program is staged (inside ``jit`` or ``eval_shape``), ``fn`` is
    traced inline, as only a top-level program takes compiler options; under ``vmap`` or
    ``grad`` alone, the transformed program is compiled with them.
    """
    if fn is None:
        return functools.partial(run_once, static_argnums=static_argnums)

    @functools.cache
    def jitted(backend: str) -> Callable:
        options = run_once_options(backend)
        return jax.jit(fn, static_argnums=static_argnums, compiler_options=options)

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if _staging():
            return fn(*args, **kwargs)
        return jitted(jax.default_backend())(*args, **kwargs)

    return wrapper


def _staging() -> bool:
    """Whether a program is being staged: there every operation, even on constants, gives a
    tracer."""
    return isinstance(jax.lax.add(0, 0), jax.core.Tracer)
