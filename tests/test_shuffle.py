"""The per-epoch reshuffle: a permutation every time, and as well spread as a uniform one."""

import jax
import numpy as np
import pytest

from jaxmlp.training import shuffle

permutations = jax.jit(jax.vmap(shuffle.permutation, in_axes=(0, None)), static_argnums=1)


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 17, 64, 1000, 4097, 60000])
def test_is_a_permutation(n):
    for seed in range(3):
        perm = np.asarray(shuffle.permutation(jax.random.key(seed), n))
        assert perm.dtype == np.int32
        np.testing.assert_array_equal(np.sort(perm), np.arange(n))


def test_same_key_same_permutation_and_keys_differ():
    a = shuffle.permutation(jax.random.key(0), 1000)
    np.testing.assert_array_equal(a, shuffle.permutation(jax.random.key(0), 1000))
    assert not np.array_equal(a, shuffle.permutation(jax.random.key(1), 1000))


@pytest.mark.parametrize("n", [5, 10, 37])
def test_every_index_lands_in_every_position_uniformly(n):
    draws = 20000
    keys = jax.random.split(jax.random.key(0), draws)
    perms = np.asarray(permutations(keys, n))
    counts = np.zeros((n, n))
    np.add.at(counts, (perms, np.broadcast_to(np.arange(n), perms.shape)), 1)
    expected = draws / n
    chi2 = ((counts - expected) ** 2 / expected).sum()
    dof = (n - 1) ** 2
    # A uniform shuffle gives chi2 ≈ dof ± sqrt(2 dof); 5 standard deviations is a failure.
    assert abs(chi2 - dof) < 5 * np.sqrt(2 * dof), (chi2, dof)


def test_all_orders_of_a_small_set_appear_about_equally():
    n, draws = 4, 24000
    keys = jax.random.split(jax.random.key(1), draws)
    perms = np.asarray(permutations(keys, n))
    _, counts = np.unique(perms, axis=0, return_counts=True)
    assert len(counts) == 24  # all 4! orders, odd ones included
    expected = draws / 24
    chi2 = ((counts - expected) ** 2 / expected).sum()
    assert chi2 < 23 + 5 * np.sqrt(2 * 23), chi2


@pytest.mark.heavy
def test_pairs_share_a_batch_as_often_as_under_a_uniform_shuffle():
    """What SGD sees: how often two examples fall in the same batch of 32, over many epochs."""
    n, batch, draws = 256, 32, 2000
    keys = jax.random.split(jax.random.key(2), draws)
    perms = np.asarray(permutations(keys, n))
    batch_of = np.empty_like(perms)
    np.put_along_axis(batch_of, perms, np.arange(n) // batch, axis=1)
    together = np.zeros((n, n))
    for b in batch_of:
        together += b[:, None] == b[None, :]
    rate = together[~np.eye(n, dtype=bool)] / draws
    expected = (batch - 1) / (n - 1)
    np.testing.assert_allclose(rate.mean(), expected, rtol=1e-6)  # exact for any permutation
    # Binomial spread of a pair's rate under a uniform shuffle, and no pair far outside it.
    sd = np.sqrt(expected * (1 - expected) / draws)
    assert rate.std() < 1.2 * sd
    assert np.abs(rate - expected).max() < 6 * sd


def test_consecutive_epochs_are_uncorrelated():
    n = 60000
    a = np.asarray(shuffle.permutation(jax.random.key(3), n))
    b = np.asarray(shuffle.permutation(jax.random.key(4), n))
    assert abs(np.corrcoef(a, b)[0, 1]) < 5 / np.sqrt(n)
    assert abs(np.corrcoef(a, np.arange(n))[0, 1]) < 5 / np.sqrt(n)


@pytest.mark.parametrize("n", [0, -1, 2**30 + 1])
def test_bad_n(n):
    with pytest.raises(ValueError, match="n must be"):
        shuffle.permutation(jax.random.key(0), n)
