"""jaxmlp: the multi-layer perceptron as pure JAX functions, with backprop written by hand.

Architecture: three floors; a module imports from its own floor or those below, never a
private name of another module.

1. The lecture: ``mlp``, ``params``, ``activations``, ``losses``, ``forward``, ``objective``,
   ``dropout``, ``backprop`` (the slides' equations over a params pytree), and ``targets``,
   ``predict``, ``gradcheck`` on them. Beside it: ``checks`` (every boundary check, one rule each),
   ``compiling`` (programs compiled once per process), ``data/``, and what needs no JAX:
   ``rules``, ``names``, ``lazy``, ``xla_cache``.
2. The engine, ``training/``: ``fit`` and ``fit_many`` build a ``Program`` and hand it to one
   host loop; the epoch scans batches, the step takes the gradient (``jax.grad`` or
   ``backprop.gradients``) and the optax update. Speed devices live here.
3. The application: ``io/`` (atomic files, checkpoints, run directories), ``app/`` (the
   configuration and the command line) and ``sklearn`` (estimators over ``fit``).

Every public name is imported on first use, so that ``import jaxmlp`` (and the command line's
``--help``) costs no JAX:

  >>> import jax
  >>> import jaxmlp
  >>> params = jaxmlp.init_params(jax.random.key(0), jaxmlp.MLP((2, 4, 3)))
  >>> [layer["W"].shape for layer in params]
  [(2, 4), (4, 3)]
"""

from .lazy import lazy_attributes
from .xla_cache import use_persistent_cache

use_persistent_cache()

# Each public name -> the module that defines it, imported on first use.
_ATTRIBUTES = {
    "ACTIVATIONS": ".activations",
    "Activation": ".activations",
    "backprop": ".backprop",
    "backprop_example": ".backprop",
    "backprop_trace": ".backprop",
    "forward": ".forward",
    "forward_batch": ".forward",
    "CheckpointError": ".io.checkpoint",
    "load_checkpoint": ".io.checkpoint",
    "save_checkpoint": ".io.checkpoint",
    "LOSSES": ".losses",
    "Loss": ".losses",
    "one_hot": ".losses",
    "MLP": ".mlp",
    "objective": ".objective",
    "INITS": ".params",
    "init_params": ".params",
    "evaluate": ".predict",
    "predict": ".predict",
    "predict_proba": ".predict",
    "DivergenceError": ".training",
    "History": ".training",
    "SweepResult": ".training",
    "TrainState": ".training",
    "fit": ".training",
    "fit_many": ".training",
}
# Each public name that is a module -> that module.
_MODULES = {
    "data": ".data",
    "gradcheck": ".gradcheck",
    "training": ".training",
    "config": ".app.config",
    "parallel": ".training.parallel",
    "sweep": ".training.sweep",
}
__all__ = ["__version__", *_MODULES, *_ATTRIBUTES]
_lazy_getattr, _lazy_dir = lazy_attributes(__name__, _ATTRIBUTES, _MODULES)


def __getattr__(name: str):
    if name == "__version__":
        global __version__
        __version__ = _version()
        return __version__
    return _lazy_getattr(name)


def __dir__() -> list[str]:
    return sorted({*_lazy_dir(), "__version__"})


def _version() -> str:
    import importlib.metadata  # reads the installed metadata: not needed for --help

    try:
        return importlib.metadata.version("jaxmlp")
    except importlib.metadata.PackageNotFoundError:  # running from a source tree
        return "0.0.0"
