"""PCA, Isomap, t-SNE or lasso, then softmax regression, vs the MLP on circles, spirals, digits.

The lecture's "possible solution" to the limits of a linear classifier: transform the data to a
space where softmax regression has a better chance, by feature extraction (PCA, Isomap, t-SNE)
or feature selection (lasso), and its caveat: "performance of softmax regression is limited
by the performance of the previous feature extraction / selection approach". The MLP instead
learns the transformation and the classifier together.

Every transform maps to the same ``dims`` (2) dimensions, so that each can be plotted, and is
followed by the same softmax regression, ``MLP((dims, c), output="softmax")``, trained on the
standardised embedding of the training split from zero weights, with full-batch Adam on the
cross-entropy. The table gives each row's dimensions: raw is the original features (2, or 64
pixels for digits), and the MLP's hidden layer has ``hidden`` units, seen in ``dims``.

- raw: no transform, the baseline;
- PCA: the top principal directions of the training split, from ``jnp.linalg.svd`` of the
  centred data; a linear map (on 2-D data a rotation, which cannot help);
- Isomap (scikit-learn): geodesic distances on a nearest-neighbour graph of the training
  split; validation and test points are placed by ``Isomap.transform``;
- t-SNE (scikit-learn): has no map for new points, so it embeds the training, validation and
  test points together (transductive: their inputs, never their labels, shape the embedding);
- lasso: feature selection. The 2-D problems are expanded into polynomial features up to
  ``poly_degree`` (``x1, x2, x1², x1 x2, x2², ...``), the digits keep their 64 pixels; the
  features are standardised, and the lasso path of the one-hot targets (scikit-learn's
  ``lasso_path`` with the multi-task penalty ``Σ_features ‖row‖₂``, so a feature is in or out
  for every class at once) keeps the ``dims`` features that enter first as the penalty shrinks.

Every choice is made on a validation split, never the test split: the transform of a dataset
(the one whose softmax regression has the best validation accuracy, per seed) and the best and
worst transforms of the "limited by" claim (by mean validation accuracy). The test split is
used for the numbers only. Each seed draws new data (circles, spirals) or a new split (digits),
and new initial weights and embeddings.

The 2-layer MLP ``(d, h, c)`` (tanh hidden layer, softmax output) is trained on the raw
features. Its hidden representation ``q`` (the transformation the network learned) is shown,
and classified by softmax regression, in ``dims`` dimensions: the directions of ``q`` that the
output layer reads (see ``output_layer_view``).

scikit-learn runs on one thread: on a shared machine OpenMP's spinning threads made t-SNE more
than ten times slower.

Run ``python -m experiments.feature_extraction`` (``--quick`` for the small size).
"""

from __future__ import annotations

import dataclasses
import functools
import warnings
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

import jaxmlp
from jaxmlp.data import load, load_digits, split, standardize

from .common import (
    Claim,
    ClaimSpec,
    accuracy_interval,
    figure_grid,
    paired,
    run,
    save_figure,
    share_verdict,
    write_metrics,
)
from .linear_limits import DATASETS as SYNTHETIC
from .linear_limits import train

