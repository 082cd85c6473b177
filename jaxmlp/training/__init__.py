"""The training engine: ``fit``, ``fit_many`` (the same engine vmapped over members), their state.

``fit`` -> ``loop.train`` (the host loop) -> ``epoch.block`` (a scan over epochs) ->
``epoch.train_batches`` (a scan over batches) -> ``step.train_step`` -> ``step.value_and_grad``
(``jax.grad``, or the lecture's ``backprop.gradients``) -> the optax update.
"""

from . import optimizers as optimizers
from . import parallel as parallel
from . import sweep as sweep
from .fit import fit as fit
from .program import GRADS as GRADS
from .program import MONITORS as MONITORS
from .program import monitored_values as monitored_values
from .program import resolve_monitor as resolve_monitor
from .state import DivergenceError as DivergenceError
from .state import History as History
from .state import StopReason as StopReason
from .state import SweepHistory as SweepHistory
from .state import SweepResult as SweepResult
from .state import TrainState as TrainState
from .state import init_state as init_state
from .sweep import fit_many as fit_many
