"""JAX's persistent compilation cache, on by default: a new process loads the programs an
earlier one compiled. Set at ``import jaxmlp``, without importing JAX."""

from __future__ import annotations

import os
import sys

# A directory for the cache, or "off"; unset: ``default_cache_dir()``.
CACHE_ENV = "JAXMLP_COMPILATION_CACHE"
OFF = ("off", "0", "false", "no")


def default_cache_dir() -> str:
    """``$XDG_CACHE_HOME/jaxmlp/xla``, by default ``~/.cache/jaxmlp/xla``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "jaxmlp", "xla")


def use_persistent_cache() -> str | None:
    """Switches the cache on unless the user chose (``$JAXMLP_COMPILATION_CACHE`` ``off``, or
    JAX's own ``jax_compilation_cache_dir``); returns the directory in use.

    JAX looks at its cache once, at the first compile of the process: before JAX is imported
    its environment variables set it, after that its config, which works until that compile.
    """
    jax = sys.modules.get("jax")
    own = (
        jax.config.jax_compilation_cache_dir if jax else os.environ.get("JAX_COMPILATION_CACHE_DIR")
    )
    if own:
        return own
    setting = os.environ.get(CACHE_ENV, "").strip()
    if setting.lower() in OFF:
        return None
    directory = setting or default_cache_dir()
    # jaxmlp's programs compile in well under a second, JAX's default threshold for caching.
    if jax is None:
        os.environ["JAX_COMPILATION_CACHE_DIR"] = directory
        os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
    else:
        jax.config.update("jax_compilation_cache_dir", directory)
        if "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS" not in os.environ:  # the user's own
            jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    return directory
