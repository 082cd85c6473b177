"""The ``jaxmlp`` command line: training runs end to end, exact resume, signals, run directories.

Most tests run the command line in-process through ``main(argv)``; a few run
``python -m jaxmlp`` and the ``jaxmlp`` console script to check exit statuses and signals.
"""

import argparse
import csv
import dataclasses
import errno
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import chex
import jax
import numpy as np
import pytest

from jaxmlp.app import config, runs, saved
from jaxmlp.app.cli import GRADCHECK_DEFAULTS, build_parser, main
from jaxmlp.app.config import TrainConfig, check_config
from jaxmlp.app.config_file import read_config_file
from jaxmlp.data import FASHION_MNIST_DIR
from jaxmlp.io import rundir
from jaxmlp.io.rundir import CHECKPOINT, CONFIG, FIGURE, METRICS, SUMMARY, read_metrics

# One small problem for most tests: its compiled training program is shared between them.
MOONS = ["--data", "moons:n=64", "--sizes", "d,8,c", "--batch-size", "16", "--lr", "0.01"]


@pytest.fixture
def cli(capsys):
    """Runs ``jaxmlp ARGS`` in-process; returns ``(status, stdout, stderr)``."""

    def run_cli(*argv):
        status = main([str(arg) for arg in argv])
        out, err = capsys.readouterr()
        return status, out, err

    return run_cli


def final_params(run_dir):
    _, state = saved.open_run(run_dir)
    return jax.tree.map(np.asarray, saved.final_params(state))


@pytest.mark.heavy
def test_train_on_digits_end_to_end_then_evaluate_and_predict(cli, tmp_path):
    run_dir = tmp_path / "digits"
    status, out, err = cli(
        "train", "--data", "digits", "--sizes", "64,32,10", "--lr", "0.01", "--epochs", "3",
        "--run-dir", run_dir,
    )  # fmt: skip
    assert status == 0, err
    lines = err.splitlines()
    assert (
        lines[0]
        == f"jaxmlp: training 64-32-10 on 1438 training examples, 3 epochs; run in {run_dir}"
    )
    assert [line.split()[1] for line in lines[1:]] == ["1/3", "2/3", "3/3"]
    assert all("acc" in line and "samples/s" in line and "eta" in line for line in lines[1:])
    summary = json.loads((run_dir / SUMMARY).read_text())
    assert summary["test_accuracy"] > 0.85 and summary["n_test"] == 359
    assert f"test accuracy {summary['test_accuracy']:.4f}" in out
    assert summary["config"]["sizes"] == [64, 32, 10] and summary["stop_reason"] == "epochs"
    assert [r["epoch"] for r in read_metrics(run_dir / METRICS)] == [1, 2, 3]
    assert json.loads((run_dir / CONFIG).read_text())["lr"] == 0.01
    assert (run_dir / FIGURE).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    status, out, _ = cli("evaluate", "--run-dir", run_dir, "--json")
    assert status == 0
    assert json.loads(out)["accuracy"] == pytest.approx(summary["test_accuracy"], abs=1e-6)

    status, out, _ = cli(
        "predict", "--run-dir", run_dir, "--split", "test", "--out", tmp_path / "p.csv"
    )
    assert status == 0 and "359 predictions" in out
    with open(tmp_path / "p.csv") as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == 359 and set(rows[0]) == {"index", "prediction", "label", "score"}
    accuracy = np.mean([row["prediction"] == row["label"] for row in rows])
    assert accuracy == pytest.approx(summary["test_accuracy"], abs=1e-6)


@pytest.mark.heavy
@pytest.mark.parametrize(
    "flags",
    [
        [],
        ["--validation-fraction", "0.25", "--early-stopping", "--patience", "50"]
        + ["--monitor", "val_accuracy"],
    ],
    ids=["adam", "tracking-the-best-epoch"],
)
def test_stop_after_k_epochs_and_resume_to_n_equals_n_epochs_straight(cli, tmp_path, flags):
    argv = ["train", *MOONS, *flags]
    assert cli(*argv, "--epochs", "5", "--run-dir", tmp_path / "straight")[0] == 0
    status, out, err = cli(*argv, "--epochs", "2", "--run-dir", tmp_path / "split", "--quiet")
    assert status == 0 and err == ""  # --quiet: only the result
    assert out.startswith("test accuracy") and out.count("\n") == 1
    status, out, _ = cli("train", "--resume", tmp_path / "split", "--epochs", "5")
    assert status == 0 and "5 epochs" in out
    chex.assert_trees_all_equal(
        final_params(tmp_path / "split"), final_params(tmp_path / "straight")
    )
    # The whole state, e.g. the last epoch's params beside the best epoch's.
    chex.assert_trees_all_equal(
        saved.open_run(tmp_path / "split")[1], saved.open_run(tmp_path / "straight")[1]
    )
    straight = read_metrics(tmp_path / "straight" / METRICS)
    resumed = read_metrics(tmp_path / "split" / METRICS)
    assert [r["train_loss"] for r in resumed] == [r["train_loss"] for r in straight]


