"""The hand-written backprop equals autodiff of the objective, finite differences, and the
lecture's element-by-element formulas."""

import functools
import itertools
import math

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jax.test_util import check_grads
from problems import HIDDEN, OUTPUT_LOSS, random_problem

import jaxmlp

autodiff = jax.grad(jaxmlp.objective, argnums=1)

F64 = dict(rtol=1e-10, atol=1e-12)
F32 = dict(rtol=1e-5, atol=1e-6)

# Most tests use one width for every layer and the batch sizes below: few distinct shapes, so
# few operations for JAX to compile, shared between tests. A transposed W or a swapped layer
# still gives different numbers.
WIDTH = 3
BATCHES = (1, 7, 256)


def _sizes(depth):
    return (WIDTH,) * (depth + 2)


@functools.partial(jax.jit, static_argnums=(0, 4))
def _both_paths(mlp, params, X, T, loss, l2=0.0, weights=None):
    """``(backprop, autodiff)`` compiled together: cheaper than running new shapes eagerly."""
    return (
        jaxmlp.backprop(mlp, params, X, T, loss, l2, weights),
        autodiff(mlp, params, X, T, loss, l2, weights),
    )


def _cover(hiddens, output_losses):
    """Cases that use every hidden activation and every (output, loss) pair at least once."""
    count = max(len(hiddens), len(output_losses))
    return [
        (hiddens[i % len(hiddens)], *output_losses[i % len(output_losses)]) for i in range(count)
    ]


def _ids(cases):
    return ["-".join(map(str, case)) for case in cases]


def _grid():
    """float64: every combination. float32: every activation and loss at the largest batch."""
    for depth, hidden, (output, loss), l2, n, dtype in itertools.product(
        (0, 1, 2, 4), HIDDEN, OUTPUT_LOSS, (0.0, 0.1), BATCHES, (jnp.float64, jnp.float32)
    ):
        if depth == 0 and hidden != HIDDEN[0]:
            continue  # without hidden layers the hidden activation is never used
        if dtype == jnp.float32 and (n != 256 or depth not in (0, 2)):
            continue
        name = f"depth{depth}-{hidden if depth else 'no_hidden'}-{output}-{loss}"
        case_id = f"{name}-l2={l2}-n{n}-{jnp.dtype(dtype).name}"
        # The quick tier keeps depths 0 and 2 at the largest batch: every activation and loss.
        quick = depth in (0, 2) and n == BATCHES[-1]
        marks = () if quick else pytest.mark.heavy
        yield pytest.param(depth, hidden, output, loss, l2, n, dtype, id=case_id, marks=marks)


@pytest.mark.parametrize("depth, hidden, output, loss, l2, n, dtype", list(_grid()))
def test_backprop_equals_autodiff(depth, hidden, output, loss, l2, n, dtype):
    mlp = jaxmlp.MLP(_sizes(depth), hidden=hidden, output=output)
    params, X, T = random_problem(depth, mlp, loss, n, dtype)

    grads = jaxmlp.backprop(mlp, params, X, T, loss=loss, l2=l2)

    chex.assert_trees_all_equal_shapes_and_dtypes(grads, params)
    tolerance = F64 if dtype == jnp.float64 else F32
    chex.assert_trees_all_close(grads, autodiff(mlp, params, X, T, loss, l2), **tolerance)


def test_distinct_layer_widths():
    mlp = jaxmlp.MLP((6, 5, 4, 2, 3), hidden="gelu", output="softmax")
    params, X, T = random_problem(0, mlp, "cross_entropy", 11)
    grads, expected = _both_paths(mlp, params, X, T, "cross_entropy", 0.01)
    chex.assert_trees_all_equal_shapes(grads, params)
    chex.assert_trees_all_close(grads, expected, **F64)


# --- example weights ------------------------------------------------------------------------

WEIGHTED = [("tanh", "sigmoid", "mse"), ("relu", "softmax", "mse")] + [
    ("tanh", output, loss) for output, loss in OUTPUT_LOSS if loss != "mse"
]
WEIGHTS = jnp.array([0.5, 2.0, 0.0, 1.0, 3.0, 0.0, 0.25])  # two examples masked out


