"""L-BFGS's stopping tests (``jaxmlp.training.lbfgs``) through ``fit(optimizer_options=)``."""

import jax
import numpy as np
import pytest

import jaxmlp
from jaxmlp.training import lbfgs

# Seconds a test (a program each): make test runs them, make test-quick not.
pytestmark = pytest.mark.heavy

X = np.random.default_rng(0).normal(size=(64, 3))
Y = np.sin(X @ np.array([[1.0], [-2.0], [0.5]]))
MLP = jaxmlp.MLP((3, 8, 1), "tanh", "identity")


def train(options, epochs=40):
    params = jaxmlp.init_params(jax.random.key(0), MLP)
    return jaxmlp.fit(
        MLP, params, X, Y, key=jax.random.key(1), loss="mse", optimizer="lbfgs",
        epochs=epochs, early_stopping=False, optimizer_options=options,
    )  # fmt: skip


def test_a_gradient_within_gtol_stops_as_converged():
    _, history = train({"gtol": 1e9})
    assert history.stop_reason == "converged" and len(history.train_loss) == 1


def test_a_relative_decrease_within_ftol_stops_as_converged():
    # (f_k - f_k+1) / max(|f_k|, |f_k+1|, 1) is below 1 for a loss >= 0: the first step stops.
    _, history = train({"ftol": 1.0})
    assert history.stop_reason == "converged" and len(history.train_loss) == 1


def test_more_evaluations_than_allowed_stop_at_the_first_iteration_past_them():
    _, history = train({"max_evaluations": 6})
    evaluations = int(history.state.opt_state.evaluations)
    assert history.stop_reason == "evaluations" and evaluations > 6
    # one iteration fewer stays within the limit: the stop came at the first one past it
    _, shorter = train({"max_evaluations": 10**6}, epochs=len(history.train_loss) - 1)
    assert int(shorter.state.opt_state.evaluations) <= 6


def test_tests_that_never_pass_change_nothing_in_optaxs_steps():
    params, history = train({"gtol": 0.0, "ftol": 0.0, "max_evaluations": 10**6}, epochs=15)
    plain, plain_history = train(None, epochs=15)
    assert history.stop_reason == "epochs" and len(history.train_loss) == 15
    for ours, theirs in zip(jax.tree.leaves(params), jax.tree.leaves(plain)):
        np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(history.train_loss, plain_history.train_loss)
    assert lbfgs.stop_code(plain_history.state.opt_state) is None


@pytest.mark.parametrize(
    "options, match",
    [
        ({"gtol": -1.0}, r"optimizer_options\['gtol'\] must be a finite number >= 0, got -1.0"),
        ({"max_evaluations": 0}, r"optimizer_options\['max_evaluations'\] must be a positive"),
        ({"b1": 0.9}, "optimizer_options has 'b1', which optimizer='lbfgs'"),
    ],
    ids=["gtol", "max_evaluations", "adams"],
)
def test_bad_lbfgs_options_are_named(options, match):
    with pytest.raises(ValueError, match=match):
        train(options)


def test_new_tolerances_compile_nothing_and_a_continued_fit_counts_afresh():
    from jaxmlp.compiling import cached_programs

    _, first = train({"gtol": 0.0, "ftol": 0.0, "max_evaluations": 6})
    programs = cached_programs()
    _, second = train({"gtol": 1e9, "ftol": 0.0, "max_evaluations": 10**6})
    assert cached_programs() == programs  # the tolerances are data in the state
    assert first.stop_reason == "evaluations" and second.stop_reason == "converged"
    # A fit from the first's state counts its own evaluations, with its own limit.
    _, resumed = jaxmlp.fit(
        MLP, first.state, X, Y, key=jax.random.key(1), loss="mse", optimizer="lbfgs",
        epochs=len(first.train_loss) + 2, early_stopping=False,
        optimizer_options={"gtol": 0.0, "ftol": 0.0, "max_evaluations": 10**6},
    )  # fmt: skip
    assert resumed.stop_reason == "epochs" and len(resumed.train_loss) == 2
    assert int(resumed.state.opt_state.evaluations) < int(first.state.opt_state.evaluations)


def test_the_evaluation_limit_comes_before_the_tests_as_in_scipys_driver():
    _, history = train({"gtol": 1e9, "max_evaluations": 1})
    assert history.stop_reason == "evaluations" and len(history.train_loss) == 1