RESUMABLE_RUNS = {
    "cosine-early-stopping-validation-l2": "--schedule cosine --validation-fraction 0.25 "
    "--early-stopping --patience 2 --l2 0.001 --scale standardize",
    "full-batch-backprop-checkpoint-every-3": "--batch-size full --grad backprop --checkpoint-every 3",
}


@pytest.mark.heavy
@pytest.mark.parametrize("flags", RESUMABLE_RUNS.values(), ids=RESUMABLE_RUNS.keys())
def test_ctrl_c_saves_a_checkpoint_and_resume_continues_bitwise(cli, tmp_path, monkeypatch, flags):
    argv = ["train", *MOONS, *flags.split(), "--epochs", "6"]
    assert cli(*argv, "--run-dir", tmp_path / "straight")[0] == 0
    fit = runs.fit

    def fit_with_ctrl_c_in_epoch_2(*args, callback, **kwargs):
        def interrupted_callback(epoch, metrics):
            if epoch == 2:
                signal.raise_signal(signal.SIGINT)  # as Ctrl-C during epoch 2
            return callback(epoch, metrics)

        return fit(*args, callback=interrupted_callback, **kwargs)

    monkeypatch.setattr(runs, "fit", fit_with_ctrl_c_in_epoch_2)
    handlers = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    status, _, err = cli(*argv, "--run-dir", tmp_path / "stopped")
    assert status == 130
    assert "stopped by SIGINT (Ctrl-C) after epoch 2 of 6" in err
    assert f"resume with: jaxmlp train --resume {tmp_path / 'stopped'}" in err
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == handlers
    _, state = saved.open_run(tmp_path / "stopped")
    assert int(state.epoch) == 2
    monkeypatch.setattr(runs, "fit", fit)

    status, _, err = cli("train", "--resume", tmp_path / "stopped")
    assert status == 0, err
    chex.assert_trees_all_equal(
        final_params(tmp_path / "stopped"), final_params(tmp_path / "straight")
    )
    straight = json.loads((tmp_path / "straight" / SUMMARY).read_text())
    resumed = json.loads((tmp_path / "stopped" / SUMMARY).read_text())
    for key in ("epochs", "stop_reason", "best_epoch", "test_loss", "test_accuracy"):
        assert resumed[key] == straight[key], key


def test_a_finished_run_is_not_resumed_unless_given_more_epochs(cli, tmp_path):
    assert cli("train", *MOONS, "--epochs", "2", "--run-dir", tmp_path / "a")[0] == 0
    status, _, err = cli("train", "--resume", tmp_path / "a")
    assert status == 2 and "finished its 2 epochs; to train it further, give --epochs N" in err
    status, _, err = cli("train", "--resume", tmp_path / "a", "--hidden", "tanh")
    assert status == 2 and "--hidden cannot change when resuming" in err


def test_a_run_directory_holding_a_run_is_refused_unless_overwritten(cli, tmp_path):
    run_dir = tmp_path / "a"
    assert cli("train", *MOONS, "--epochs", "1", "--run-dir", run_dir)[0] == 0
    (run_dir / "notes.txt").write_text("mine")
    checkpoint = (run_dir / CHECKPOINT).read_bytes()
    status, _, err = cli("train", *MOONS, "--epochs", "1", "--run-dir", run_dir)
    assert status == 2 and "already holds a run; continue it with --resume" in err
    assert (run_dir / CHECKPOINT).read_bytes() == checkpoint  # nothing lost
    status, _, err = cli("train", "--resume", run_dir, "--overwrite")
    assert status == 2 and "exclude each other" in err
    status, _, _ = cli("train", *MOONS, "--epochs", "2", "--run-dir", run_dir, "--overwrite")
    assert status == 0
    assert [r["epoch"] for r in read_metrics(run_dir / METRICS)] == [1, 2]
    assert (run_dir / "notes.txt").read_text() == "mine"  # only the run's own files are replaced