@pytest.mark.parametrize("hidden, output, loss", WEIGHTED, ids=_ids(WEIGHTED))
def test_weights_backprop_equals_autodiff(hidden, output, loss):
    mlp = jaxmlp.MLP(_sizes(1), hidden=hidden, output=output)
    params, X, T = random_problem(1, mlp, loss, 7)
    chex.assert_trees_all_close(
        jaxmlp.backprop(mlp, params, X, T, loss, 0.1, weights=WEIGHTS),
        autodiff(mlp, params, X, T, loss, 0.1, WEIGHTS),
        **F64,
    )


@pytest.mark.parametrize("gradient", [jaxmlp.backprop, autodiff], ids=["backprop", "autodiff"])
def test_weights_mask_and_repeat_examples(gradient):
    mlp = jaxmlp.MLP(_sizes(1), hidden="tanh", output="softmax")
    loss = "cross_entropy"
    params, X, T = random_problem(2, mlp, loss, 7)
    # Zero weights drop the examples.
    masked = gradient(mlp, params, X, T, loss, 0.0, jnp.array([0.0, 0, 5, 0, 0, 0, 0]))
    chex.assert_trees_all_close(masked, gradient(mlp, params, X[2:3], T[2:3], loss), **F64)
    # An integer weight counts the example that many times.
    repeated = gradient(mlp, params, X, T, loss, 0.0, jnp.array([3, 1, 1, 1, 1, 0, 0]))
    rows = jnp.array([0, 0, 0, 1, 2, 3, 4])
    chex.assert_trees_all_close(repeated, gradient(mlp, params, X[rows], T[rows], loss), **F64)
    # Equal weights give the plain mean.
    uniform = gradient(mlp, params, X, T, loss, 0.0, jnp.full(7, 0.3))
    chex.assert_trees_all_close(uniform, gradient(mlp, params, X, T, loss), **F64)


# --- finite differences ---------------------------------------------------------------------

FINITE_DIFFERENCES = _cover(HIDDEN, OUTPUT_LOSS)


def _objective_with_backprop_as_vjp(mlp, X, T, loss, l2):
    """``objective`` as a function of params whose reverse-mode derivative IS ``backprop``."""

    @jax.custom_vjp
    def f(params):
        return jaxmlp.objective(mlp, params, X, T, loss, l2)

    def f_fwd(params):
        return f(params), params

    def f_bwd(params, cotangent):
        grads = jaxmlp.backprop(mlp, params, X, T, loss, l2)
        return (jax.tree.map(lambda g: cotangent * g, grads),)

    f.defvjp(f_fwd, f_bwd)
    return f


@pytest.mark.parametrize("hidden, output, loss", FINITE_DIFFERENCES, ids=_ids(FINITE_DIFFERENCES))
def test_finite_differences(hidden, output, loss):
    mlp = jaxmlp.MLP(_sizes(2), hidden=hidden, output=output)
    params, X, T = random_problem(3, mlp, loss, 7)
    # autodiff of the objective against finite differences
    check_grads(lambda p: jaxmlp.objective(mlp, p, X, T, loss, 0.1), (params,), 1, ["rev"])
    # the hand-written gradient against finite differences, with no autodiff in between
    f = _objective_with_backprop_as_vjp(mlp, X, T, loss, 0.1)
    check_grads(f, (params,), 1, ["rev"])


# --- random architectures -------------------------------------------------------------------


@st.composite
def architectures(draw):
    depth = draw(st.integers(0, 3))
    sizes = tuple(draw(st.integers(1, 5)) for _ in range(depth + 2))
    output, loss = draw(st.sampled_from(OUTPUT_LOSS))
    return jaxmlp.MLP(sizes, hidden=draw(st.sampled_from(HIDDEN)), output=output), loss


@settings(max_examples=10, deadline=None, database=None)
@given(
    architecture=architectures(),
    n=st.integers(1, 9),
    scale=st.sampled_from([0.1, 1.0, 4.0]),
    l2=st.sampled_from([0.0, 1e-3, 0.5]),
    seed=st.integers(0, 2**32 - 1),
)
def test_backprop_equals_autodiff_on_random_architectures(architecture, n, scale, l2, seed):
    mlp, loss = architecture
    params, X, T = random_problem(seed, mlp, loss, n)
    X = scale * X  # from nearly linear units to saturated ones
    grads, expected = _both_paths(mlp, params, X, T, loss, l2)
    chex.assert_trees_all_close(grads, expected, **F64)


# --- the lecture's two-layer formulas, element by element ------------------------------------


def _sigma(z):
    return 1 / (1 + math.exp(-z))