NAME = "feature_extraction"
TRANSFORMS = ("raw", "PCA", "Isomap", "t-SNE", "lasso")
EXTRACTED = TRANSFORMS[1:]  # the transforms the lecture names, all to `dims` dimensions
MLP_ROWS = ("MLP hidden layer q", "2-layer MLP")
DATASETS = ("circles", "spirals", "digits")
NOT_LINEARLY_SEPARABLE = ("circles", "spirals")
CLAIMS = {
    "transform_helps": ClaimSpec(
        claim="Transform the data to a space where Softmax Regression will have higher chances "
        "of success",
        measure="test accuracy of softmax regression after the transform chosen on the "
        "validation split, minus on the raw features, seed by seed, on circles and spirals "
        "(not linearly separable)",
        rule="per dataset, the paired difference above 0 beyond its 95% interval. Supported: "
        "on both; partly supported: on one; not supported: on neither.",
    ),
    "limited": ClaimSpec(
        claim="Performance of Softmax Regression is limited by the performance of the previous "
        "feature extraction / selection approach",
        measure="the same softmax regression after the best and after the worst of the four "
        "transforms (PCA, Isomap, t-SNE, lasso; best and worst by mean validation accuracy): "
        "their test accuracies, seed by seed",
        rule="per dataset, the worst transform's test accuracy below the best's beyond the 95% "
        "interval of their paired difference (the transform alone sets how well the classifier "
        "does). Supported: on every dataset; partly supported: on some; not supported: on none.",
    ),
    "mlp_learns": ClaimSpec(
        claim="Idea - A single network learns a data transformation (linear / non-linear) "
        "followed by a c-class classifier",
        measure="test accuracy of the 2-layer MLP on the raw features minus that of the "
        "pipeline (raw or a transform, then softmax regression) chosen on the validation "
        "split, seed by seed",
        rule="per dataset, the MLP matches or beats the pipeline: the paired difference's 95% "
        "interval reaches 0 or above. Supported: on every dataset; partly supported: on some; "
        "not supported: on none (the MLP is worse beyond the interval everywhere).",
    ),
}


@dataclasses.dataclass(frozen=True)
class Config:
    seed: int = 0  # PRNG seed of the data, the splits, the initial weights and the embeddings
    results: Path | None = None  # results root; None is ./results
    datasets: tuple[str, ...] = DATASETS  # which of DATASETS to run
    seeds: int = 5  # draws of data (or splits), initial weights and embeddings
    n: int = 600  # circles and spirals: training points (a quarter held out for validation);
    # the test sample has as many
    digits_n: int | None = None  # digits used, a stratified subset; None: all 1797
    dims: int = 2  # dimensions of every embedding and of the selected features
    poly_degree: int = 3  # polynomial expansion of the 2-D problems before lasso selection
    isomap_neighbors: int = 10  # neighbours in Isomap's graph
    tsne_perplexity: float = 30.0  # t-SNE's effective number of neighbours
    tsne_iterations: int = 500  # t-SNE's optimisation steps (scikit-learn's minimum is 250)
    linear_epochs: int = 1000  # full-batch Adam steps for every softmax regression
    linear_learning_rate: float = 0.05  # their Adam step size
    hidden: int = 32  # hidden units h of the MLP (d, h, c)
    mlp_epochs: int = 2000  # full-batch Adam steps for the MLP
    mlp_learning_rate: float = 0.01  # its Adam step size


QUICK = Config(
    seeds=3, n=300, digits_n=600, tsne_iterations=250, linear_epochs=500, mlp_epochs=1000
)


def pca(X_train, dims: int):
    """The map onto the top ``dims`` principal directions of ``X_train: (n, d)``.

    Returns:
      ``project(X: (m, d)) -> (m, dims)``: ``(X - mean) V`` with ``V`` the first ``dims``
      right singular vectors of the centred training data.
    """
    mean, V = _principal_directions(jnp.asarray(X_train), dims)
    return lambda X: np.asarray(X, np.float32) @ np.asarray(V) - np.asarray(mean @ V)


@functools.partial(jax.jit, static_argnums=1)
def _principal_directions(X: jax.Array, dims: int) -> tuple[jax.Array, jax.Array]:
    """``mean: (d,)`` and ``V: (d, dims)`` of ``X: (n, d)`` by SVD of the centred data."""
    mean = jnp.mean(X, axis=0)
    _, _, Vt = jnp.linalg.svd(X - mean[None, :], full_matrices=False)  # Vt: (min(n, d), d)
    return mean, Vt[:dims].T


