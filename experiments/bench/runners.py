"""The implementations the throughput benchmark compares, each trained the way its users train it.

Every runner trains the same ``Workload`` from the same initial params, reshuffling the data
every epoch and keeping the last, smaller batch, through three methods:

- ``reset()``: back to the initial params with a fresh optimizer state (not timed);
- ``train(epochs)``: one call, as a user makes it, training ``epochs`` whole epochs; it returns
  when the trained params are ready (timed from the caller's side);
- ``params()``: the trained params as NumPy layers ``{"W": (n_in, n_out), "b": (n_out,)}``,
  jaxmlp's layout, so that one loss function can check that all trained the same problem.

A runner whose package or toolchain is missing raises ``Unavailable`` with the reason, which
the table shows in its row.
"""

from __future__ import annotations

import functools
import os
import shutil
import sys
import time
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import optax

import jaxmlp
from experiments.bench.workloads import N_CLASSES, Workload
from jaxmlp.training.shuffle import permutation

INSTALL_HINT = "pip install '.[bench]'"


class Unavailable(Exception):
    """A peer that cannot run on this machine; the message says why."""


def seconds(call) -> float:
    """Wall seconds of ``call()``."""
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


class Runner:
    """The protocol (see the module docstring), and the warm-up every runner shares."""

    note = ""  # shown next to the implementation's name, e.g. a setting chosen in the warm-up
    no_model = False  # True: a reference time (the matmuls alone), trains no model

    def reset(self) -> None:
        raise NotImplementedError

    def train(self, epochs: int) -> None:
        raise NotImplementedError

    def params(self) -> list[dict]:
        raise NotImplementedError

    def warm_up(self, epochs: int) -> float:
        """A first 1-epoch call, then an ``epochs`` call; the first's seconds (it compiles)."""
        self.reset()
        first = seconds(lambda: self.train(1))
        self.reset()
        self.train(epochs)  # a program compiled per epoch count is compiled here, not timed
        return first


class JaxmlpRunner(Runner):
    """``jaxmlp.fit`` from the initial params, with its default ``epochs_per_program``."""

    def __init__(self, workload: Workload, params, X, y, seed: int, grad: str):
        self.mlp = jaxmlp.MLP(workload.sizes, workload.hidden, workload.output)
        self.workload, self.grad, self.initial = workload, grad, params
        self.X, self.y = jnp.asarray(X), y  # on the device once, as a user would keep it
        self.key = jax.random.key(seed)

    def reset(self) -> None:
        pass  # every fit starts from the params it is given, with a fresh optimizer state

    def train(self, epochs: int) -> None:
        w = self.workload
        self.trained, _ = jaxmlp.fit(
            self.mlp,
            self.initial,
            self.X,
            self.y,
            key=self.key,
            loss=w.loss,
            optimizer=w.optimizer,
            learning_rate=w.learning_rate,
            batch_size=w.batch_size,
            epochs=epochs,
            grad=self.grad,
        )
        jax.block_until_ready(self.trained)

    def params(self) -> list[dict]:
        return jax.device_get(self.trained)


class PlainJaxRunner(Runner):
    """What a user writes by hand: a jitted step, a Python loop over the batches."""

    def __init__(self, workload: Workload, params, X, y, seed: int):
        self.workload, self.initial, self.seed = workload, params, seed
        self.X = jnp.asarray(X)
        self.T = jax.nn.one_hot(y, N_CLASSES, dtype=self.X.dtype)
        make = {"sgd": optax.sgd, "adam": optax.adam}[workload.optimizer]
        self.optimizer = make(workload.learning_rate)
        hidden = {"sigmoid": jax.nn.sigmoid, "relu": jax.nn.relu}[workload.hidden]

        def loss_fn(params, x, t):
            q = x  # (batch, d)
            for layer in params[:-1]:
                q = hidden(q @ layer["W"] + layer["b"][None, :])
            a = q @ params[-1]["W"] + params[-1]["b"][None, :]
            if workload.output == "softmax":
                return -jnp.mean(jnp.sum(t * jax.nn.log_softmax(a), axis=-1))
            return jnp.mean(0.5 * jnp.sum((t - jax.nn.sigmoid(a)) ** 2, axis=-1))

        @functools.partial(jax.jit, donate_argnums=(0, 1))
        def step(params, opt_state, X, T, indices):
            loss, grads = jax.value_and_grad(loss_fn)(params, X[indices], T[indices])
            updates, opt_state = self.optimizer.update(grads, opt_state, params)
            return optax.apply_updates(params, updates), opt_state, loss

        self.step = step

    def reset(self) -> None:
        # Copies: the step donates its params, and the initial ones are shared.
        self.trained = jax.tree.map(jnp.copy, self.initial)
        self.opt_state = self.optimizer.init(self.trained)
        self.rng = np.random.default_rng(self.seed)

    def train(self, epochs: int) -> None:
        n, batch_size = self.X.shape[0], self.workload.batch_size
        for _ in range(epochs):
            permutation = self.rng.permutation(n).astype(np.int32)
            for first in range(0, n, batch_size):
                indices = permutation[first : first + batch_size]
                self.trained, self.opt_state, _ = self.step(
                    self.trained, self.opt_state, self.X, self.T, indices
                )
        jax.block_until_ready(self.trained)

    def params(self) -> list[dict]:
        return jax.device_get(self.trained)