# Adam moves each weight by about the learning rate per step, and sigmoid outputs keep the
# MSE finite: the update of epoch 3 overflows the params while every loss is finite.
OVERFLOWING = [
    "--data", "moons:n=64", "--sizes", "d,1,c", "--hidden", "sigmoid", "--output", "sigmoid",
    "--loss", "mse", "--optimizer", "adam", "--lr", "2e38", "--batch-size", "full",
]  # fmt: skip


@pytest.mark.heavy
def test_a_run_whose_update_overflows_keeps_its_last_finite_checkpoint(cli, tmp_path):
    run_dir = tmp_path / "a"
    status, _, err = cli("train", *OVERFLOWING, "--epochs", "10", "--quiet", "--run-dir", run_dir)
    assert status == 1
    assert err.startswith(
        "jaxmlp: error: training diverged at epoch 3, step 3: the params after the update "
        "became non-finite (inf or nan); the last finite epoch loss was "
    )
    assert err.endswith("; the checkpoint holds epoch 2, the last finite state.\n")
    assert err.count("\n") == 1
    _, state = saved.open_run(run_dir)
    assert int(state.epoch) == 2
    leaves = jax.tree.leaves((state.params, state.opt_state))
    assert all(np.isfinite(np.asarray(leaf)).all() for leaf in leaves)
    assert [r["epoch"] for r in read_metrics(run_dir / METRICS)] == [1, 2]
    # A resume would repeat the run exactly, into the same overflow: it is refused, and says why.
    status, _, err = cli("train", "--resume", run_dir, "--quiet")
    assert status == 2
    assert err == (
        f"jaxmlp: error: the run in {str(run_dir)!r} diverged at epoch 3, step 3; its checkpoint "
        "holds epoch 2, the last finite state, for evaluate and predict. A resume repeats the "
        "run exactly and would diverge again: start a new run, e.g. with a smaller --lr\n"
    )
    assert cli("evaluate", "--run-dir", run_dir)[0] == 0


def test_a_divergence_is_reported_even_when_its_checkpoint_cannot_be_saved(
    cli, tmp_path, monkeypatch
):
    save_checkpoint = runs.save_checkpoint

    def disk_full_when_diverged(path, state, metadata):
        if metadata["stop_reason"] == "diverged":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        save_checkpoint(path, state, metadata)

    monkeypatch.setattr(runs, "save_checkpoint", disk_full_when_diverged)
    run_dir = tmp_path / "a"
    argv = ["train", *OVERFLOWING, "--epochs", "10", "--checkpoint-every", "2", "--quiet"]
    status, _, err = cli(*argv, "--run-dir", run_dir)
    assert status == 1
    assert err.startswith("jaxmlp: error: training diverged at epoch 3, step 3: ")
    assert err.endswith(
        f"; the checkpoint holds epoch 2, the last finite state (cannot save "
        f"{run_dir / CHECKPOINT} after epoch 2: No space left on device; the checkpoint of "
        "epoch 2 is intact).\n"
    )


def test_a_config_file_is_overridden_by_the_command_line(cli, tmp_path):
    (tmp_path / "run.toml").write_text(
        'data = "moons:n=64"\nsizes = ["d", 8, "c"]\nbatch_size = 16\nlr = 0.01\nepochs = 3\n'
        "seed = 3\n"
    )
    run_dir = tmp_path / "a"
    status, _, err = cli(
        "train", "--config", tmp_path / "run.toml", "--epochs", "1", "--run-dir", run_dir
    )
    assert status == 0, err
    config = json.loads((run_dir / CONFIG).read_text())
    assert (config["epochs"], config["seed"], config["sizes"]) == (1, 3, ["d", 8, "c"])
    assert [r["epoch"] for r in read_metrics(run_dir / METRICS)] == [1]


def test_a_json_config_file_holds_the_same_keys(tmp_path):
    (tmp_path / "run.json").write_text('{"batch_size": "full", "sizes": "d,32,c", "header": null}')
    values = read_config_file(tmp_path / "run.json")
    assert values == {"batch_size": "full", "sizes": ("d", 32, "c"), "header": None}
    assert check_config(TrainConfig(**values)).batch_size == "full"