def output_layer_view(Q_train, W2, dims: int):
    """The map of hidden representations ``q: (h,)`` onto the directions the output layer reads.

    The output layer computes ``a = (W²)ᵀq + b²``; softmax ignores a shift common to every
    class's ``a_k``, so only the columns of ``W²: (h, c)`` minus their mean matter. Their top
    left singular vectors (at most ``c - 1``) are the directions of ``q`` that decide the class;
    where there are fewer than ``dims``, the top principal directions of ``q`` orthogonal to
    them fill in.

    Returns:
      ``project(Q: (m, h)) -> (m, dims)``.
    """
    c = W2.shape[1]
    mean, U = _output_directions(jnp.asarray(Q_train), jnp.asarray(W2), dims, min(dims, c - 1))
    return lambda Q: np.asarray(Q, np.float32) @ np.asarray(U) - np.asarray(mean @ U)


@functools.partial(jax.jit, static_argnums=(2, 3))
def _output_directions(Q, W2, dims: int, k: int):
    mean = jnp.mean(Q, axis=0)
    U, _, _ = jnp.linalg.svd(W2 - jnp.mean(W2, axis=1, keepdims=True), full_matrices=False)
    U = U[:, :k]  # (h, k)
    Q = Q - mean[None, :]
    residual = Q - Q @ U @ U.T  # q with the output layer's directions removed
    _, _, Vt = jnp.linalg.svd(residual, full_matrices=False)
    return mean, jnp.concatenate([U, Vt[: dims - k].T], axis=1)  # (h, dims)


def polynomial_features(X: np.ndarray, degree: int, names: list[str]):
    """All monomials of the columns of ``X: (n, d)`` of degree 1 to ``degree``, and their names."""
    from sklearn.preprocessing import PolynomialFeatures

    expand = PolynomialFeatures(degree, include_bias=False)
    F = expand.fit_transform(X)
    return F, list(expand.get_feature_names_out(names))


def lasso_selection(F_train: np.ndarray, y_train: np.ndarray, c: int, dims: int) -> np.ndarray:
    """The indices of the ``dims`` columns of ``F_train: (n, k)`` that enter the lasso path first.

    The targets are the one-hot labels; with several targets ``lasso_path`` penalises each
    feature's row of coefficients as a group, so a feature is selected for all classes at once.
    """
    from sklearn.linear_model import lasso_path

    T = np.eye(c)[y_train]
    T = T - T.mean(axis=0)
    _, coefs, _ = lasso_path(F_train, T, alphas=200, eps=1e-4)  # coefs: (c, k, alphas)
    active = np.any(np.abs(coefs) > 0, axis=0)  # (k, alphas), alphas decreasing
    entry = np.where(active.any(axis=1), active.argmax(axis=1), active.shape[1])
    size_at_end = np.linalg.norm(coefs[:, :, -1], axis=0)
    order = np.lexsort((-size_at_end, entry))  # first to enter, ties by final size
    return np.sort(order[:dims])


def embed(transform: str, config: Config, key, X_train, y_train, others: list, c: int, names):
    """``(E_train, [E_other, ...], axes)`` of one transform fit on the training split, applied
    to ``others`` (the validation and test inputs); ``axes`` names its output dimensions."""
    from sklearn.manifold import TSNE, Isomap

    dims = range(1, config.dims + 1)
    if transform == "raw":
        return X_train, others, names
    if transform == "PCA":
        project = pca(X_train, config.dims)
        axes = [f"principal component {i}" for i in dims]
        return project(X_train), [project(X) for X in others], axes
    if transform == "Isomap":
        isomap = Isomap(n_neighbors=config.isomap_neighbors, n_components=config.dims)
        E_train = isomap.fit_transform(X_train)
        axes = [f"Isomap dimension {i}" for i in dims]
        return E_train, [isomap.transform(X) for X in others], axes
    if transform == "t-SNE":
        tsne = TSNE(
            config.dims,
            perplexity=config.tsne_perplexity,
            max_iter=config.tsne_iterations,
            init="pca",
            random_state=int(jax.random.randint(key, (), 0, 2**31 - 1)),
        )
        both = tsne.fit_transform(np.concatenate([X_train, *others]))
        ends = np.cumsum([len(X_train)] + [len(X) for X in others])
        parts = np.split(both, ends[:-1])
        return parts[0], parts[1:], [f"t-SNE (all splits) dimension {i}" for i in dims]
    if transform == "lasso":
        if X_train.shape[1] <= 3:  # a 2-D problem: select among its monomials
            F_train, feature_names = polynomial_features(X_train, config.poly_degree, names)
            F_others = [polynomial_features(X, config.poly_degree, names)[0] for X in others]
        else:
            F_train, F_others, feature_names = X_train, others, names
        scaler = standardize(F_train)
        F_train, F_others = scaler(F_train), [scaler(F) for F in F_others]
        chosen = lasso_selection(F_train, y_train, c, config.dims)
        axes = [f"lasso-selected {feature_names[i]}" for i in chosen]
        return F_train[:, chosen], [F[:, chosen] for F in F_others], axes
    raise ValueError(f"transform={transform!r} is not one of {TRANSFORMS}")


