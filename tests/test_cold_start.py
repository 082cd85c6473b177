"""The command line answers ``--help``, a bad flag or a bad value without importing JAX, and
``import jaxmlp`` imports nothing heavy; the JAX-free lists (``names``, ``rules``,
``data.catalog``) equal what they stand for, so that they cannot drift."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import jaxmlp
from jaxmlp import checks, names, rules
from jaxmlp.activations import ACTIVATIONS
from jaxmlp.data import catalog, specs, synthetic
from jaxmlp.losses import LOSSES
from jaxmlp.params import INITS
from jaxmlp.training import MONITORS
from jaxmlp.training.optimizers import OPTIMIZERS, SCHEDULES

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("jax", "jaxlib", "optax")
# Runs the command line in a fresh interpreter, then says which heavy modules it imported.
PROBE = """
import sys
from jaxmlp.app.cli import main
status = main(sys.argv[1:])
heavy = [name for name in {heavy!r} if name in sys.modules]
print("PROBE", status, ",".join(heavy), file=sys.stderr)
"""


def python(*args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120
    )


def run_cli(*argv: str) -> tuple[int, list[str], str, str]:
    """``main(argv)`` in a fresh interpreter: its status, the heavy modules, stdout, stderr."""
    result = python("-c", PROBE.format(heavy=HEAVY), *argv)
    assert result.returncode == 0, result.stderr
    *stderr, probe = result.stderr.splitlines()
    _, status, heavy = probe.split(" ")
    return (
        int(status),
        [name for name in heavy.split(",") if name],
        result.stdout,
        "\n".join(stderr),
    )


@pytest.mark.parametrize(
    "argv, status, expected",
    [
        (["--help"], 0, "usage: jaxmlp"),
        (["train", "--help"], 0, "data specs (--data):"),
        (["gradcheck", "--help"], 0, "--examples N"),
        (["evaluate", "--help"], 0, "--split {test,train,all}"),
        (["train", "--bogus"], 2, "jaxmlp: error: unknown option --bogus"),
        (["train", "--learning-rate", "0.1"], 2, "did you mean --lr?"),
        (["train", "--epochs", "0"], 2, "epochs (--epochs) must be a positive integer"),
        (["train", "--lr", "nan"], 2, "lr (--lr) must be a finite number > 0, got nan"),
        (["train", "--hidden", "softmax"], 2, "hidden (--hidden) 'softmax' is not known"),
        (["train", "--optimizer", "adamm"], 2, "did you mean 'adam'?"),
        (["train", "--output", "sigmoid"], 2, "loss='cross_entropy' needs output='softmax'"),
        (["train", "--optimizer", "lbfgs"], 2, "optimizer='lbfgs' is full-batch"),
        (["train", "--monitor", "val_loss"], 2, "needs a validation split"),
        (["train", "--config", "missing.toml"], 2, "config file 'missing.toml' does not exist"),
        (["evaluate", "--split", "val"], 2, "argument --split: invalid choice"),
        (["gradcheck", "--sizes", "d,4,c"], 2, "gradcheck has no data to take d or c from"),
        (["gradcheck", "--examples", "0"], 2, "--examples must be a positive integer"),
        ([], 2, "the following arguments are required: command"),
    ],
)
def test_help_and_usage_errors_import_no_jax(argv, status, expected):
    got, heavy, stdout, stderr = run_cli(*argv)
    assert (got, heavy) == (status, [])
    assert expected in (stdout if status == 0 else stderr)
    if status:
        assert stderr.startswith("jaxmlp: error: ") and len(stderr.splitlines()) == 1


@pytest.mark.heavy
def test_a_command_still_imports_jax_and_runs():
    status, heavy, stdout, _ = run_cli("gradcheck", "--sizes", "2,3,2", "--examples", "2")
    assert status == 0 and "jax" in heavy
    assert "backprop matches autodiff" in stdout


def test_python_m_jaxmlp_help_imports_no_jax():
    result = python("-X", "importtime", "-m", "jaxmlp", "--help")
    assert result.returncode == 0 and "usage: python -m jaxmlp" in result.stdout
    imported = {line.split("|")[-1].strip() for line in result.stderr.splitlines() if "|" in line}
    assert "jaxmlp.app.cli" in imported
    assert not {name for name in imported if name.split(".")[0] in HEAVY}


@pytest.mark.heavy
def test_import_jaxmlp_imports_nothing_heavy_until_a_name_is_used():
    code = "import sys, jaxmlp, jaxmlp.data; print(sorted(set({!r}) & set(sys.modules)))"
    assert python("-c", code.format(HEAVY)).stdout.strip() == "[]"
    code = "import sys, jaxmlp; jaxmlp.fit; print('jax' in sys.modules, 'optax' in sys.modules)"
    assert python("-c", code).stdout.strip() == "True True"


@pytest.mark.heavy
@pytest.mark.parametrize("name", ["predict", "objective", "backprop", "forward"])
def test_a_function_named_as_its_module_stays_the_function_after_importing_the_module(name):
    # Fresh interpreters: the import system sets jaxmlp.<name> to the submodule once loaded.
    for code in (
        f"import jaxmlp.{name}",
        f"import jaxmlp; jaxmlp.{name}; import jaxmlp.{name}",
        f"from jaxmlp.{name} import {name}",
        "import jaxmlp.training",  # imports them all
    ):
        check = (
            f"{code}; import sys, jaxmlp; from jaxmlp import {name} as imported; "
            f"f = sys.modules['jaxmlp.{name}'].{name}; "
            f"print(jaxmlp.{name} is f and imported is f and callable(f))"
        )
        result = python("-c", check)
        assert result.stdout.strip() == "True", (code, result.stderr)


def test_every_public_name_resolves_as_before():
    for name in jaxmlp.__all__:
        assert getattr(jaxmlp, name) is not None, name
    assert set(jaxmlp.__all__) <= set(dir(jaxmlp))
    from jaxmlp import fit, predict

    assert fit is jaxmlp.training.fit and predict is sys.modules["jaxmlp.predict"].predict
    assert callable(jaxmlp.predict) and callable(jaxmlp.sweep.best_member)
    assert jaxmlp.config.TrainConfig is sys.modules["jaxmlp.app.config"].TrainConfig
    assert callable(jaxmlp.parallel.data_mesh) and "float64" in jaxmlp.gradcheck.TOLERANCES
    assert jaxmlp.data.SPECS is catalog.SPECS and jaxmlp.data.load is specs.load
    assert isinstance(jaxmlp.__version__, str)
    for name in jaxmlp.data.__all__:
        assert getattr(jaxmlp.data, name) is not None, name
    with pytest.raises(AttributeError, match="module 'jaxmlp' has no attribute 'fitt'"):
        jaxmlp.fitt  # noqa: B018


def test_the_names_equal_the_registries():
    assert names.ACTIVATIONS == tuple(ACTIVATIONS)
    hidden = tuple(name for name, activation in ACTIVATIONS.items() if activation.elementwise)
    assert names.HIDDEN_ACTIVATIONS == hidden
    assert names.LOSSES == tuple(LOSSES)
    assert names.LOSS_OUTPUTS == {name: loss.output for name, loss in LOSSES.items()}
    assert names.INITS == tuple(INITS)
    assert (names.OPTIMIZERS, names.SCHEDULES, names.MONITORS) == (OPTIMIZERS, SCHEDULES, MONITORS)


def test_the_data_catalog_equals_the_loaders():
    assert catalog.CLASSIFIER_NAMES == tuple(specs.CLASSIFIERS)
    assert catalog.REGRESSION == tuple(synthetic.REGRESSION_TARGETS)
    for spec in catalog.SPECS:
        assert spec.split(":")[0] in (
            "digits",
            "fashion-mnist",
            *catalog.FILE_KINDS,
            *specs.CLASSIFIERS,
            *catalog.REGRESSION,
        )


def test_the_scalar_rules_have_one_home():
    assert checks.RULES is rules.RULES and checks.check_scalar is rules.check_scalar
    assert checks.check_full_batch is rules.check_full_batch
    assert rules.check_scalar(np.bool_(True), "bool", "grid") is True
    assert rules.check_scalar(np.float32(0.5), "fraction", "f") == 0.5
    assert rules.check_scalar(np.int64(3), "count", "epochs") == 3
    with pytest.raises(ValueError, match=r"lr must be a finite number > 0, got 1000"):
        rules.check_scalar(10**400, "positive", "lr")  # beyond float: no OverflowError
    with pytest.raises(TypeError, match="grid must be True or False, got 1"):
        rules.check_scalar(1, "bool", "grid", error=TypeError)
