"""PCA, Isomap, t-SNE or lasso, then softmax regression, vs the MLP on circles, spirals, digits.

The lecture's "possible solution" to the limits of a linear classifier: transform the data to a
space where softmax regression has a better chance, by feature extraction (PCA, Isomap, t-SNE)
or feature selection (lasso), and its caveat: "performance of softmax regression is limited
by the performance of the previous feature extraction / selection approach". The MLP instead
learns the transformation and the classifier together.

Every transform maps to the same ``dims`` (2) dimensions, so that each can be plotted, and is
followed by the same softmax regression, ``MLP((dims, c), output="softmax")``, trained on the
standardised embedding of the training split from zero weights, with full-batch Adam on the
cross-entropy:

- raw: no transform (the original features; 64 pixels for digits), as the baseline;
- PCA: the top principal directions of the training split, from ``jnp.linalg.svd`` of the
  centred data; a linear map, so on 2-D data it is a rotation that cannot help;
- Isomap (scikit-learn): geodesic distances on a nearest-neighbour graph of the training
  split; test points are placed by ``Isomap.transform``;
- t-SNE (scikit-learn): has no map for new points, so it embeds the training and test points
  together (transductive: the test inputs, never their labels, shape the embedding) and the
  classifier is trained on the training rows and tested on the test rows;
- lasso: feature selection. The 2-D problems are expanded into polynomial features up to
  ``poly_degree`` (``x1, x2, x1², x1 x2, x2², ...``), the digits keep their 64 pixels; the
  features are standardised, and the lasso path of the one-hot targets (scikit-learn's
  ``lasso_path`` with the multi-task penalty ``Σ_features ‖row‖₂``, so a feature is in or out
  for every class at once) keeps the ``dims`` features that enter first as the penalty shrinks.
  On circles these are ``x1²`` and ``x2²``, in which the classes are linearly separable.

The 2-layer MLP ``(d, h, c)`` (tanh hidden layer, softmax output) is trained on the raw
features. Its hidden representation ``q`` (the transformation the network learned) is shown,
and classified by softmax regression, in ``dims`` dimensions: the directions of ``q`` that the
output layer reads (see ``output_layer_view``); a plain PCA of ``q`` would keep the directions
of largest variance, which on circles and spirals are not the ones that separate the classes.

Circles and spirals have an independent test sample of the training set's size; digits are
split 70/30, stratified. scikit-learn runs on one thread: on a shared machine OpenMP's spinning
threads made t-SNE more than ten times slower.

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

from .common import Claim, figure_grid, run, save_figure, verdict, write_metrics
from .linear_limits import DATASETS as SYNTHETIC
from .linear_limits import train

NAME = "feature_extraction"
TRANSFORMS = ("raw", "PCA", "Isomap", "t-SNE", "lasso")
MLP_ROWS = ("MLP hidden layer q", "2-layer MLP")
DATASETS = ("circles", "spirals", "digits")
NOT_LINEARLY_SEPARABLE = ("circles", "spirals")
GAIN = 0.2  # a transform "makes softmax regression succeed": at least this much above raw
SPREAD = 0.2  # "only as good as the transform": best minus worst transform at least this
LINEAR_SLACK = 0.02  # a linear transform (PCA) cannot help: within this of raw
MLP_SLACK = 0.02  # the MLP "matches" the best transform: at most this below it


@dataclasses.dataclass(frozen=True)
class Config:
    seed: int = 0  # PRNG seed of the data, the splits, the initial weights and the embeddings
    results: Path | None = None  # results root; None is ./results
    datasets: tuple[str, ...] = DATASETS  # which of DATASETS to run
    n: int = 600  # training points of circles and spirals (the test sample has as many)
    digits_n: int | None = None  # digits used, a stratified subset; None: all 1797
    dims: int = 2  # dimensions of every embedding and of the selected features
    poly_degree: int = 3  # polynomial expansion of the 2-D problems before lasso selection
    isomap_neighbors: int = 10  # neighbours in Isomap's graph
    tsne_perplexity: float = 30.0  # t-SNE's effective number of neighbours
    tsne_iterations: int = 1000  # t-SNE's optimisation steps (scikit-learn's minimum is 250)
    linear_epochs: int = 1000  # full-batch Adam steps for every softmax regression
    linear_learning_rate: float = 0.05  # their Adam step size
    hidden: int = 32  # hidden units h of the MLP (d, h, c)
    mlp_epochs: int = 2000  # full-batch Adam steps for the MLP
    mlp_learning_rate: float = 0.01  # its Adam step size


QUICK = Config(n=300, digits_n=500, tsne_iterations=300, linear_epochs=500, mlp_epochs=1000)


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


def embed(transform: str, config: Config, key, X_train, y_train, X_test, c: int, names):
    """``(E_train, E_test, axes)`` of one transform; ``axes`` names its output dimensions."""
    from sklearn.manifold import TSNE, Isomap

    dims = range(1, config.dims + 1)
    if transform == "raw":
        return X_train, X_test, names
    if transform == "PCA":
        project = pca(X_train, config.dims)
        return project(X_train), project(X_test), [f"principal component {i}" for i in dims]
    if transform == "Isomap":
        isomap = Isomap(n_neighbors=config.isomap_neighbors, n_components=config.dims)
        E_train, E_test = isomap.fit_transform(X_train), isomap.transform(X_test)
        return E_train, E_test, [f"Isomap dimension {i}" for i in dims]
    if transform == "t-SNE":
        tsne = TSNE(
            config.dims, perplexity=config.tsne_perplexity, max_iter=config.tsne_iterations,
            init="pca", random_state=int(jax.random.randint(key, (), 0, 2**31 - 1)),
        )  # fmt: skip
        both = tsne.fit_transform(np.concatenate([X_train, X_test]))
        axes = [f"t-SNE (train + test) dimension {i}" for i in dims]
        return both[: len(X_train)], both[len(X_train) :], axes
    if transform == "lasso":
        if X_train.shape[1] <= 3:  # a 2-D problem: select among its monomials
            F_train, feature_names = polynomial_features(X_train, config.poly_degree, names)
            F_test, _ = polynomial_features(X_test, config.poly_degree, names)
        else:
            F_train, F_test, feature_names = X_train, X_test, names
        scaler = standardize(F_train)
        F_train, F_test = scaler(F_train), scaler(F_test)
        chosen = lasso_selection(F_train, y_train, c, config.dims)
        axes = [f"lasso-selected {feature_names[i]}" for i in chosen]
        return F_train[:, chosen], F_test[:, chosen], axes
    raise ValueError(f"transform={transform!r} is not one of {TRANSFORMS}")


def softmax_regression(config: Config, key, E_train, y_train, E_test, y_test, c: int) -> float:
    """Test accuracy of softmax regression trained on the standardised embedding."""
    scaler = standardize(E_train)
    E_train, E_test = scaler(E_train), scaler(E_test)
    mlp = jaxmlp.MLP((E_train.shape[1], c), output="softmax")
    params = train(mlp, key, E_train, y_train, config.linear_epochs, config.linear_learning_rate)
    return jaxmlp.evaluate(mlp, params, E_test, y_test, "cross_entropy")["accuracy"]


def load_problem(name: str, config: Config, key):
    """``(X_train, y_train, X_test, y_test, feature names)``, standardised on the training split."""
    if name == "digits":
        key_subset, key_split = jax.random.split(key)
        X, y = load_digits()
        if config.digits_n is not None and config.digits_n < len(X):
            fraction = config.digits_n / len(X)
            (X, y), _ = split(key_subset, X, y, (fraction, 1 - fraction))
        (X_train, y_train), (X_test, y_test) = split(key_split, X, y, (0.7, 0.3))
        scaler = standardize(X_train)
        names = [f"pixel (row {i // 8}, column {i % 8})" for i in range(64)]
        return scaler(X_train), y_train, scaler(X_test), y_test, names
    data = load(SYNTHETIC[name], key, n=config.n, scale="standardize")
    return data.X_train, data.y_train, data.X_test, data.y_test, ["x1", "x2"]


def main(config: Config) -> dict:
    from threadpoolctl import threadpool_limits

    for name in config.datasets:
        if name not in DATASETS:
            raise ValueError(f"datasets holds {name!r}; choose from {DATASETS}")
    accuracy = {name: {} for name in config.datasets}
    axes = {name: {} for name in config.datasets}  # the names of each embedding's dimensions
    embeddings = {}  # (dataset, transform) -> (E_test, y_test), for the figures
    # One key per dataset whichever are run, so that a subset gives the same numbers.
    keys = dict(zip(DATASETS, jax.random.split(jax.random.key(config.seed), len(DATASETS))))
    for name in config.datasets:
        key = keys[name]
        key_data, key_embed, key_linear, key_mlp = jax.random.split(key, 4)
        X_train, y_train, X_test, y_test, names = load_problem(name, config, key_data)
        c = int(max(y_train.max(), y_test.max())) + 1
        for transform in TRANSFORMS:
            with threadpool_limits(1), warnings.catch_warnings():
                # Isomap connects a disconnected neighbour graph (the two circles) and says so.
                warnings.simplefilter("ignore", UserWarning)
                E_train, E_test, axes[name][transform] = embed(
                    transform, config, key_embed, X_train, y_train, X_test, c, names
                )
            accuracy[name][transform] = softmax_regression(
                config, key_linear, E_train, y_train, E_test, y_test, c
            )
            embeddings[name, transform] = (np.asarray(E_test), y_test)

        mlp = jaxmlp.MLP((X_train.shape[1], config.hidden, c), hidden="tanh", output="softmax")
        params = train(mlp, key_mlp, X_train, y_train, config.mlp_epochs, config.mlp_learning_rate)
        accuracy[name]["2-layer MLP"] = jaxmlp.evaluate(
            mlp, params, X_test, y_test, "cross_entropy"
        )["accuracy"]
        # The hidden layer alone is an MLP with no hidden layer and a tanh output: q = tanh(p).
        first_layer = jaxmlp.MLP((X_train.shape[1], config.hidden), output="tanh")
        Q = jaxmlp.predict_proba(first_layer, params[:1], np.concatenate([X_train, X_test]))
        Q_train, Q_test = Q[: len(X_train)], Q[len(X_train) :]  # (n, h), (m, h)
        project = output_layer_view(Q_train, params[1]["W"], config.dims)
        accuracy[name][MLP_ROWS[0]] = softmax_regression(
            config, key_linear, project(Q_train), y_train, project(Q_test), y_test, c
        )
        embeddings[name, MLP_ROWS[0]] = (project(Q_test), y_test)
        axes[name][MLP_ROWS[0]] = [
            f"q along the output layer's direction {i}" for i in range(1, config.dims + 1)
        ]
        print(f"{name}: " + ", ".join(f"{k} {v:.3f}" for k, v in accuracy[name].items()))

    metrics = {
        "config": config,
        "test_accuracy": accuracy,
        "axes": {  # the names of each transform's output dimensions
            name: {
                t: v if len(v) <= config.dims else f"{len(v)} input features"
                for t, v in row.items()
            }
            for name, row in axes.items()
        },  # fmt: skip
        "chance": {name: _chance(embeddings[name, "raw"][1]) for name in config.datasets},
    }
    _plot_embeddings(embeddings, metrics, config)
    _plot_hidden(embeddings, metrics, config)
    write_metrics(NAME, metrics, config.results)
    print(format_table(metrics))
    return metrics


def _chance(y: np.ndarray) -> float:
    return float(np.bincount(y).max() / len(y))


def format_table(metrics: dict) -> str:
    """Test accuracy: rows are the transforms and the MLP, columns the datasets."""
    names = list(metrics["test_accuracy"])
    rows = [f"{'softmax regression on':<28}" + "".join(f"{name:>9}" for name in names)]
    for transform in (*TRANSFORMS, *MLP_ROWS):
        cells = "".join(f"{metrics['test_accuracy'][name][transform]:>9.3f}" for name in names)
        label = transform if transform != MLP_ROWS[1] else "(2-layer MLP on raw)"
        rows.append(f"{label:<28}{cells}")
    return "\n".join(rows)


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
            accuracy = metrics["test_accuracy"][name][transform]
            ax.set_title(f"{name}: {transform}\nsoftmax regression {accuracy:.3f}", fontsize=9)
            x_label, y_label = metrics["axes"][name][transform][:2]
            ax.set_xlabel(x_label, fontsize=8)
            ax.set_ylabel(y_label, fontsize=8)
        axes[row, -1].legend(
            title="class", fontsize=6, title_fontsize=7, loc="center left",
            bbox_to_anchor=(1.02, 0.5), markerscale=2,
        )  # fmt: skip
    figure.suptitle(
        "2-D embeddings of the test points, coloured by class, and the test accuracy of "
        "softmax regression on them",
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
        mlp_accuracy = metrics["test_accuracy"][name]["2-layer MLP"]
        linear = metrics["test_accuracy"][name][MLP_ROWS[0]]
        ax.set_title(
            f"{name}: MLP test accuracy {mlp_accuracy:.3f}\n"
            f"softmax regression on this plane {linear:.3f}", fontsize=9
        )  # fmt: skip
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
    accuracy = metrics["test_accuracy"]
    extracted = TRANSFORMS[1:]
    datasets = [name for name in DATASETS if name in accuracy]
    hard = [name for name in NOT_LINEARLY_SEPARABLE if name in accuracy]

    def best(name, among=extracted):
        return max(among, key=lambda t: accuracy[name][t])

    def worst(name):
        return min(extracted, key=lambda t: accuracy[name][t])

    helped = [
        name for name in hard
        if accuracy[name][best(name)] - accuracy[name]["raw"] >= GAIN
    ]  # fmt: skip
    transform_claims = []  # only with a problem that is not linearly separable
    if hard:
        transform_claims.append(
            Claim(
                claim="Transforming the data first (feature extraction or selection) gives softmax "
                "regression a chance where the raw features are not linearly separable",
                measured="; ".join(
                    f"{name}: raw {accuracy[name]['raw']:.3f} → {best(name)} "
                    f"{accuracy[name][best(name)]:.3f}"
                    for name in hard
                ),
                verdict=verdict(len(helped), len(hard)),
            )
        )

    spread = [
        name for name in datasets
        if accuracy[name][best(name)] - accuracy[name][worst(name)] >= SPREAD
    ]  # fmt: skip
    pca_same = [
        name for name in hard
        if abs(accuracy[name]["PCA"] - accuracy[name]["raw"]) <= LINEAR_SLACK
    ]  # fmt: skip
    passed = len(spread) + len(pca_same)
    pca_measured = ", ".join(
        f"{name} {accuracy[name]['PCA']:.3f} vs {accuracy[name]['raw']:.3f}" for name in hard
    )
    limited_claim = Claim(
        claim="Softmax regression is limited by the transform before it: the same classifier "
        "ranges from poor to good with the transform, and a linear one (PCA) adds nothing",
        measured="; ".join(
            f"{name}: {worst(name)} {accuracy[name][worst(name)]:.3f} to "
            f"{best(name)} {accuracy[name][best(name)]:.3f}"
            for name in datasets
        )
        + (f"; PCA vs raw: {pca_measured}" if hard else ""),
        verdict=verdict(passed, len(datasets) + len(hard)),
    )

    # The best linear pipeline: any transform, or none.
    matched = [
        name for name in datasets
        if accuracy[name]["2-layer MLP"] >= accuracy[name][best(name, TRANSFORMS)] - MLP_SLACK
    ]  # fmt: skip
    transductive = any(best(name, TRANSFORMS) == "t-SNE" for name in datasets)
    tsne_note = " (t-SNE saw the test inputs)" if transductive else ""
    mlp_claim = Claim(
        claim="A single network learns the transformation and the classifier together: the "
        "MLP on raw features matches the best hand-chosen transform + softmax regression",
        measured="; ".join(
            f"{name}: MLP {accuracy[name]['2-layer MLP']:.3f} vs {best(name, TRANSFORMS)} "
            f"{accuracy[name][best(name, TRANSFORMS)]:.3f}"
            for name in datasets
        )
        + tsne_note,
        verdict=verdict(len(matched), len(datasets)),
    )
    return [*transform_claims, limited_claim, mlp_claim]


if __name__ == "__main__":
    run(__name__, Config, QUICK, main)