def softmax_regression(config: Config, key, E_train, y_train, others) -> list[float]:
    """Accuracies of softmax regression trained on the standardised embedding, on each of
    ``others``: ``[(E, y), ...]``."""
    scaler = standardize(E_train)
    c = int(max(y_train.max(), *(y.max() for _, y in others))) + 1
    mlp = jaxmlp.MLP((E_train.shape[1], c), output="softmax")
    epochs, learning_rate = config.linear_epochs, config.linear_learning_rate
    params = train(mlp, key, scaler(E_train), y_train, epochs, learning_rate)
    return [jaxmlp.evaluate(mlp, params, scaler(E), y)["accuracy"] for E, y in others]


def load_problem(name: str, config: Config, key):
    """``(train, val, test, feature names)``: ``(X, y)`` pairs, standardised on the training
    split."""
    if name == "digits":
        key_subset, key_split = jax.random.split(key)
        X, y = load_digits()
        if config.digits_n is not None and config.digits_n < len(X):
            fraction = config.digits_n / len(X)
            (X, y), _ = split(key_subset, X, y, (fraction, 1 - fraction))
        parts = split(key_split, X, y, (0.5, 0.2, 0.3))
        scaler = standardize(parts[0][0])
        names = [f"pixel (row {i // 8}, column {i % 8})" for i in range(64)]
        return *[(scaler(X), y) for X, y in parts], names
    data = load(SYNTHETIC[name], key, n=config.n, validation=0.25, scale="standardize")
    splits = (data.X_train, data.y_train), (data.X_val, data.y_val), (data.X_test, data.y_test)
    return *splits, ["x1", "x2"]