def _lecture_gradients(W1, b1, W2, b2, x, t):
    """The slides' feedforward and backpropagation for ONE example, index by index.

    ``W1[l, j]`` is the slide's W¹_lj and ``W2[l_, k]`` its W²_l'k; sums run over l, l' and k.
    """
    d, h = W1.shape
    c = W2.shape[1]
    # Feedforward
    p = [sum(W1[l, j] * x[l] for l in range(d)) + b1[j] for j in range(h)]
    q = [_sigma(p[j]) for j in range(h)]
    a = [sum(W2[l_, k] * q[l_] for l_ in range(h)) + b2[k] for k in range(c)]
    y_hat = [_sigma(a[k]) for k in range(c)]
    J = 0.5 * sum((t[k] - y_hat[k]) ** 2 for k in range(c))
    # Backpropagation
    dW2, db2 = np.zeros((h, c)), np.zeros(c)
    for l_ in range(h):
        for k in range(c):
            # ∂J/∂W²_l'k = -(t_k - y_hat_k) y_hat_k (1 - y_hat_k) q_l'
            dW2[l_, k] = -(t[k] - y_hat[k]) * y_hat[k] * (1 - y_hat[k]) * q[l_]
    for k in range(c):
        # ∂J/∂b²_k = -(t_k - y_hat_k) y_hat_k (1 - y_hat_k)
        db2[k] = -(t[k] - y_hat[k]) * y_hat[k] * (1 - y_hat[k])
    dW1, db1 = np.zeros((d, h)), np.zeros(h)
    for l in range(d):
        for j in range(h):
            # ∂J/∂W¹_lj = Σ_k [-(t_k - y_hat_k) y_hat_k (1 - y_hat_k) W²_jk] q_j (1 - q_j) x_l
            dW1[l, j] = (
                sum(-(t[k] - y_hat[k]) * y_hat[k] * (1 - y_hat[k]) * W2[j, k] for k in range(c))
                * q[j]
                * (1 - q[j])
                * x[l]
            )
    for j in range(h):
        # ∂J/∂b¹_j = Σ_k [-(t_k - y_hat_k) y_hat_k (1 - y_hat_k) W²_jk] q_j (1 - q_j)
        db1[j] = (
            sum(-(t[k] - y_hat[k]) * y_hat[k] * (1 - y_hat[k]) * W2[j, k] for k in range(c))
            * q[j]
            * (1 - q[j])
        )
    return J, [{"W": dW1, "b": db1}, {"W": dW2, "b": db2}]


def _lecture_problem(sizes, n, seed):
    mlp = jaxmlp.MLP(sizes)  # sigmoid hidden and output, the lecture's MLP
    params, X, T = random_problem(seed, mlp, "mse", n)
    W1, b1, W2, b2 = (np.asarray(layer[name]) for layer in params for name in ("W", "b"))
    return mlp, params, X, T, (W1, b1, W2, b2)


def test_lecture_formulas_one_example():
    mlp, params, X, T, weights = _lecture_problem(_sizes(1), 1, 4)
    x, t = np.asarray(X[0]), np.asarray(T[0])

    J, slides = _lecture_gradients(*weights, x, t)

    assert float(jaxmlp.objective(mlp, params, X, T)) == pytest.approx(J, rel=1e-12)
    chex.assert_trees_all_close(jaxmlp.backprop_example(mlp, params, x, t), slides, **F64)
    chex.assert_trees_all_close(jaxmlp.backprop(mlp, params, X, T), slides, **F64)
    chex.assert_trees_all_close(autodiff(mlp, params, X, T), slides, **F64)


def test_lecture_formulas_averaged_over_a_batch():
    mlp, params, X, T, weights = _lecture_problem(_sizes(1), 7, 5)
    per_example = [
        _lecture_gradients(*weights, x, t)[1] for x, t in zip(np.asarray(X), np.asarray(T))
    ]
    mean = jax.tree.map(lambda *g: np.mean(g, axis=0), *per_example)
    chex.assert_trees_all_close(jaxmlp.backprop(mlp, params, X, T), mean, **F64)


# --- jit and vmap ---------------------------------------------------------------------------

JITTED = [
    ("sigmoid", "mse"),
    ("softmax", "mse"),
    ("softmax", "cross_entropy"),
    ("sigmoid", "binary_cross_entropy"),
]


