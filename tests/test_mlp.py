"""MLP: a frozen, hashable architecture, usable as a static argument of jax.jit."""

import dataclasses

import chex
import jax
import numpy as np
import pytest
from problems import random_problem

import jaxmlp


def test_equal_architectures_are_equal_and_hash_alike():
    a = jaxmlp.MLP((3, 4, 2), hidden="tanh", output="softmax")
    b = jaxmlp.MLP([3, 4, 2], hidden="tanh", output="softmax")  # a list becomes a tuple
    assert a == b and hash(a) == hash(b)
    assert b.sizes == (3, 4, 2)
    assert len({a, b, jaxmlp.MLP((3, 4, 2))}) == 2


@pytest.mark.parametrize(
    "other",
    [
        jaxmlp.MLP((3, 5, 2)),
        jaxmlp.MLP((3, 4, 2), hidden="relu"),
        jaxmlp.MLP((3, 4, 2), output="tanh"),
    ],
    ids=["sizes", "hidden", "output"],
)
def test_different_architectures_differ(other):
    assert jaxmlp.MLP((3, 4, 2)) != other


def test_frozen():
    mlp = jaxmlp.MLP((3, 4, 2))
    with pytest.raises(dataclasses.FrozenInstanceError):
        mlp.sizes = (3, 2)


def test_numpy_integer_sizes_become_python_ints():
    mlp = jaxmlp.MLP(np.array([3, 4, 2]))
    assert all(type(size) is int for size in mlp.sizes)
    assert hash(mlp) == hash(jaxmlp.MLP((3, 4, 2)))


@pytest.mark.parametrize(
    "sizes, n_layers, n_hidden, n_params",
    [
        ((2, 3, 1), 2, 1, (2 + 1) * 3 + (3 + 1) * 1),
        ((784, 10), 1, 0, 785 * 10),
        ((5, 4, 4, 3), 3, 2, 24 + 20 + 15),
    ],
    ids=["lecture_xor", "softmax_regression", "deep"],
)
def test_counts(sizes, n_layers, n_hidden, n_params):
    mlp = jaxmlp.MLP(sizes)
    assert (mlp.n_layers, mlp.n_hidden, mlp.n_params) == (n_layers, n_hidden, n_params)
    assert (mlp.n_inputs, mlp.n_outputs) == (sizes[0], sizes[-1])
    params, _, _ = random_problem(0, mlp, "mse", 1)
    assert sum(leaf.size for leaf in jax.tree.leaves(params)) == n_params


def test_activations_by_name_and_default():
    mlp = jaxmlp.MLP((3, 4, 2), hidden="relu")
    assert mlp.hidden_activation is jaxmlp.ACTIVATIONS["relu"]
    assert mlp.output_activation is jaxmlp.ACTIVATIONS["sigmoid"]  # the lecture's default


def test_static_argument_of_jit_compiles_once_per_architecture():
    mlp = jaxmlp.MLP((3, 4, 2), hidden="tanh")
    params, X, T = random_problem(0, mlp, "mse", 5)
    grad = jax.jit(chex.assert_max_traces(jaxmlp.backprop, n=1), static_argnums=0)
    first = grad(mlp, params, X, T)
    # new values and an equal but distinct MLP reuse the compiled function
    second = grad(
        jaxmlp.MLP((3, 4, 2), hidden="tanh"), jax.tree.map(lambda x: 2 * x, params), X + 1, T
    )
    assert not np.allclose(first[0]["W"], second[0]["W"])