class MatmulsAloneRunner(Runner):
    """Not a peer: each step's matmuls and an SGD update, nothing else, in one program.

    Every epoch gathers the batches of a fresh permutation (jaxmlp's own, sort-free) and, per
    batch, computes the workload's products at its shapes: the forward ``H_l = H_(l-1) W_l``,
    the weight gradients ``H_(l-1)ᵀ G_l`` and the input gradients ``G_l W_lᵀ`` of every layer
    but the first, with the last ``H`` standing in for the output's gradient, then
    ``W -= lr dW``. No activation, bias, loss or optimizer state: what an implementation would
    take if the rest of its step cost nothing. Its params are no model: ``params`` is ``None``
    and the table shows no loss for it.
    """

    no_model = True
    LEARNING_RATE = 1e-6  # small: the weights stay near their start, far from overflow

    def __init__(self, workload: Workload, params, X, y, seed: int):
        n, B = len(X), workload.batch_size
        steps = -(-n // B)
        self.X, self.key = jnp.asarray(X), jax.random.key(seed)
        self.initial = [jnp.asarray(layer["W"]) for layer in params]

        def step(Ws, rows):
            H = [self.X[rows]]
            for W in Ws:
                H.append(H[-1] @ W)
            G, dWs = H[-1], []
            for l in reversed(range(len(Ws))):
                dWs.append(H[l].T @ G)
                if l > 0:
                    G = G @ Ws[l].T
            return [W - self.LEARNING_RATE * dW for W, dW in zip(Ws, dWs[::-1])], None

        def epoch(Ws, key):
            rows = permutation(key, n)
            rows = jnp.concatenate([rows, jnp.zeros(steps * B - n, rows.dtype)])  # last batch
            return jax.lax.scan(step, Ws, rows.reshape(steps, B))[0], None

        @functools.partial(jax.jit, static_argnums=2)
        def train(Ws, key, epochs):
            return jax.lax.scan(epoch, Ws, jax.random.split(key, epochs))[0]

        self._train = train

    def reset(self) -> None:
        pass  # every call starts from the initial weights

    def train(self, epochs: int) -> None:
        self.trained = self._train(self.initial, self.key, epochs)
        jax.block_until_ready(self.trained)

    def params(self) -> None:
        return None


def _cpp_compiler() -> str | None:
    """The C++ compiler inductor's CPU backend would call, if there is one."""
    names = (os.environ.get("CXX"), "g++", "c++", "clang++")
    return next((path for name in names if name and (path := shutil.which(name))), None)


class TorchRunner(Runner):
    """``torch.nn`` with the same initial weights and optimizer, a ``randperm`` per epoch.

    Eager, or with forward and loss through ``torch.compile`` (inductor, static shapes: the
    last, smaller batch gets its own graph); the backward pass then runs the graph AOTAutograd
    compiled with it, and the optimizer steps eagerly, as in PyTorch's own examples.
    """

    def __init__(self, workload: Workload, params, X, y, seed, threads, *, compile: bool):
        try:
            import torch
        except ImportError:
            raise Unavailable(f"torch is not installed ({INSTALL_HINT})") from None
        if threads is not None:
            torch.set_num_threads(threads)
        self.torch, self.workload, self.seed = torch, workload, seed
        self.device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        if compile and self.device.type == "cpu" and _cpp_compiler() is None:
            raise Unavailable(
                "inductor's CPU backend compiles C++ and no compiler (g++, c++, clang++ or $CXX) "
                "is on PATH; `apt-get install g++` provides one"
            )
        hidden = {"sigmoid": torch.nn.Sigmoid, "relu": torch.nn.ReLU}[workload.hidden]
        modules = []
        for layer in params:
            modules += [torch.nn.Linear(*np.shape(layer["W"])), hidden()]
        modules.pop()
        if workload.output == "sigmoid":
            modules.append(torch.nn.Sigmoid())
        self.model = torch.nn.Sequential(*modules).to(self.device)
        self.linears = [m for m in self.model if isinstance(m, torch.nn.Linear)]
        # torch stores W as (n_out, n_in)
        self.initial = [(np.asarray(p["W"]).T.copy(), np.asarray(p["b"]).copy()) for p in params]
        self.X = torch.from_numpy(X).to(self.device)
        labels = torch.from_numpy(y.astype(np.int64))
        if workload.loss == "mse":
            self.T = torch.nn.functional.one_hot(labels, N_CLASSES).to(self.X.dtype)
        else:
            self.T = labels  # cross_entropy takes the labels: the same loss as one-hot targets
        self.T = self.T.to(self.device)
        self.forward_loss = self._forward_loss
        if compile:
            # Dynamo keeps a few graphs per function and falls back to eager beyond them:
            # each workload starts from an empty cache (the graphs of the last are done with).
            torch.compiler.reset()
            self.forward_loss = torch.compile(self._forward_loss, dynamic=False)

    def _forward_loss(self, x, target):
        output = self.model(x)
        if self.workload.loss == "mse":
            return 0.5 * ((target - output) ** 2).sum(dim=1).mean()
        return self.torch.nn.functional.cross_entropy(output, target)

    def reset(self) -> None:
        torch = self.torch
        with torch.no_grad():  # in place: a compiled graph keeps its guards on these modules
            for linear, (W, b) in zip(self.linears, self.initial):
                linear.weight.copy_(torch.from_numpy(W))
                linear.bias.copy_(torch.from_numpy(b))
        make = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam}[self.workload.optimizer]
        self.optimizer = make(self.model.parameters(), lr=self.workload.learning_rate)
        self.generator = torch.Generator().manual_seed(self.seed)

    def train(self, epochs: int) -> None:
        n, batch_size = self.X.shape[0], self.workload.batch_size
        for _ in range(epochs):
            permutation = self.torch.randperm(n, generator=self.generator).to(self.device)
            for first in range(0, n, batch_size):
                indices = permutation[first : first + batch_size]
                self.optimizer.zero_grad(set_to_none=True)
                self.forward_loss(self.X[indices], self.T[indices]).backward()
                self.optimizer.step()
        if self.device.type == "cuda":
            self.torch.cuda.synchronize()

    def params(self) -> list[dict]:
        return [
            {"W": linear.weight.detach().cpu().numpy().T, "b": linear.bias.detach().cpu().numpy()}
            for linear in self.linears
        ]