@pytest.mark.parametrize("output, loss", JITTED, ids=_ids(JITTED))
def test_backprop_equals_autodiff_under_jit(output, loss):
    mlp = jaxmlp.MLP(_sizes(2), hidden="elu", output=output)
    params, X, T = random_problem(6, mlp, loss, 7)
    backprop_jit = jax.jit(jaxmlp.backprop, static_argnames=("mlp", "loss"))
    autodiff_jit = jax.jit(autodiff, static_argnums=(0, 4))

    grads = backprop_jit(mlp, params, X, T, loss=loss, l2=0.1)  # l2 traced

    chex.assert_trees_all_close(grads, autodiff_jit(mlp, params, X, T, loss, 0.1), **F64)
    chex.assert_trees_all_close(grads, jaxmlp.backprop(mlp, params, X, T, loss, 0.1), **F64)


PER_EXAMPLE = _cover(HIDDEN, OUTPUT_LOSS)


@pytest.mark.parametrize("hidden, output, loss", PER_EXAMPLE, ids=_ids(PER_EXAMPLE))
def test_per_example_gradients_vmap(hidden, output, loss):
    mlp = jaxmlp.MLP(_sizes(2), hidden=hidden, output=output)
    params, X, T = random_problem(7, mlp, loss, 7)

    def example_objective(params, x, t):
        return jaxmlp.objective(mlp, params, x[None], t[None], loss)

    by_autodiff = jax.vmap(jax.grad(example_objective), in_axes=(None, 0, 0))(params, X, T)
    by_hand = jax.vmap(lambda x, t: jaxmlp.backprop_example(mlp, params, x, t, loss))(X, T)

    chex.assert_trees_all_close(by_hand, by_autodiff, **F64)
    chex.assert_shape(by_hand[0]["W"], (7, WIDTH, WIDTH))
    # the objective's gradient is the mean of the per-example ones
    mean = jax.tree.map(lambda g: jnp.mean(g, axis=0), by_hand)
    chex.assert_trees_all_close(jaxmlp.backprop(mlp, params, X, T, loss), mean, **F64)


# --- backprop_trace -------------------------------------------------------------------------

TRACED = [(depth, *case) for depth, case in zip((0, 1, 2, 4) * 3, _cover(HIDDEN, OUTPUT_LOSS))]


def _deltas_by_autodiff(mlp, params, x, t, loss):
    """∂J/∂(pre-activation) of every layer, by jax.grad through a zero shift of each one."""
    f, sigma, loss = mlp.output_activation, mlp.hidden_activation, jaxmlp.LOSSES[loss]

    def J(shifts):
        q = x
        for layer, shift in zip(params[:-1], shifts[:-1]):
            q = sigma(layer["W"].T @ q + layer["b"] + shift)
        a = params[-1]["W"].T @ q + params[-1]["b"] + shifts[-1]
        return loss.value(a, f(a), t)

    return jax.grad(J)([jnp.zeros_like(layer["b"]) for layer in params])


@pytest.mark.parametrize(
    "depth, hidden, output, loss",
    TRACED,
    ids=[f"depth{case[0]}-" + _ids([case[1:]])[0] for case in TRACED],
)
def test_backprop_trace_deltas_equal_autodiff(depth, hidden, output, loss):
    mlp = jaxmlp.MLP(_sizes(depth), hidden=hidden, output=output)
    params, X, T = random_problem(8, mlp, loss, 1)
    x, t = X[0], T[0]

    trace = jaxmlp.backprop_trace(mlp, params, x, t, loss)

    chex.assert_trees_all_close(trace["delta"], _deltas_by_autodiff(mlp, params, x, t, loss), **F64)
    np.testing.assert_allclose(trace["y_hat"], jaxmlp.forward(mlp, params, x), rtol=1e-12)
    np.testing.assert_allclose(trace["J"], jaxmlp.objective(mlp, params, X, T, loss), rtol=1e-12)
    for p, q in zip(trace["p"], trace["q"]):
        np.testing.assert_allclose(q, mlp.hidden_activation(p), rtol=1e-12)


