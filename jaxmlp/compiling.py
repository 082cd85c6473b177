"""Compiled programs: one per distinct program for the life of the process, a bounded number.

``cached_jit`` is ``jax.jit`` with a cache keyed by value, shared by every caller, of at most
``MAX_PROGRAMS`` programs, each in its own ``jax.jit`` wrapper so that a dropped one frees its
memory mappings (JAX's caches keep all, up to ``vm.max_map_count``). ``run_once`` programs
compile with ``RUN_ONCE`` options, as optimising them costs more than it saves; a float draw
traced inside a user's ``jit`` may then differ by an ulp (a fused multiply-add). A program
whose ``options`` say it is small (``small_work_options``) compiles with ``SMALL_WORK_CPU``.
"""

from __future__ import annotations

import collections
import functools
import threading
import time
from collections.abc import Callable, Sequence

import jax
import numpy as np

try:  # whether no transformation is under way: a test in C++, much cheaper than _staging's
    from jax._src.core import trace_state_clean as _top_level
except ImportError:  # pragma: no cover - another JAX: always probe
    _top_level = lambda: False  # noqa: E731
try:  # what jax.clear_caches() empties
    from jax._src.util import register_cache as _register_cache
except ImportError:  # pragma: no cover - another JAX: clear_programs() alone empties it
    _register_cache = lambda cache, name: None  # noqa: E731

# The backend's optimisations off; on the CPU the elemental emitter compiles in half the time.
RUN_ONCE = {"xla_backend_optimization_level": 0}
RUN_ONCE_CPU = {**RUN_ONCE, "xla_cpu_use_fusion_emitters": False}
# A program of little work per run on the CPU: the elemental emitter compiles it 0.3-0.45 s
# sooner (of 1-2 s) and runs it as fast; above ~1e8 FLOPs an epoch ran 10-25% slower with it.
SMALL_WORK_CPU = {"xla_cpu_use_fusion_emitters": False}
SMALL_WORK_FLOPS = 1e8
# Programs held at once: a block of epochs holds ~120 memory mappings, a process 65530.
MAX_PROGRAMS = 128


class _Programs:
    """Key -> the program's own ``jax.jit`` wrapper, least recently used first."""

    def __init__(self):
        self.wrappers: collections.OrderedDict = collections.OrderedDict()
        self.lock = threading.Lock()

    def get(self, key):
        with self.lock:
            jitted = self.wrappers.get(key)
            if jitted is not None:
                self.wrappers.move_to_end(key)
            return jitted

    def put(self, key, jitted) -> None:
        with self.lock:
            self.wrappers[key] = jitted
            while len(self.wrappers) > MAX_PROGRAMS:
                self.wrappers.popitem(last=False)

    def cache_clear(self) -> None:
        with self.lock:
            self.wrappers.clear()


_programs = _Programs()
# jax.clear_caches() empties it too: a program compiled afterwards is timed as compiled.
_register_cache(_programs, "jaxmlp.compiling")


def run_once_options(backend: str | None = None) -> dict:
    """The compiler options of a program that runs once, on ``backend`` (default JAX's)."""
    backend = jax.default_backend() if backend is None else backend
    return dict(RUN_ONCE_CPU if backend == "cpu" else RUN_ONCE)


def small_work_options(flops: float, backend: str | None = None) -> dict:
    """``SMALL_WORK_CPU`` for a program of at most ``SMALL_WORK_FLOPS`` per run on the CPU,
    else none. ``flops`` must follow from the program's key alone (shapes, static arguments):
    a program, resumed or not, then always compiles with the same options."""
    backend = jax.default_backend() if backend is None else backend
    return dict(SMALL_WORK_CPU) if backend == "cpu" and flops <= SMALL_WORK_FLOPS else {}