def run_seed(name: str, config: Config, key) -> tuple[dict, dict, dict, dict]:
    """One seed of one dataset: validation and test accuracy of every row, the axes' names,
    and the test embeddings (for the figures)."""
    from threadpoolctl import threadpool_limits

    key_data, key_embed, key_linear, key_mlp = jax.random.split(key, 4)
    (X_train, y_train), (X_val, y_val), (X_test, y_test), names = load_problem(
        name, config, key_data
    )
    c = int(max(y_train.max(), y_val.max(), y_test.max())) + 1
    val, test, axes, embeddings = {}, {}, {}, {}
    for transform in TRANSFORMS:
        with threadpool_limits(1), warnings.catch_warnings():
            # Isomap connects a disconnected neighbour graph (the two circles) and says so.
            warnings.simplefilter("ignore", UserWarning)
            E_train, (E_val, E_test), axes[transform] = embed(
                transform, config, key_embed, X_train, y_train, [X_val, X_test], c, names
            )
        val[transform], test[transform] = softmax_regression(
            config, key_linear, E_train, y_train, [(E_val, y_val), (E_test, y_test)]
        )
        embeddings[transform] = (np.asarray(E_test), y_test)

    mlp = jaxmlp.MLP((X_train.shape[1], config.hidden, c), hidden="tanh", output="softmax")
    params = train(mlp, key_mlp, X_train, y_train, config.mlp_epochs, config.mlp_learning_rate)
    val[MLP_ROWS[1]] = jaxmlp.evaluate(mlp, params, X_val, y_val)["accuracy"]
    test[MLP_ROWS[1]] = jaxmlp.evaluate(mlp, params, X_test, y_test)["accuracy"]
    # The hidden layer alone is an MLP with no hidden layer and a tanh output: q = tanh(p).
    first_layer = jaxmlp.MLP((X_train.shape[1], config.hidden), output="tanh")
    Q_train, Q_val, Q_test = (
        np.asarray(jaxmlp.predict_proba(first_layer, params[:1], X))
        for X in (X_train, X_val, X_test)
    )
    project = output_layer_view(Q_train, params[1]["W"], config.dims)
    others = [(project(Q_val), y_val), (project(Q_test), y_test)]
    val[MLP_ROWS[0]], test[MLP_ROWS[0]] = softmax_regression(
        config, key_linear, project(Q_train), y_train, others
    )
    embeddings[MLP_ROWS[0]] = (project(Q_test), y_test)
    directions = range(1, config.dims + 1)
    axes[MLP_ROWS[0]] = [f"q along the output layer's direction {i}" for i in directions]
    return val, test, axes, embeddings


def dimensions(name: str, row: str, config: Config, d: int) -> str:
    """What a row of the table feeds softmax regression, e.g. ``64-D`` or ``2-D of 32 units``."""
    if row == "raw" or row == MLP_ROWS[1]:
        return f"{d}-D"
    if row == MLP_ROWS[0]:
        return f"{config.dims}-D view of {config.hidden} units"
    return f"{config.dims}-D"


def main(config: Config) -> dict:
    for name in config.datasets:
        if name not in DATASETS:
            raise ValueError(f"datasets holds {name!r}; choose from {DATASETS}")
    if config.seeds < 2:
        raise ValueError(f"seeds={config.seeds} must be at least 2: an interval needs two")
    rows = (*TRANSFORMS, *MLP_ROWS)
    val = {name: {row: [] for row in rows} for name in config.datasets}
    test = {name: {row: [] for row in rows} for name in config.datasets}
    axes, embeddings, d = {}, {}, {}
    # One key per dataset whichever are run, so that a subset gives the same numbers.
    keys = dict(zip(DATASETS, jax.random.split(jax.random.key(config.seed), len(DATASETS))))
    for name in config.datasets:
        for s in range(config.seeds):
            v, t, a, e = run_seed(name, config, jax.random.fold_in(keys[name], s))
            for row in rows:
                val[name][row].append(v[row])
                test[name][row].append(t[row])
            if s == 0:
                axes[name] = a
                embeddings.update({(name, row): value for row, value in e.items()})
                d[name] = len(a["raw"])
        found = ", ".join(f"{row} {accuracy_interval(test[name][row]).format(3)}" for row in rows)
        print(f"{name}: {found}", flush=True)
    metrics = {
        "config": config,
        "val_accuracy": val,  # per dataset and row: one value per seed
        "test_accuracy": test,
        "dimensions": {
            name: {row: dimensions(name, row, config, d[name]) for row in rows}
            for name in config.datasets
        },
        "axes": {  # the names of each transform's output dimensions (seed 0)
            name: {
                t: v if len(v) <= config.dims else f"{len(v)} input features"
                for t, v in row.items()
            }
            for name, row in axes.items()
        },
        "chance": {name: _chance(embeddings[name, "raw"][1]) for name in config.datasets},
    }
    _plot_embeddings(embeddings, metrics, config)
    _plot_hidden(embeddings, metrics, config)
    write_metrics(NAME, metrics, config.results)
    print(table(metrics))
    return metrics


def _chance(y: np.ndarray) -> float:
    return float(np.bincount(y).max() / len(y))