@pytest.mark.parametrize(
    "sizes", [(4, 2), (4, 5, 2), (4, 5, 3, 6, 2)], ids=["4-2", "4-5-2", "4-5-3-6-2"]
)
def test_backprop_trace_shapes(sizes):
    mlp = jaxmlp.MLP(sizes, hidden="tanh", output="softmax")
    params, X, T = random_problem(10, mlp, "cross_entropy", 1)

    trace = jaxmlp.backprop_trace(mlp, params, X[0], T[0], "cross_entropy")

    # p, q: one (h_l,) per hidden layer; a, y_hat: (c,); J: a scalar; δ: one per layer
    hidden_widths = sizes[1:-1]
    assert len(trace["p"]) == len(trace["q"]) == len(hidden_widths)
    for p, q, width in zip(trace["p"], trace["q"], hidden_widths):
        chex.assert_shape((p, q), (width,))
    chex.assert_shape((trace["a"], trace["y_hat"]), (sizes[-1],))
    chex.assert_shape(trace["J"], ())
    assert len(trace["delta"]) == len(sizes) - 1
    for delta, width in zip(trace["delta"], sizes[1:]):
        chex.assert_shape(delta, (width,))
    # δ of the output layer for softmax cross-entropy: y_hat - t
    np.testing.assert_allclose(trace["delta"][-1], trace["y_hat"] - T[0], rtol=1e-12)


# --- extreme inputs -------------------------------------------------------------------------

# Every hidden activation before the unbounded identity output, and every (output, loss) pair
# after a saturating (sigmoid) and an unbounded (relu) hidden activation.
EXTREME = sorted(
    {(hidden, "identity", "mse") for hidden in HIDDEN}
    | {(hidden, *output_loss) for hidden in ("sigmoid", "relu") for output_loss in OUTPUT_LOSS}
)


def _scaled_to(mlp, params, X, target):
    """params rescaled layer by layer so that each layer's largest |pre-activation| is target."""
    scaled, q = [], X
    for l, layer in enumerate(params):
        p = q @ layer["W"] + layer["b"][None, :]
        s = target / jnp.max(jnp.abs(p))
        scaled.append({"W": s * layer["W"], "b": s * layer["b"]})
        if l < mlp.n_hidden:
            q = mlp.hidden_activation(s * p)
    return scaled


@pytest.mark.parametrize("hidden, output, loss", EXTREME, ids=_ids(EXTREME))
def test_preactivations_of_1e3_in_float32_stay_finite(hidden, output, loss):
    mlp = jaxmlp.MLP(_sizes(2), hidden=hidden, output=output)
    params, X, T = random_problem(9, mlp, loss, 256, jnp.float32)
    params = _scaled_to(mlp, params, X, 1e3)
    q = X
    for l, layer in enumerate(params):
        p = q @ layer["W"] + layer["b"][None, :]
        assert float(jnp.max(jnp.abs(p))) == pytest.approx(1e3, rel=1e-3), f"layer {l}"
        q = mlp.hidden_activation(p)

    chex.assert_tree_all_finite(jaxmlp.objective(mlp, params, X, T, loss, 0.1))
    chex.assert_tree_all_finite(jaxmlp.backprop(mlp, params, X, T, loss, 0.1))
    chex.assert_tree_all_finite(autodiff(mlp, params, X, T, loss, 0.1))


# --- regressions ----------------------------------------------------------------------------


@pytest.mark.parametrize("hidden", ["relu", "elu", "leaky_relu"])
def test_preactivations_exactly_zero(hidden, key):
    # All-zero inputs and the initial b = 0 give p = 0 exactly, at the kink; relu units that
    # are all off give the next layer p = 0 too.
    mlp = jaxmlp.MLP(_sizes(2), hidden=hidden, output="sigmoid")
    params = jaxmlp.init_params(key, mlp, dtype=jnp.float64)
    X = jnp.array([[0.0, 0, 0], [0, 1, 0], [1, 0, 1], [0, 0, 0], [1, 1, 1], [-1, 0, 0], [0, 0, 2]])
    T = jnp.linspace(0, 1, 7 * WIDTH).reshape(7, WIDTH)
    grads = jaxmlp.backprop(mlp, params, X, T)
    chex.assert_trees_all_close(grads, autodiff(mlp, params, X, T), **F64)


def test_integer_inputs():
    mlp = jaxmlp.MLP(_sizes(1))
    params, _, T = random_problem(11, mlp, "mse", 7)
    X = np.array([[0, 0, 0], [0, 1, 0], [1, 0, 1], [1, 1, 0], [2, 0, 1], [0, 3, 1], [1, 1, 1]])
    grads = jaxmlp.backprop(mlp, params, X, T)
    chex.assert_trees_all_close(grads, autodiff(mlp, params, X, T), **F64)
    chex.assert_trees_all_close(grads, jaxmlp.backprop(mlp, params, X.astype(np.float64), T), **F64)