class CachedFunction:
    """``fn`` compiled once per distinct program, through the bounded cache (``cached_jit``).
    ``options(*args)``, if given, adds compiler options chosen from the arguments' static
    values and shapes (never their contents)."""

    def __init__(
        self,
        fn: Callable,
        static_argnums: Sequence[int] = (),
        donate_argnums: Sequence[int] = (),
        run_once: bool = False,
        options: Callable[..., dict] | None = None,
    ):
        self.fn = fn
        self.static_argnums = tuple(static_argnums)
        self.donate_argnums = tuple(donate_argnums)
        self.run_once = run_once
        self.options = options
        functools.update_wrapper(self, fn)

    def __call__(self, *args):
        if _top_level():
            return self.program(*args)[0](*args)
        # Inside a transformation: a top-level program only takes compiler options.
        if self.run_once and _staging():
            return self.fn(*args)  # traced inline, into the program being staged
        return _plain_jit(self, jax.default_backend())(*args)

    def program(self, *args) -> tuple[Callable, float]:
        """``(program, seconds)``: the program for ``args`` and its compile time (0.0: cached)."""
        static = tuple(args[i] for i in self.static_argnums)
        dynamic = [a for i, a in enumerate(args) if i not in self.static_argnums]
        leaves, treedef = jax.tree.flatten(dynamic)
        signature = tuple(map(_signature, leaves))
        key = self, static, treedef, signature, jax.config.jax_enable_x64
        jitted = _programs.get(key)
        if jitted is not None:
            return jitted, 0.0
        fn = self.fn
        # A wrapper of its own: JAX's caches hold a program as long as its function lives.
        jitted = self.jit(lambda *a: fn(*a), options=self.options(*args) if self.options else None)
        start = time.perf_counter()
        jitted.lower(*args).compile()  # the call below finds it in the wrapper's cache
        seconds = time.perf_counter() - start
        _programs.put(key, jitted)
        return jitted, seconds

    def jit(
        self, fn: Callable, backend: str | None = None, options: dict | None = None
    ) -> Callable:
        """``jax.jit`` of ``fn`` with this function's arguments and options, and ``options``."""
        options = {**(run_once_options(backend) if self.run_once else {}), **(options or {})}
        return jax.jit(
            fn,
            static_argnums=self.static_argnums,
            donate_argnums=self.donate_argnums,
            compiler_options=options or None,
        )


def _signature(x) -> tuple:
    """``x``'s part of the key: shape and dtype, or a scalar's Python type (weakly typed)."""
    if isinstance(x, bool | int | float | complex):
        return type(x)
    if not hasattr(x, "dtype"):  # a list, or another array-like
        x = np.asarray(x)
    return x.shape, x.dtype, getattr(x, "weak_type", False)


@functools.cache
def _plain_jit(cached: CachedFunction, backend: str) -> Callable:
    return cached.jit(cached.fn, backend)


def cached_jit(
    fn: Callable | None = None,
    *,
    static_argnums: tuple[int, ...] = (),
    donate_argnums: tuple[int, ...] = (),
    options: Callable[..., dict] | None = None,
) -> CachedFunction:
    """``jax.jit(fn, static_argnums=..., donate_argnums=...)`` through the bounded cache.
    Static arguments must be hashable and compare by value; under a transformation, plain jit.
    ``options(*args)``: compiler options from the arguments' static values and shapes."""
    if fn is None:
        return functools.partial(
            cached_jit, static_argnums=static_argnums, donate_argnums=donate_argnums,
            options=options,
        )  # fmt: skip
    return CachedFunction(fn, static_argnums, donate_argnums, options=options)


def run_once(fn: Callable | None = None, *, static_argnums: tuple[int, ...] = ()) -> Callable:
    """``cached_jit(fn)`` compiled with ``run_once_options`` for the default backend.
    While another program is staged (``jit``, ``eval_shape``) ``fn`` is traced inline: only a
    top-level program takes compiler options."""
    if fn is None:
        return functools.partial(run_once, static_argnums=static_argnums)
    return CachedFunction(fn, static_argnums, run_once=True)


def cached_programs() -> int:
    """The number of compiled programs the cache holds (at most ``MAX_PROGRAMS``)."""
    with _programs.lock:
        return len(_programs.wrappers)


def clear_programs() -> None:
    """Drops every cached program, and with it its memory; ``jax.clear_caches()`` does too."""
    _programs.cache_clear()


def _staging() -> bool:
    """Whether a program is being staged: there even an operation on constants gives a tracer."""
    return isinstance(jax.lax.add(0, 0), jax.core.Tracer)