def chosen(metrics: dict, name: str, among=EXTRACTED) -> np.ndarray:
    """Per seed, the accuracy on the test split of the row among ``among`` with the best
    validation accuracy in that seed."""
    val = np.array([metrics["val_accuracy"][name][row] for row in among])  # (rows, seeds)
    test = np.array([metrics["test_accuracy"][name][row] for row in among])
    best = np.argmax(val, axis=0)
    return test[best, np.arange(test.shape[1])]


def best_and_worst(metrics: dict, name: str) -> tuple[str, str]:
    """The transforms with the best and the worst mean validation accuracy."""
    mean = {row: np.mean(metrics["val_accuracy"][name][row]) for row in EXTRACTED}
    return max(mean, key=mean.get), min(mean, key=mean.get)


def table(metrics: dict) -> str:
    """Test accuracy, mean [95% interval] over seeds: rows are what softmax regression is fed
    (with its dimensions), columns the datasets."""
    names = list(metrics["test_accuracy"])
    lines = [
        "| softmax regression on | " + " | ".join(names) + " |",
        "|---" * (1 + len(names)) + "|",
    ]
    for row in (*TRANSFORMS, *MLP_ROWS):
        label = row if row != MLP_ROWS[1] else "(the 2-layer MLP itself, on raw)"
        cells = " | ".join(
            f"{accuracy_interval(metrics['test_accuracy'][name][row]).format(3)} "
            f"({metrics['dimensions'][name][row]})"
            for name in names
        )
        lines.append(f"| {label} | {cells} |")
    cells = " | ".join(accuracy_interval(chosen(metrics, name)).format(3) for name in names)
    lines.append(f"| the transform chosen on validation, per seed | {cells} |")
    return "\n".join(lines) + "\n"


def _scatter(ax, E: np.ndarray, y: np.ndarray) -> None:
    import matplotlib.pyplot as plt

    c = int(y.max()) + 1
    colors = plt.get_cmap("coolwarm" if c == 2 else "tab10")(
        np.linspace(0, 1, c) if c == 2 else np.arange(c)
    )
    for k in range(c):
        ax.scatter(*E[y == k, :2].T, s=5, color=colors[k], label=str(k), edgecolor="none")
    ax.set_xticks([])
    ax.set_yticks([])


def _plot_embeddings(embeddings: dict, metrics: dict, config: Config) -> None:
    """Rows: datasets; columns: the 2-D transforms; the test points coloured by class."""
    shown = TRANSFORMS[1:] if config.dims == 2 else ()
    if not shown:
        return
    names = list(metrics["test_accuracy"])
    figure, axes = figure_grid(len(names), len(shown), size=3.0)
    for row, name in enumerate(names):
        for col, transform in enumerate(shown):
            ax = axes[row, col]
            _scatter(ax, *embeddings[name, transform])
            accuracy = metrics["test_accuracy"][name][transform][0]
            ax.set_title(f"{name}: {transform}\nsoftmax regression {accuracy:.3f}", fontsize=9)
            x_label, y_label = metrics["axes"][name][transform][:2]
            ax.set_xlabel(x_label, fontsize=8)
            ax.set_ylabel(y_label, fontsize=8)
        axes[row, -1].legend(
            title="class",
            fontsize=6,
            title_fontsize=7,
            loc="center left",
            bbox_to_anchor=(1.02, 0.5),
            markerscale=2,
        )
    figure.suptitle(
        "2-D embeddings of the test points, coloured by class, and the test accuracy of "
        "softmax regression on them (seed 0)",
        y=1.0,
    )
    figure.tight_layout()
    save_figure(figure, NAME, "embeddings.png", config.results)