@pytest.mark.heavy
def test_string_labels_are_predicted_back_as_strings_in_file_order(cli, tmp_path):
    rng = np.random.default_rng(0)
    names = np.array(["setosa", "versicolor", "virginica"])
    labels = names[rng.integers(0, 3, 90)]
    X = rng.normal(size=(90, 2)) + 3 * (labels[:, None] == names).argmax(1)[:, None]
    path = tmp_path / "flowers.csv"
    path.write_text("a,b,species\n" + "".join(f"{a},{b},{s}\n" for (a, b), s in zip(X, labels)))
    run_dir = tmp_path / "flowers"
    args = ("--sizes", "d,8,c", "--lr", "0.05", "--epochs", "5", "--scale", "standardize")
    assert cli("train", "--data", f"csv:{path}", *args, "--run-dir", run_dir)[0] == 0
    status, _, _ = cli("predict", "--run-dir", run_dir, "--out", tmp_path / "p.csv")
    assert status == 0
    with open(tmp_path / "p.csv") as file:
        rows = list(csv.DictReader(file))
    assert [row["label"] for row in rows] == labels.tolist()  # every row, in the file's order
    assert {row["prediction"] for row in rows} <= set(names)
    assert np.mean([row["prediction"] == row["label"] for row in rows]) > 0.8


@pytest.mark.heavy
def test_a_weighted_run_resumes_exactly_and_reads_its_weights_from_csv_or_npz(cli, tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 2)).astype(np.float32)
    y = (X[:, 0] + 0.5 * X[:, 1] > 0.4).astype(int)  # unbalanced classes
    w = rng.uniform(0.0, 3.0, 80).round(3)
    rows = "".join(f"{a},{b},{ww},{label}\n" for (a, b), ww, label in zip(X, w, y))
    (tmp_path / "w.csv").write_text("a,b,w,label\n" + rows)
    np.savez(tmp_path / "w.npz", x=X, y=y, w=w)
    argv = ["train", "--sizes", "d,8,c", "--batch-size", "16", "--lr", "0.01"]
    argv += ["--validation-fraction", "0.25", "--class-weight", "balanced", "--quiet"]
    csv_run = [*argv, "--data", f"csv:{tmp_path / 'w.csv'}", "--weight-column", "w"]
    assert cli(*csv_run, "--epochs", "4", "--run-dir", tmp_path / "straight")[0] == 0
    assert cli(*csv_run, "--epochs", "2", "--run-dir", tmp_path / "split")[0] == 0
    status, _, err = cli("train", "--resume", tmp_path / "split", "--epochs", "4")
    assert status == 0, err
    chex.assert_trees_all_equal(
        saved.open_run(tmp_path / "split")[1], saved.open_run(tmp_path / "straight")[1]
    )
    saved_config = json.loads((tmp_path / "split" / CONFIG).read_text())
    assert (saved_config["weight_column"], saved_config["class_weight"]) == ("w", "balanced")
    # The same rows and weights from an NPZ archive train the same model.
    npz_run = [*argv, "--data", f"npz:{tmp_path / 'w.npz'}", "--epochs", "4"]
    assert cli(*npz_run, "--run-dir", tmp_path / "npz")[0] == 0
    chex.assert_trees_all_equal(final_params(tmp_path / "npz"), final_params(tmp_path / "straight"))
    # The weights are used: without them the run is another one.
    plain = [a for a in npz_run if a not in ("--class-weight", "balanced")]
    np.savez(tmp_path / "plain.npz", x=X, y=y)
    plain[plain.index(f"npz:{tmp_path / 'w.npz'}")] = f"npz:{tmp_path / 'plain.npz'}"
    assert cli(*plain, "--run-dir", tmp_path / "plain")[0] == 0
    straight = read_metrics(tmp_path / "straight" / METRICS)
    unweighted = read_metrics(tmp_path / "plain" / METRICS)
    assert straight[0]["train_loss"] != pytest.approx(unweighted[0]["train_loss"], rel=1e-3)


@pytest.mark.heavy
def test_evaluate_on_a_run_saved_in_float64(cli, tmp_path):
    status, _, err = cli(
        "train", *MOONS, "--epochs", "1", "--dtype", "float64", "--run-dir", tmp_path / "f64"
    )
    assert status == 0, err
    assert final_params(tmp_path / "f64")[0]["W"].dtype == np.float64
    assert cli("evaluate", "--run-dir", tmp_path / "f64")[0] == 0