class SklearnRunner(Runner):
    """scikit-learn's ``MLPClassifier.fit`` with ``warm_start`` from the initial params."""

    def __init__(self, workload: Workload, params, X, y, seed: int):
        from sklearn.neural_network import MLPClassifier

        self.model = MLPClassifier(
            hidden_layer_sizes=workload.sizes[1:-1],
            activation=workload.hidden,
            solver=workload.optimizer,
            learning_rate_init=workload.learning_rate,
            batch_size=workload.batch_size,
            alpha=0.0,  # no L2, as the others
            shuffle=True,
            random_state=seed,
            warm_start=True,  # fit continues from coefs_, the params reset() puts there
            tol=0.0,
            n_iter_no_change=np.iinfo(np.int32).max,  # every epoch asked for runs
        )
        # One small partial_fit sets up what fit needs to warm-start (classes, layers).
        batch = slice(0, workload.batch_size)
        self.model.partial_fit(X[batch], y[batch], classes=np.arange(N_CLASSES))
        self.X, self.y, self.initial = X, y, params

    def reset(self) -> None:
        # fit makes a fresh optimizer state for the coefs_ and intercepts_ it starts from.
        self.model.coefs_ = [np.array(p["W"]) for p in self.initial]
        self.model.intercepts_ = [np.array(p["b"]) for p in self.initial]

    def train(self, epochs: int) -> None:
        from sklearn.exceptions import ConvergenceWarning

        self.model.set_params(max_iter=epochs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # it is told to stop there
            self.model.fit(self.X, self.y)

    def params(self) -> list[dict]:
        return [{"W": W, "b": b} for W, b in zip(self.model.coefs_, self.model.intercepts_)]


def import_keras():
    """Keras 3 on the JAX backend, which must be chosen before Keras is first imported."""
    if "keras" not in sys.modules:
        os.environ["KERAS_BACKEND"] = "jax"
    try:
        import keras
    except ImportError:
        raise Unavailable(f"keras is not installed ({INSTALL_HINT})") from None
    if not keras.__version__.startswith("3.") or keras.backend.backend() != "jax":
        raise Unavailable(
            f"Keras {keras.__version__} on the {keras.backend.backend()!r} backend was imported "
            "before the benchmark could choose JAX: run it in a fresh process"
        )
    return keras


class KerasRunner(Runner):
    """Keras 3 on JAX: ``model.fit`` on the NumPy arrays with its defaults (shuffling, XLA
    compilation), but for the problem's own settings (the loss as jaxmlp's, Adam's epsilon as
    optax's), ``steps_per_execution`` and ``verbose=0`` (no progress bar in the table)."""

    def __init__(self, workload: Workload, params, X, y, seed: int, steps_per_execution: int = 1):
        keras = import_keras()
        self.keras, self.workload, self.seed = keras, workload, seed
        self.steps_per_execution = steps_per_execution
        layers = [keras.Input((workload.sizes[0],))]
        for size in workload.sizes[1:-1]:
            layers.append(keras.layers.Dense(size, activation=workload.hidden))
        output = "sigmoid" if workload.output == "sigmoid" else None  # softmax: in the loss
        layers.append(keras.layers.Dense(workload.sizes[-1], activation=output))
        self.model = keras.Sequential(layers)
        if workload.loss == "mse":
            # Keras's MeanSquaredError averages over the outputs, a c/2 times smaller loss.
            loss = lambda t, y_hat: 0.5 * keras.ops.sum((t - y_hat) ** 2, axis=-1)  # noqa: E731
            self.T = np.eye(N_CLASSES, dtype=X.dtype)[y]
        else:
            loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
            self.T = y
        if workload.optimizer == "adam":
            # optax's and PyTorch's epsilon; Keras's default is 1e-7.
            optimizer = keras.optimizers.Adam(workload.learning_rate, epsilon=1e-8)
        else:
            optimizer = keras.optimizers.SGD(workload.learning_rate)
        self.model.compile(optimizer, loss, steps_per_execution=steps_per_execution)
        optimizer.build(self.model.trainable_variables)
        self.initial = [a for p in params for a in (np.asarray(p["W"]), np.asarray(p["b"]))]
        self.initial_optimizer = [np.array(v.value) for v in optimizer.variables]
        self.X = X

    def reset(self) -> None:
        self.model.set_weights(self.initial)
        for variable, value in zip(self.model.optimizer.variables, self.initial_optimizer):
            variable.assign(value)
        self.keras.utils.set_random_seed(self.seed)  # the same shuffles in every call

    def train(self, epochs: int) -> None:
        batch_size = self.workload.batch_size
        self.model.fit(self.X, self.T, batch_size=batch_size, epochs=epochs, verbose=0)
        jax.block_until_ready([v.value for v in self.model.trainable_variables])

    def params(self) -> list[dict]:
        weights = self.model.get_weights()
        return [{"W": W, "b": b} for W, b in zip(weights[::2], weights[1::2])]


class KerasTunedRunner(Runner):
    """``KerasRunner`` at the fastest of a few ``steps_per_execution``, chosen in the warm-up
    by one warm 1-epoch call each."""

    def __init__(self, workload: Workload, params, X, y, seed: int, candidates: tuple[int, ...]):
        import_keras()
        self.arguments, self.candidates = (workload, params, X, y, seed), candidates
        self.chosen = None

    def warm_up(self, epochs: int) -> float:
        best, self.tuning = None, {}
        for steps in self.candidates:
            runner = KerasRunner(*self.arguments, steps_per_execution=steps)
            first = runner.warm_up(epochs)
            runner.reset()
            self.tuning[steps] = seconds(lambda: runner.train(1))
            if best is None or self.tuning[steps] < self.tuning[best[0].steps_per_execution]:
                best = runner, first
        self.chosen, first = best
        tried = ", ".join(map(str, self.candidates))
        self.note = f"{self.chosen.steps_per_execution}: the fastest of {tried}"
        return first

    def reset(self) -> None:
        self.chosen.reset()

    def train(self, epochs: int) -> None:
        self.chosen.train(epochs)

    def params(self) -> list[dict]:
        return self.chosen.params()