def _plot_hidden(embeddings: dict, metrics: dict, config: Config) -> None:
    """The MLP's hidden representation of the test points, one panel per dataset."""
    names = list(metrics["test_accuracy"])
    figure, axes = figure_grid(1, len(names), size=3.4)
    for col, name in enumerate(names):
        ax = axes[0, col]
        _scatter(ax, *embeddings[name, MLP_ROWS[0]])
        mlp_accuracy = metrics["test_accuracy"][name]["2-layer MLP"][0]
        linear = metrics["test_accuracy"][name][MLP_ROWS[0]][0]
        ax.set_title(
            f"{name}: MLP test accuracy {mlp_accuracy:.3f}\n"
            f"softmax regression on this plane {linear:.3f}",
            fontsize=9,
        )
        legend = dict(title="class", fontsize=6, title_fontsize=7, markerscale=2)
        if len(np.unique(embeddings[name, MLP_ROWS[0]][1])) == 2:
            ax.set_xlabel("q along the output layer's decision direction", fontsize=8)
            ax.set_ylabel("q along its top principal direction\northogonal to that", fontsize=8)
            ax.legend(**legend)
        else:
            ax.set_xlabel("q along the output layer's direction 1", fontsize=8)
            ax.set_ylabel("q along the output layer's direction 2", fontsize=8)
            ax.legend(**legend, loc="center left", bbox_to_anchor=(1.02, 0.5))
    figure.suptitle(
        f"The MLP's learned transform: its {config.hidden} hidden units q = tanh(W¹ᵀx + b¹) "
        "on the test points,\nseen along the directions of q that the output layer "
        "a = W²ᵀq + b² reads",
        y=1.01,
    )
    figure.tight_layout()
    save_figure(figure, NAME, "hidden_representation.png", config.results)


def claims(metrics: dict) -> list[Claim]:
    test = metrics["test_accuracy"]
    datasets = [name for name in DATASETS if name in test]
    hard = [name for name in NOT_LINEARLY_SEPARABLE if name in test]
    out = []
    if hard:
        gains = {name: paired(chosen(metrics, name), test[name]["raw"]) for name in hard}
        out.append(
            Claim(
                CLAIMS["transform_helps"],
                "; ".join(
                    f"{name}: raw {accuracy_interval(test[name]['raw']).format(3)}, chosen "
                    f"transform {accuracy_interval(chosen(metrics, name)).format(3)}, difference "
                    f"{gains[name].format(3)}"
                    for name in hard
                ),
                share_verdict(sum(g.sign() > 0 for g in gains.values()), len(hard)),
            )
        )
    spreads = {}
    for name in datasets:
        best, worst = best_and_worst(metrics, name)
        spreads[name] = (best, worst, paired(test[name][best], test[name][worst]))
    out.append(
        Claim(
            CLAIMS["limited"],
            "; ".join(
                f"{name}: {best} {accuracy_interval(test[name][best]).format(3)} vs {worst} "
                f"{accuracy_interval(test[name][worst]).format(3)}, difference {gap.format(3)}"
                for name, (best, worst, gap) in spreads.items()
            ),
            share_verdict(sum(gap.sign() > 0 for _, _, gap in spreads.values()), len(datasets)),
        )
    )
    gaps = {
        name: paired(test[name][MLP_ROWS[1]], chosen(metrics, name, TRANSFORMS))
        for name in datasets
    }
    transductive = any(
        np.mean(metrics["val_accuracy"][name]["t-SNE"])
        >= max(np.mean(metrics["val_accuracy"][name][row]) for row in TRANSFORMS)
        for name in datasets
    )
    out.append(
        Claim(
            CLAIMS["mlp_learns"],
            "; ".join(
                f"{name}: MLP {accuracy_interval(test[name][MLP_ROWS[1]]).format(3)} minus the "
                f"chosen pipeline {gaps[name].format(3)}"
                for name in datasets
            )
            + (" (t-SNE, chosen most, saw the test inputs)" if transductive else ""),
            share_verdict(sum(g.high >= 0 for g in gaps.values()), len(datasets)),
        )
    )
    return out


if __name__ == "__main__":
    run(__name__, Config, QUICK, main)