# As a user runs it: new processes, real signals, exit statuses.


def run_jaxmlp(*argv, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "jaxmlp", *map(str, argv)], capture_output=True, text=True,
        timeout=300, **kwargs,
    )  # fmt: skip


@pytest.mark.heavy
def test_sigterm_stops_after_the_epoch_saves_and_says_how_to_resume(cli, tmp_path):
    run_dir = tmp_path / "a"
    argv = ["train", *MOONS, "--epochs", "100000", "--run-dir", run_dir]
    process = subprocess.Popen(
        [sys.executable, "-m", "jaxmlp", *map(str, argv)], stderr=subprocess.PIPE, text=True
    )
    lines = []
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:  # wait for two epochs
        lines.append(process.stderr.readline())
        if lines[-1].startswith("epoch 2/") or not lines[-1]:
            break
    process.send_signal(signal.SIGTERM)
    _, rest = process.communicate(timeout=240)
    err = "".join(lines) + rest
    assert process.returncode == 143, err
    assert "Traceback" not in err
    assert f"resume with: python -m jaxmlp train --resume {run_dir}" in err
    _, state = saved.open_run(run_dir)
    epochs = [r["epoch"] for r in read_metrics(run_dir / METRICS)]
    assert epochs == list(range(1, int(state.epoch) + 1))  # the checkpoint holds the last epoch

    status, _, err = cli("train", "--resume", run_dir, "--epochs", int(state.epoch) + 2)
    assert status == 0, err
    epochs = [r["epoch"] for r in read_metrics(run_dir / METRICS)]
    assert epochs == list(range(1, int(state.epoch) + 3))


FILE_SIZE_LIMITED = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[1]),) * 2)
from jaxmlp.app.cli import main
sys.exit(main(sys.argv[2:]))
"""


@pytest.mark.heavy
@pytest.mark.skipif(os.name != "posix", reason="RLIMIT_FSIZE is POSIX")
def test_a_checkpoint_too_large_to_save_names_file_epoch_and_reason(cli, tmp_path):
    run_dir = tmp_path / "a"
    assert cli("train", *MOONS, "--epochs", "2", "--run-dir", run_dir)[0] == 0
    saved = (run_dir / CHECKPOINT).read_bytes()
    # Room for config.json and metrics.jsonl, not for a checkpoint.
    limit = len(saved) // 2
    argv = ["train", "--resume", run_dir, "--epochs", "4", "--quiet"]
    result = subprocess.run(
        [sys.executable, "-c", FILE_SIZE_LIMITED, str(limit), *map(str, argv)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines()[-1] == (
        f"jaxmlp: error: cannot save {run_dir / CHECKPOINT} after epoch 3: File too large; "
        "the checkpoint of epoch 2 is intact"
    )
    assert "Traceback" not in result.stderr
    assert (run_dir / CHECKPOINT).read_bytes() == saved
    assert not [name for name in os.listdir(run_dir) if name.endswith(".tmp")]
    status, _, err = cli("train", "--resume", run_dir, "--epochs", "4", "--quiet")
    assert status == 0, err


def test_a_full_disk_while_logging_names_the_file_and_the_epoch(cli, tmp_path, monkeypatch):
    write = rundir.MetricsLog.write

    def disk_full_at_epoch_2(log, record):
        if record["epoch"] == 2:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        write(log, record)

    monkeypatch.setattr(rundir.MetricsLog, "write", disk_full_at_epoch_2)
    run_dir = tmp_path / "a"
    status, _, err = cli("train", *MOONS, "--epochs", "3", "--quiet", "--run-dir", run_dir)
    assert status == 2
    assert err == (
        f"jaxmlp: error: cannot save {run_dir / METRICS} after epoch 2: No space left on "
        "device; the checkpoint of epoch 1 is intact\n"
    )
    _, state = saved.open_run(run_dir)
    assert int(state.epoch) == 1


@pytest.mark.heavy
def test_the_console_script_gives_one_error_line_and_status_2(tmp_path):
    script = Path(sys.executable).with_name("jaxmlp")
    if not script.exists():
        pytest.skip(f"the console script is not installed beside {sys.executable}")
    result = subprocess.run(
        [script, "train", "--data", f"csv:{tmp_path / 'missing.csv'}", "--run-dir", tmp_path / "a"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr == f"jaxmlp: error: CSV file '{tmp_path / 'missing.csv'}' does not exist\n"
    assert not (tmp_path / "a").exists()  # nothing written for a run that could not start


@pytest.mark.heavy
def test_gradcheck_enables_float64_itself_and_prints_the_table():
    result = run_jaxmlp(
        "gradcheck", "--sizes", "5,7,3", "--hidden", "tanh", "--output", "softmax", "--loss", "mse"
    )
    assert result.returncode == 0, result.stderr
    assert "float64" in result.stdout and "backprop matches autodiff" in result.stdout
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines()[3:7]}
    assert list(rows) == ["W1", "b1", "W2", "b2"]
    assert max(float(row[-2]) for row in rows.values()) < 1e-12  # float32 gives about 1e-7


# Help


def flag_helps(command, capsys, monkeypatch) -> dict[str, str]:
    """Each flag's help as ``jaxmlp COMMAND --help`` prints it, by its first option string."""
    monkeypatch.setenv("COLUMNS", "1000")  # one line per flag, or two for a long invocation
    assert main([command, "--help"]) == 0
    options = capsys.readouterr().out.split("\noptions:\n")[1].split("\n\n")[0]
    helps = {}
    for line in options.splitlines():
        if line.startswith("  -"):
            invocation, _, text = line.strip().partition("  ")
            first = invocation.split(",")[0].split()[0]
            helps[first] = text.strip()
        else:  # the help of a long invocation, on the next line
            helps[first] = f"{helps[first]} {line.strip()}".strip()
    return helps


