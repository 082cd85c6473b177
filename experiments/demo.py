"""The main job: the lecture's 2-layer sigmoid MLP learns XOR and two moons, its hand-written
gradients are checked against autodiff and finite differences, then every experiment runs at
its quick size and ``results/REPORT.md`` is written.

Run with ``make demo`` or ``python -m experiments.demo`` (``--lecture-only`` stops after the
first part; ``--full`` runs the experiments at full size).
"""

from __future__ import annotations

import argparse
import dataclasses

import jax
import jax.numpy as jnp

import jaxmlp
from jaxmlp.data import synthetic
from jaxmlp.gradcheck import failures, format_table, gradient_check

from .report import run_all


@dataclasses.dataclass(frozen=True)
class DemoConfig:
    seed: int = 0  # one seed for the data, the init and the shuffling
    hidden: int = 8  # hidden units h of the 2-layer MLP
    learning_rate: float = 4.0  # plain gradient descent (SGD without momentum)
    xor_epochs: int = 2000  # full-batch updates on the 4 XOR points
    moons_n: int = 400  # two-moons points
    moons_epochs: int = 300  # mini-batch epochs on two moons
    batch_size: int = 32  # mini-batch size on two moons


def learning_curve(history: jaxmlp.History, points: int = 8) -> str:
    """A few (epoch, loss, accuracy) rows from the history, evenly spaced."""
    last = len(history.epoch) - 1
    rows = sorted({round(i * last / (points - 1)) for i in range(points)})
    return "\n".join(
        f"  epoch {history.epoch[i]:>5}  loss J = {history.train_loss[i]:.5f}  "
        f"accuracy = {history.train_accuracy[i]:.3f}"
        for i in rows
    )


def main(config: DemoConfig) -> dict:
    key_data, key_init, key_train, key_check = jax.random.split(jax.random.key(config.seed), 4)
    metrics = {}
    for name, (X, y), epochs, batch_size in (
        ("XOR", synthetic.xor(key_data), config.xor_epochs, None),
        ("two moons", synthetic.two_moons(key_data, config.moons_n), config.moons_epochs,
         config.batch_size),
    ):  # fmt: skip
        # p = (W¹)ᵀx + b¹, q = σ(p); a = (W²)ᵀq + b², y_hat = σ(a); J = ½ Σ_k (t_k - y_hat_k)².
        mlp = jaxmlp.MLP((2, config.hidden, 2), hidden="sigmoid", output="sigmoid")
        params = jaxmlp.init_params(key_init, mlp)
        params, history = jaxmlp.fit(
            mlp, params, X, y, key=key_train, loss="mse", optimizer="sgd",
            learning_rate=config.learning_rate, batch_size=batch_size, epochs=epochs,
            grad="backprop",
        )  # fmt: skip
        result = jaxmlp.evaluate(mlp, params, X, y, loss="mse")
        regime = "full-batch gradient descent" if batch_size is None else f"batches of {batch_size}"
        print(f"\n{name}: {mlp.sizes} sigmoid MLP, MSE, {regime}, hand-written backprop")
        print(learning_curve(history))
        print(f"  final accuracy {result['accuracy']:.3f}, loss {result['loss']:.5f}")
        metrics[name] = result

    print("\nHand-written backprop vs jax.grad vs finite differences, float64, (2, 8, 2):")
    with jax.enable_x64(True):
        mlp = jaxmlp.MLP((2, config.hidden, 2), hidden="sigmoid", output="sigmoid")
        params = jaxmlp.init_params(key_init, mlp, dtype=jnp.float64)
        X, y = synthetic.two_moons(key_check, 32)
        T = jaxmlp.one_hot(y, 2, jnp.float64)
        rows = gradient_check(mlp, params, jnp.asarray(X, jnp.float64), T, "mse")
        print(format_table(rows))
        failed = failures(rows, jnp.float64)
        print("\n".join(failed) or "both comparisons within jaxmlp.gradcheck.TOLERANCES")
    metrics["max_backprop_vs_autodiff"] = max(row.backprop_vs_autodiff for row in rows)
    metrics["gradient_check_failures"] = failed
    return metrics


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=DemoConfig.seed)
    parser.add_argument("--lecture-only", action="store_true", help="skip the experiments")
    parser.add_argument("--full", action="store_true", help="run the experiments at full size")
    args = parser.parse_args()
    main(DemoConfig(seed=args.seed))
    if not args.lecture_only:
        print(f"\nReport: {run_all(quick=not args.full)}")
