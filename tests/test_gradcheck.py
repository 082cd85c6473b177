"""jaxmlp.gradcheck: both comparisons are judged, and the command line fails on either."""

import dataclasses
import functools

import jax
import jax.numpy as jnp
import pytest

import jaxmlp
from jaxmlp import gradcheck
from jaxmlp.app.cli import main


def rows_with(autodiff: float, numeric: float) -> list[gradcheck.GradCheckRow]:
    row = gradcheck.GradCheckRow("W1", (2, 3), 0.0, 0.0, autodiff, 6, numeric)
    return [row, dataclasses.replace(row, name="b1", relative_error=0.0)]


@pytest.mark.parametrize(
    "autodiff, numeric, failed",
    [
        (1e-15, 1e-9, []),
        (1e-2, 1e-9, ["autodiff"]),
        (1e-15, 1e-2, ["finite differences"]),
        (1e-2, 1e-2, ["autodiff", "finite differences"]),
        (1e-15, float("nan"), ["finite differences"]),
    ],
    ids=["both_pass", "autodiff_fails", "numeric_fails", "both_fail", "nan_fails"],
)
def test_failures_judges_both_comparisons(autodiff, numeric, failed):
    found = gradcheck.failures(rows_with(autodiff, numeric), jnp.float64)
    assert len(found) == len(failed)
    for line, other in zip(found, failed):
        assert f"differ from {other}" in line and "(in W1)" in line


def test_failures_uses_the_looser_float32_tolerances():
    assert gradcheck.failures(rows_with(1e-7, 1e-2), jnp.float32) == []
    assert gradcheck.failures(rows_with(1e-7, 1e-2), jnp.float64) != []
    with pytest.raises(ValueError, match="dtype='int32'"):
        gradcheck.failures(rows_with(0.0, 0.0), jnp.int32)


@pytest.mark.heavy
def test_coarse_finite_differences_are_caught(key):
    # A step of 0.5 leaves a truncation error of a few percent: autodiff still agrees with
    # backprop, finite differences do not, and the check must say so.
    with jax.enable_x64(True):
        mlp = jaxmlp.MLP((3, 4, 2), hidden="tanh", output="sigmoid")
        params = jaxmlp.init_params(key, mlp, dtype=jnp.float64)
        X = jax.random.normal(key, (5, 3), jnp.float64)
        T = jaxmlp.one_hot(jnp.array([0, 1, 1, 0, 1]), 2, jnp.float64)
        good = gradcheck.gradient_check(mlp, params, X, T, "mse")
        coarse = gradcheck.gradient_check(mlp, params, X, T, "mse", eps=0.5)
    assert gradcheck.failures(good, jnp.float64) == []
    assert max(row.relative_error for row in coarse) < 1e-12
    assert [line.split(":")[0] for line in gradcheck.failures(coarse, jnp.float64)] == [
        "the hand-written gradients differ from finite differences"
    ]


@pytest.mark.heavy
def test_command_exits_1_when_only_finite_differences_disagree(monkeypatch, capsys):
    monkeypatch.setattr(
        gradcheck, "gradient_check", functools.partial(gradcheck.gradient_check, eps=0.5)
    )
    status = main(["gradcheck", "--sizes", "3,4,2", "--hidden", "tanh"])
    out, err = capsys.readouterr()
    assert status == 1
    assert "differ from finite differences" in err
    assert "matches" not in out
