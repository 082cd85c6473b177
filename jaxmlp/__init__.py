"""jaxmlp: the multi-layer perceptron as pure JAX functions, with backprop written by hand.

Architecture: three floors; a module imports from its own floor or those below, never a
private name of another module.

1. The lecture: ``mlp``, ``params``, ``activations``, ``losses``, ``forward``, ``objective``,
   ``backprop`` (the slides' equations over a params pytree), and ``targets``, ``predict``,
   ``gradcheck`` on them. Beside it: ``checks`` (every boundary check, one rule each),
   ``compiling`` (programs compiled once per process) and ``data/``.
2. The engine, ``training/``: ``fit`` and ``fit_many`` build a ``Program`` and hand it to one
   host loop; the epoch scans batches, the step takes the gradient (``jax.grad`` or
   ``backprop.gradients``) and the optax update. Speed devices live here.
3. The application: ``io/`` (atomic files, checkpoints, run directories), ``app/`` (the
   configuration and the command line) and ``sklearn`` (estimators over ``fit``).
"""

import importlib.metadata

from . import data as data
from . import gradcheck as gradcheck
from . import training as training
from .activations import ACTIVATIONS as ACTIVATIONS
from .activations import Activation as Activation
from .app import config as config
from .backprop import backprop as backprop
from .backprop import backprop_example as backprop_example
from .backprop import backprop_trace as backprop_trace
from .forward import forward as forward
from .forward import forward_batch as forward_batch
from .io.checkpoint import CheckpointError as CheckpointError
from .io.checkpoint import load_checkpoint as load_checkpoint
from .io.checkpoint import save_checkpoint as save_checkpoint
from .losses import LOSSES as LOSSES
from .losses import Loss as Loss
from .losses import one_hot as one_hot
from .mlp import MLP as MLP
from .objective import objective as objective
from .params import INITS as INITS
from .params import init_params as init_params
from .predict import evaluate as evaluate
from .predict import predict as predict
from .predict import predict_proba as predict_proba
from .training import DivergenceError as DivergenceError
from .training import History as History
from .training import SweepResult as SweepResult
from .training import TrainState as TrainState
from .training import fit as fit
from .training import fit_many as fit_many
from .training import parallel as parallel
from .training import sweep as sweep

try:
    __version__ = importlib.metadata.version("jaxmlp")
except importlib.metadata.PackageNotFoundError:  # running from a source tree
    __version__ = "0.0.0"