def shown(value) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return ",".join(map(str, value)) if isinstance(value, tuple) else str(value)


def test_config_fields_carry_their_help_in_their_metadata():
    for field in dataclasses.fields(TrainConfig):
        assert len(field.metadata["help"].split()) >= 2, field.name


@pytest.mark.parametrize("command", ["train", "evaluate", "predict", "gradcheck"])
def test_every_flag_names_its_own_choices_and_one_default(command, capsys, monkeypatch):
    helps = flag_helps(command, capsys, monkeypatch)
    parser = build_parser()._subparsers._group_actions[0].choices[command]
    actions = [action for action in parser._actions if action.dest != "help"]
    assert len(helps) == len(actions) + 1  # each flag and -h
    for action in actions:
        text = helps[action.option_strings[0]]
        made_from_config = action.default is argparse.SUPPRESS
        field = config.FIELDS[action.dest] if made_from_config else None
        choices = config.CHOICES.get(action.dest, action.choices) if field else action.choices
        for choice in choices or ():
            assert re.search(rf"(?<![\w-]){re.escape(choice)}(?![\w-])", text), (action, text)
        defaults = re.findall(r"\bdefault\b", text)
        if action.required:
            assert defaults == [], text
            continue
        assert len(defaults) == 1, text
        default = re.fullmatch(r"(\w.*\S) \(default: ([^()]+)\)", text)
        assert default, text  # a description, then the default at the end
        if field is not None:
            value = (GRADCHECK_DEFAULTS if command == "gradcheck" else {}).get(
                action.dest, field.default
            )
        else:
            value = {False: "off"}.get(action.default, action.default)
        if value is not None:
            assert default[2] == shown(value) or default[2].startswith(f"{shown(value)}, "), text


# Real data


@pytest.mark.heavy
@pytest.mark.slow
def test_fashion_mnist_reaches_84_percent_in_a_few_epochs(cli, tmp_path):
    if not os.path.isdir(FASHION_MNIST_DIR):
        pytest.skip(
            f"Fashion-MNIST is not installed in {FASHION_MNIST_DIR} "
            "(apt-get install dataset-fashion-mnist)"
        )
    start = time.perf_counter()
    status, out, err = cli(
        "train", "--data", "fashion-mnist", "--sizes", "784,256,10", "--hidden", "relu",
        "--output", "softmax", "--loss", "cross_entropy", "--optimizer", "adam", "--lr", "0.001",
        "--batch-size", "128", "--epochs", "3", "--run-dir", tmp_path / "fashion", "--quiet",
    )  # fmt: skip
    assert status == 0, err
    summary = json.loads((tmp_path / "fashion" / SUMMARY).read_text())
    print(f"Fashion-MNIST: {out.strip()} ({time.perf_counter() - start:.1f} s in all)")
    assert summary["n_train"] == 60000 and summary["n_test"] == 10000
    assert summary["test_accuracy"] >= 0.84
