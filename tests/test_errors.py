"""Bad input, everywhere data enters: one clear line and status 2 on the command line, a clear
exception through the API, and nothing lost or half-written."""

import gzip
import io
import json
import re
import shutil
import subprocess
import sys
import warnings
import zipfile

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxmlp
from jaxmlp.app import runs, saved
from jaxmlp.app.cli import main
from jaxmlp.app.config import FIELDS, ConfigError, TrainConfig, flag
from jaxmlp.data import DataError, load, write_idx
from jaxmlp.data.idx import IDX_FILES
from jaxmlp.io.checkpoint import CheckpointError
from jaxmlp.io.rundir import CHECKPOINT, METRICS, read_metrics


def csv_file(text):
    def make(tmp_path):
        path = tmp_path / "data.csv"
        path.write_text(text)
        return ["--data", f"csv:{path}"]

    return make


def npz_file(**arrays):
    def make(tmp_path):
        path = tmp_path / "data.npz"
        np.savez(path, **arrays)
        return ["--data", f"npz:{path}"]

    return make


def idx_dir(damage):
    def make(tmp_path):
        directory = tmp_path / "idx"
        directory.mkdir()
        for role, name in IDX_FILES.items():
            n = 8 if "train" in role else 4
            array = np.zeros((n, 2, 2)) if role.startswith("X") else np.arange(n) % 2
            write_idx(directory / name, array.astype(np.uint8))
        damage(directory / IDX_FILES["X_train"])
        return ["--data", f"idx:{directory}"]

    return make


def flags(*argv):
    return lambda tmp_path: list(argv)


def plus(make, *argv):
    return lambda tmp_path: [*make(tmp_path), *argv]


def config_file(name, text):
    def make(tmp_path):
        (tmp_path / name).write_text(text)
        return ["--config", str(tmp_path / name)]

    return make


ROWS = "x1,x2,label\n1,2,a\n3,4,b\n5,6,a\n7,8,b\n"
MOONS = ["--data", "moons:n=32"]
BAD_TRAINING_INPUT = {
    # Data files
    "csv-nan-feature": (csv_file(ROWS + "9,nan,a\n"), r"line 6, column 2 \('x2'\): 'nan' is not finite"),
    "csv-inf-feature": (csv_file(ROWS + "inf,1,b\n"), r"line 6, column 1 \('x1'\): 'inf' is not finite"),
    "csv-text-feature": (csv_file(ROWS + "9,ten,b\n"), r"line 6, column 2 \('x2'\): 'ten' is not a number"),
    "csv-ragged-row": (csv_file(ROWS + "9,10\n"), r"line 6: 2 fields, but the header has 3"),
    "csv-empty": (csv_file(""), r"CSV file '.*data.csv' is empty"),
    "csv-header-only": (csv_file("x1,x2,label\n"), r"has no data rows"),
    "csv-nan-label": (csv_file("1,2,0\n3,4,1\n5,6,nan\n"), r"holds the label nan; class labels must be integers or strings"),
    "csv-single-class": (csv_file("1,2,a\n3,4,a\n5,6,a\n"), r"holds 1 class \(\['a'\]\); classification needs at least 2"),
    "npz-missing-y": (npz_file(x=np.zeros((4, 2))), r"lacks the array\(s\) \['y'\]"),
    "npz-object-array": (npz_file(x=np.zeros((4, 2)), y=np.array([0, "a", 1, None], dtype=object)), r"array 'y' holds Python objects"),
    "npz-lengths-differ": (npz_file(x=np.zeros((10, 2)), y=np.arange(9) % 2), r"x has 10 samples but y has 9"),
    "npz-zero-samples": (npz_file(x=np.zeros((0, 2)), y=np.zeros(0)), r"x in '.*' has 0 samples"),
    "npz-one-dimensional-x": (npz_file(x=np.zeros(10), y=np.arange(10) % 2), r"x in '.*' must have shape \(n, d\), got shape \(10,\)"),
    "npz-fractional-labels": (npz_file(x=np.zeros((4, 2)), y=np.array([0, 0.5, 1, 1])), r"holds the label 0.5; class labels must be integers"),
    "npz-infinite-feature": (npz_file(x=np.array([[0, 1], [np.inf, 0], [1, 1], [0, 0]]), y=np.arange(4) % 2), r"x in '.*' holds a non-finite value \(inf\) at index \(1, 0\)"),
    "idx-bad-magic": (idx_dir(lambda path: path.write_bytes(b"\x08\x03" + path.read_bytes()[2:])), r"has a bad magic number 0803"),
    "idx-truncated": (idx_dir(lambda path: path.write_bytes(path.read_bytes()[:-5])), r"the file is truncated \(5 bytes missing\)"),
    "idx-damaged-gzip": (idx_dir(lambda path: path.write_bytes(gzip.compress(path.read_bytes())[:30])), r"is a damaged gzip file"),
    "missing-file": (flags("--data", "csv:/no/such/data.csv"), r"CSV file '/no/such/data.csv' does not exist"),
    "directory-not-file": (lambda tmp_path: ["--data", f"npz:{tmp_path}"], r"NPZ file '.*' is a directory, expected a file"),
    "missing-directory": (flags("--data", "mnist:/no/such/dir"), r"IDX directory '/no/such/dir' does not exist"),
    "images-not-flattened": (plus(npz_file(x=np.zeros((8, 4, 4), np.uint8), y=np.arange(8) % 2), "--no-flatten"), r"holds images of shape \(4, 4\), but an MLP takes rows: flatten them"),
    # Example weights
    "weight-column-unknown": (plus(csv_file("a,b,w,label\n1,2,1,0\n2,1,1,1\n3,1,1,0\n1,3,1,1\n1,1,1,0\n"), "--weight-column", "weight"), r"weight_column='weight' is not known; choose one of \['a', 'b', 'w', 'label'\]"),
    "weight-negative-in-csv": (plus(csv_file("a,b,w,label\n1,2,1,0\n2,1,-2,1\n3,1,1,0\n1,3,1,1\n1,1,1,0\n"), "--weight-column", "w"), r"data.csv', line 3, column 3 \('w'\): the weight '-2' must be a finite number >= 0"),
    "weights-all-zero": (plus(csv_file("a,b,w,label\n1,2,0,0\n2,1,0,1\n3,1,0,0\n1,3,0,1\n1,1,0,0\n"), "--weight-column", "2"), r"the weights of the training split of 'csv:.*': sample_weight are all zero"),
    "weight-negative-in-npz": (npz_file(x=np.zeros((8, 2)), y=np.arange(8) % 2, w=np.r_[np.ones(7), np.nan]), r"NPZ file '.*': w\[7\]=nan must be a finite number >= 0"),
    "weight-column-of-synthetic-data": (flags(*MOONS, "--weight-column", "0"), r"weight_column=0 applies to CSV files \(csv:PATH\), not to 'moons:n=32'"),
    "class-weight-of-real-targets": (flags("--data", "sine", "--loss", "mse", "--output", "identity", "--class-weight", "balanced"), r"--class-weight balanced weighs classes, but 'sine' has real targets"),
    "class-weight-unknown": (flags(*MOONS, "--class-weight", "balance"), r"class_weight \(--class-weight\) 'balance' is not known; choose one of \['none', 'balanced'\]; did you mean 'balanced'\?"),
    "config-weight-alias": (config_file("run.toml", "sample_weight = 2\n"), r"unknown key 'sample_weight'; did you mean 'weight_column'\?"),
    # The model against the data
    "sizes-input-width": (flags(*MOONS, "--sizes", "3,8,2"), r"--sizes 3,8,2 starts with 3 inputs but 'moons:n=32' has 2 features; use --sizes 2,8,2"),
    "sizes-output-width": (flags(*MOONS, "--sizes", "d,8,3"), r"ends with 3 outputs but 'moons:n=32' has 2 classes"),
    "sizes-not-numbers": (flags(*MOONS, "--sizes", "2,x,2"), r"sizes \(--sizes\) must be layer widths such as 784,256,10 or d,256,c \(integers, d first, c last\), got 2,x,2$"),
    "sizes-d-not-first": (flags(*MOONS, "--sizes", "8,d,2"), r"d may only be the first width"),
    "sizes-one-width": (flags(*MOONS, "--sizes", "2"), r"needs at least an input and an output width"),
    # Numbers and names
    "lr-zero": (flags(*MOONS, "--lr", "0"), r"lr \(--lr\) must be a finite number > 0, got 0$"),
    "lr-not-a-number": (flags(*MOONS, "--lr", "fast"), r"lr \(--lr\) must be a finite number > 0, got 'fast'$"),
    "epochs-zero": (flags(*MOONS, "--epochs", "0"), r"epochs \(--epochs\) must be a positive integer below 2\*\*31, got 0$"),
    "epochs-fraction": (flags(*MOONS, "--epochs", "2.5"), r"epochs \(--epochs\) must be a positive integer below 2\*\*31, got 2.5$"),
    "batch-size-zero": (flags(*MOONS, "--batch-size", "0"), r"batch_size \(--batch-size\) must be a positive integer below 2\*\*31 or 'full', got 0$"),
    "batch-size-negative": (flags(*MOONS, "--batch-size", "-4"), r"below 2\*\*31 or 'full', got -4$"),
    "validation-fraction-one": (flags(*MOONS, "--validation-fraction", "1"), r"validation_fraction .* must be a number in \[0, 1\)"),
    "monitor-unknown": (flags(*MOONS, "--monitor", "val_acc"), r"monitor \(--monitor\) 'val_acc' is not known; choose one of .*; did you mean 'val_accuracy'\?"),
    "monitor-without-validation": (flags(*MOONS, "--monitor", "val_accuracy"), r"monitor \(--monitor\) 'val_accuracy' needs a validation split: set validation_fraction \(--validation-fraction\) above 0"),
    "monitor-accuracy-of-real-targets": (flags("--data", "sine", "--loss", "mse", "--output", "identity", "--monitor", "train_accuracy"), r"--monitor train_accuracy needs classes, but 'sine' has real targets; watch a loss"),
    "unknown-data": (flags("--data", "fashion"), r"data spec 'fashion' is not known; choose one of .*; did you mean 'fashion-mnist'\?"),
    "unknown-optimizer": (flags(*MOONS, "--optimizer", "adagrad"), r"optimizer \(--optimizer\) 'adagrad' is not known; choose one of \['sgd', 'momentum', 'nesterov', 'adam', 'adamw', 'lbfgs'\]"),
    "unknown-activation": (flags(*MOONS, "--hidden", "sigmod"), r"did you mean 'sigmoid'\?"),
    "softmax-hidden": (flags(*MOONS, "--hidden", "softmax"), r"hidden \(--hidden\) 'softmax' is not known; choose one of \['sigmoid'"),
    "loss-needs-softmax": (flags(*MOONS, "--output", "sigmoid"), r"loss='cross_entropy' needs output='softmax'"),
    "lbfgs-mini-batches": (flags(*MOONS, "--optimizer", "lbfgs"), r"lbfgs' is full-batch: batch_size \(--batch-size\) must be 'full', got 32"),
    "unknown-flag": (flags(*MOONS, "--learning-rate", "0.1"), r"unknown option --learning-rate; did you mean --lr\?"),
    # Config files
    "config-unknown-key": (config_file("run.toml", "learning_rate = 0.1\n"), r"unknown key 'learning_rate'; did you mean 'lr'\?"),
    "config-misspelt-key": (config_file("run.toml", "epohcs = 3\n"), r"unknown key 'epohcs'; did you mean 'epochs'\?"),
    "config-wrong-type": (config_file("run.toml", 'epochs = "ten"\n'), r"run.toml: epochs \(--epochs\) must be a positive integer below 2\*\*31, got 'ten'$"),
    "config-bool-for-number": (config_file("run.json", '{"lr": true}'), r"run.json: lr \(--lr\) must be a finite number > 0, got True$"),
    "config-bad-toml": (config_file("run.toml", "epochs = \n"), r"run.toml' is not valid TOML: .*line 1"),
    "config-bad-json": (config_file("run.json", '{"epochs": 3,}'), r"run.json', line 1, column 14: not valid JSON"),
    "config-not-a-table": (config_file("run.json", "[1, 2]"), r"must hold a table of keys, got list"),
    "config-missing": (flags("--config", "/no/such/run.toml"), r"config file '/no/such/run.toml' does not exist"),
    "config-yaml": (config_file("run.yaml", "epochs: 3\n"), r"must end in .toml or .json"),
    # Resuming
    "resume-missing-directory": (flags("--resume", "/no/such/run"), r"run directory '/no/such/run' does not exist"),
    "resume-not-a-run": (lambda tmp_path: ["--resume", str(tmp_path)], r"has no checkpoint.npz: it does not hold a run"),
}  # fmt: skip


def assert_one_error_line(status, err, match):
    assert status == 2, err
    assert err.count("\n") == 1 and err.startswith("jaxmlp: error: "), err
    assert "Traceback" not in err
    assert re.search(match, err), err


@pytest.mark.parametrize("make, match", BAD_TRAINING_INPUT.values(), ids=BAD_TRAINING_INPUT.keys())
def test_bad_training_input_gives_one_line_and_status_2(make, match, tmp_path, capsys):
    argv = make(tmp_path)
    if "--resume" not in argv:
        argv += ["--run-dir", str(tmp_path / "run")]
    status = main(["train", "--epochs", "1", *argv])
    assert_one_error_line(status, capsys.readouterr().err, match)
    assert not (tmp_path / "run").exists()  # nothing written for a run that cannot start


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("runs") / "moons"
    argv = ["train", "--data", "moons:n=32", "--sizes", "d,4,c", "--epochs", "2", "--quiet"]
    assert main([*argv, "--run-dir", str(run_dir)]) == 0
    return run_dir


BAD_USE_OF_A_RUN = {
    "other-features": (["evaluate", "--data", "blobs:d=3,k=2"], r"'blobs:d=3,k=2' has 3 features but the run in '.*' was trained on 2"),
    "unknown-labels": (["predict", "--data", "NPZ", "--out", "p.csv"], r"holds the label 7, which is not one of the 2 classes \[0, 1\]"),
    "out-directory-missing": (["predict", "--out", "/no/such/dir/p.csv"], r"cannot write /no/such/dir/p.csv: directory /no/such/dir does not exist"),
    "unknown-split": (["evaluate", "--split", "validation"], r"argument --split: invalid choice: 'validation'"),
}  # fmt: skip


@pytest.mark.parametrize("argv, match", BAD_USE_OF_A_RUN.values(), ids=BAD_USE_OF_A_RUN.keys())
def test_bad_use_of_a_trained_run_gives_one_line(argv, match, trained_run, tmp_path, capsys):
    np.savez(tmp_path / "new.npz", x=np.zeros((4, 2)), y=np.array([0, 7, 1, 0]))
    argv = [str(tmp_path / "new.npz") if a == "NPZ" else a for a in argv]
    argv = [f"npz:{a}" if a.endswith(".npz") else a for a in argv]
    argv = [str(tmp_path / a) if a == "p.csv" else a for a in argv]
    status = main([argv[0], "--run-dir", str(trained_run), *argv[1:]])
    assert_one_error_line(status, capsys.readouterr().err, match)


# Every field of TrainConfig with a bad value, and the flag that gives the same value (None
# where no flag can: a switch, or a column name, which any text is).
BAD_FIELDS = {
    "data-empty": ("data", "", ["--data", ""]),
    "data-not-a-string": ("data", 7, None),
    "sizes-not-widths": ("sizes", (2, "x", 2), ["--sizes", "2,x,2"]),
    "sizes-fraction": ("sizes", (2, 1.5, 2), ["--sizes", "2,1.5,2"]),
    "hidden": ("hidden", "sigmod", ["--hidden", "sigmod"]),
    "output": ("output", "softmx", ["--output", "softmx"]),
    "loss": ("loss", "hinge", ["--loss", "hinge"]),
    "optimizer": ("optimizer", "adagrad", ["--optimizer", "adagrad"]),
    "lr-zero": ("lr", 0, ["--lr", "0"]),
    "lr-text": ("lr", "fast", ["--lr", "fast"]),
    "lr-nan": ("lr", float("nan"), ["--lr", "nan"]),
    "schedule": ("schedule", "cosin", ["--schedule", "cosin"]),
    "batch-size-zero": ("batch_size", 0, ["--batch-size", "0"]),
    "batch-size-text": ("batch_size", "all", ["--batch-size", "all"]),
    "epochs-fraction": ("epochs", 2.5, ["--epochs", "2.5"]),
    "epochs-beyond-int32": ("epochs", 2**31, ["--epochs", str(2**31)]),
    "l2-negative": ("l2", -1.0, ["--l2=-1.0"]),
    "grad": ("grad", "manual", ["--grad", "manual"]),
    "seed-fraction": ("seed", 1.5, ["--seed", "1.5"]),
    "seed-negative": ("seed", -1, ["--seed=-1"]),
    "seed-beyond-32-bits": ("seed", 2**32, ["--seed", str(2**32)]),
    "init": ("init", "xavier", ["--init", "xavier"]),
    "validation-fraction-one": ("validation_fraction", 1, ["--validation-fraction", "1"]),
    "early-stopping-text": ("early_stopping", "yes", None),
    "patience-zero": ("patience", 0, ["--patience", "0"]),
    "monitor": ("monitor", "val_acc", ["--monitor", "val_acc"]),
    "scale": ("scale", "standard", ["--scale", "standard"]),
    "dtype": ("dtype", "float16", ["--dtype", "float16"]),
    "test-fraction-zero": ("test_fraction", 0, ["--test-fraction", "0"]),
    "flatten-number": ("flatten", 1, None),
    "label-column-fraction": ("label_column", 1.5, None),
    "header-text": ("header", "no", None),
    "weight-column-fraction": ("weight_column", 1.5, None),
    "class-weight": ("class_weight", "balance", ["--class-weight", "balance"]),
    "dropout-one": ("dropout", 1, ["--dropout", "1"]),
    "checkpoint-every-negative": ("checkpoint_every", -1, ["--checkpoint-every=-1"]),
    "run-dir-empty": ("run_dir", "", ["--run-dir", ""]),
}


def test_bad_fields_cover_every_field():
    assert {name for name, _, _ in BAD_FIELDS.values()} == set(FIELDS)


@pytest.mark.parametrize("name, value, argv", BAD_FIELDS.values(), ids=BAD_FIELDS.keys())
def test_a_bad_field_gets_one_message_from_python_a_file_and_a_flag(
    name, value, argv, trained_run, tmp_path, capsys
):
    run_dir = str(tmp_path / "run")
    config = dict(data="moons:n=32", epochs=1, run_dir=run_dir) | {name: value}
    with pytest.raises(ConfigError) as raised:
        runs.train(TrainConfig(**config))
    message = str(raised.value)
    assert message.startswith(f"{name} ({flag(name)}) "), message
    with pytest.raises(ConfigError) as raised:  # resuming with it, as a change
        runs.resume(trained_run, changes={name: value})
    assert str(raised.value) == message
    (tmp_path / "run.json").write_text(json.dumps(config))
    status = main(["train", "--config", str(tmp_path / "run.json")])
    assert (status, capsys.readouterr().err) == (
        2,
        f"jaxmlp: error: {tmp_path / 'run.json'}: {message}\n",
    )
    if argv is not None:
        status = main(
            ["train", "--data", "moons:n=32", "--epochs", "1", "--run-dir", run_dir, *argv]
        )
        assert (status, capsys.readouterr().err) == (2, f"jaxmlp: error: {message}\n")
    assert not (tmp_path / "run").exists()


def truncate(data: bytes) -> bytes:
    return data[: len(data) // 2]


def flip_a_byte(data: bytes) -> bytes:
    # A byte inside the first array's data (past its zip and .npy headers).
    data = bytearray(data)
    data[200] ^= 0xFF
    return bytes(data)


DAMAGE = {
    "truncated": (truncate, r"checkpoint .*checkpoint.npz: the file is damaged or truncated"),
    "altered": (flip_a_byte, r"checkpoint.npz.*(damaged or truncated|SHA-256 checksum)"),
    "empty": (lambda data: b"", r"is not a jaxmlp checkpoint: the file is empty"),
    "not-a-checkpoint": (
        lambda data: b"epoch,loss\n1,0.5\n",
        r"is not a jaxmlp checkpoint: it is not an .npz",
    ),
}


@pytest.mark.parametrize("damage, match", DAMAGE.values(), ids=DAMAGE.keys())
@pytest.mark.parametrize("command", ["train --resume", "evaluate --run-dir", "predict --run-dir"])
def test_a_damaged_checkpoint_is_reported_and_nothing_is_lost(
    trained_run, tmp_path, capsys, damage, match, command
):
    run_dir = tmp_path / "copy"
    shutil.copytree(trained_run, run_dir)
    checkpoint = run_dir / CHECKPOINT
    checkpoint.write_bytes(damage(checkpoint.read_bytes()))
    files = {path.name: path.read_bytes() for path in run_dir.iterdir()}
    argv = [*command.split(), str(run_dir)]
    if command.startswith("predict"):
        argv += ["--out", str(tmp_path / "p.csv")]
    status = main(argv)
    assert_one_error_line(status, capsys.readouterr().err, match)
    assert {path.name: path.read_bytes() for path in run_dir.iterdir()} == files
    assert not (tmp_path / "p.csv").exists()


def test_an_altered_checkpoint_fails_its_checksum(trained_run, tmp_path, capsys):
    # A weight changed and the archive rewritten whole: it reads, but its SHA-256 does not match.
    run_dir = tmp_path / "copy"
    shutil.copytree(trained_run, run_dir)
    with np.load(run_dir / CHECKPOINT) as npz:
        entries = dict(npz)
    entries["state.params[0]['W']"][0, 0] += 1
    np.savez(run_dir / CHECKPOINT, **entries)
    with pytest.raises(CheckpointError, match="do not match its SHA-256 checksum"):
        saved.open_run(run_dir)
    status = main(["evaluate", "--run-dir", str(run_dir)])
    assert_one_error_line(status, capsys.readouterr().err, "do not match its SHA-256 checksum")


@pytest.mark.heavy
def test_metrics_of_epochs_after_the_checkpoint_are_dropped_on_resume(trained_run, tmp_path):
    run_dir = tmp_path / "copy"
    shutil.copytree(trained_run, run_dir)
    with open(run_dir / METRICS, "a") as file:  # as after a crash between a line and a save
        file.write('{"epoch": 3, "train_loss": 0.1}\n{"epoch": 4, "tra')
    assert main(["train", "--resume", str(run_dir), "--epochs", "3", "--quiet"]) == 0
    assert [line.count('"epoch"') for line in (run_dir / METRICS).read_text().splitlines()] == [
        1,
        1,
        1,
    ]
    assert '"epoch": 3, "train_loss": 0.1}' not in (run_dir / METRICS).read_text()


@pytest.mark.heavy
def test_a_diverging_run_stops_with_status_1_and_one_line(tmp_path, capsys):
    # 32 examples, batches of 32: epoch 1 is one finite step with a huge learning rate.
    argv = ["train", "--data", "moons:n=32", "--optimizer", "sgd", "--lr", "1e30", "--quiet"]
    status = main([*argv, "--run-dir", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert status == 1
    loss = read_metrics(tmp_path / "run" / METRICS)[0]["train_loss"]
    assert err == (
        "jaxmlp: error: training diverged at epoch 2, step 2: the loss became non-finite (inf or "
        f"nan); the last finite epoch loss was {loss:.6g} (epoch 1). Try a smaller learning "
        "rate; the checkpoint holds epoch 1, the last finite state.\n"
    )


# The same cases through the Python API.

X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], np.float32)
Y = np.array([0, 1, 1, 0])
BAD_FIT_INPUT = {
    "nan-feature": (dict(X=np.array([[0, 0], [0, np.nan], [1, 0], [1, 1]])), ValueError, r"X holds a non-finite value \(nan\) at index \(1, 1\)"),
    "inf-target": (dict(y=np.array([[0, 1], [1, np.inf], [1, 0], [0, 1]])), ValueError, r"y holds a non-finite value \(inf\)"),
    "images": (dict(X=np.zeros((4, 2, 1))), ValueError, r"X must have shape \(n, d\), got 3 dimensions \(4, 2, 1\) \(flatten images first"),
    "zero-samples": (dict(X=np.zeros((0, 2)), y=np.zeros(0, int)), ValueError, r"X has 0 samples"),
    "feature-count": (dict(X=np.zeros((4, 3))), ValueError, r"X has 3 features but the MLP expects 2 \(sizes\[0\]\)"),
    "label-outside": (dict(y=np.array([0, 1, 2, 0])), ValueError, r"y holds the label 2 at index 2; labels must be in \[0, 2\)"),
    "negative-label": (dict(y=np.array([0, -1, 1, 0])), ValueError, r"y holds the label -1"),
    "string-labels": (dict(y=np.array(["a", "b", "b", "a"])), TypeError, r"encode them as integers 0..c-1 first"),
    "lengths-differ": (dict(y=np.array([0, 1, 1])), ValueError, r"y has shape \(3,\) but X has 4 samples"),
    "lr-zero": (dict(learning_rate=0.0), ValueError, r"learning_rate must be a finite number > 0, got 0.0"),
    "epochs-negative": (dict(epochs=-1), ValueError, r"epochs must be a positive integer below 2\*\*31, got -1"),
    "batch-size-zero": (dict(batch_size=0), ValueError, r"batch_size must be a positive integer below 2\*\*31, got 0"),
    "unknown-loss": (dict(loss="hinge"), ValueError, r"loss='hinge' is not a known loss; choose one of \["),
    "unknown-optimizer": (dict(optimizer="adagrad"), ValueError, r"choose one of \('sgd', 'momentum'"),
}  # fmt: skip


@pytest.mark.parametrize("change, error, match", BAD_FIT_INPUT.values(), ids=BAD_FIT_INPUT.keys())
def test_fit_raises_a_clear_error_and_leaves_the_arrays_alone(change, error, match):
    mlp = jaxmlp.MLP((2, 3, 2), "tanh", "softmax")
    params = jaxmlp.init_params(jax.random.key(0), mlp)
    arguments = dict(X=X, y=Y, loss="mse", epochs=1) | change
    X_given, y_given = arguments.pop("X"), arguments.pop("y")
    X_copy, y_copy = X_given.copy(), y_given.copy()
    with pytest.raises(error, match=match):
        jaxmlp.fit(mlp, params, X_given, y_given, key=jax.random.key(0), **arguments)
    np.testing.assert_array_equal(X_given, X_copy)
    np.testing.assert_array_equal(y_given, y_copy)


BAD_KEYS = {
    "none": None,
    "seed-int": 0,
    "string": "0",
    "raw-key-of-3-words": np.zeros(3, np.uint32),
    "batch-of-keys": jax.random.split(jax.random.key(0), 2),
}


@pytest.mark.parametrize("key", BAD_KEYS.values(), ids=BAD_KEYS.keys())
def test_a_bad_key_is_named_by_fit_fit_many_and_init_params(key):
    mlp = jaxmlp.MLP((2, 3, 2), "tanh", "softmax")
    params = jaxmlp.init_params(jax.random.key(0), mlp)
    match = r"key must be one PRNG key such as jax.random.key\(0\), got "
    with pytest.raises(TypeError, match=match):
        jaxmlp.fit(mlp, params, X, Y, key=key, epochs=1)
    with pytest.raises(TypeError, match=match):
        jaxmlp.fit_many(mlp, X, Y, key=key, epochs=1)
    with pytest.raises(TypeError, match=match):
        jaxmlp.init_params(key, mlp)


@pytest.mark.heavy
def test_a_raw_uint32_key_is_accepted():
    mlp = jaxmlp.MLP((2, 3, 2), "tanh", "softmax")
    raw, typed = jax.random.PRNGKey(0), jax.random.key(0)
    np.testing.assert_array_equal(
        jaxmlp.init_params(raw, mlp)[0]["W"], jaxmlp.init_params(typed, mlp)[0]["W"]
    )
    fitted, _ = jaxmlp.fit(mlp, jaxmlp.init_params(raw, mlp), X, Y, key=raw, epochs=2)
    assert np.isfinite(fitted[0]["W"]).all()


def test_unknown_names_list_the_choices():
    with pytest.raises(
        ValueError, match=r"hidden='sigmod' is not a known activation; choose one of \["
    ):
        jaxmlp.MLP((2, 3, 1), hidden="sigmod")
    with pytest.raises(ValueError, match=r"init='xavier' is not a known scheme; choose one of \["):
        jaxmlp.init_params(jax.random.key(0), jaxmlp.MLP((2, 1)), init="xavier")


def test_float64_without_x64_is_refused_by_the_api():
    enabled = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", False)
    try:
        with pytest.raises(ValueError, match=r"dtype=float64 needs 64-bit JAX: set jax.config"):
            jaxmlp.init_params(jax.random.key(0), jaxmlp.MLP((2, 1)), dtype=jnp.float64)
    finally:
        jax.config.update("jax_enable_x64", enabled)


def test_string_labels_are_encoded_by_the_data_api_and_decoded_back(tmp_path, key):
    (tmp_path / "d.csv").write_text("1,2,cat\n3,4,dog\n5,6,cat\n7,8,dog\n9,9,cat\n0,1,dog\n")
    data = load(f"csv:{tmp_path / 'd.csv'}", key, test_fraction=0.34)
    assert data.classes.tolist() == ["cat", "dog"] and data.y_train.dtype == np.int32
    assert data.decode(data.y_test).tolist() in (["cat", "dog"], ["dog", "cat"])


def test_a_single_class_is_refused_by_the_data_api(tmp_path, key):
    np.savez(tmp_path / "one.npz", x=np.zeros((5, 2)), y=np.full(5, 3))
    with pytest.raises(
        DataError, match=r"holds 1 class \(\[3\]\); classification needs at least 2"
    ):
        load(f"npz:{tmp_path / 'one.npz'}", key)


# Data files that once crashed, misled or were accepted: refused at the loader, naming the file.


def npy_with_header(shape, data=b"", padding=0):
    """``.npy`` bytes whose header claims ``shape`` of float64, whatever data follows."""
    header = repr({"descr": "<f8", "fortran_order": False, "shape": shape}) + " " * padding
    text = header.encode("latin1") + b"\n"
    return b"\x93NUMPY\x01\x00" + len(text).to_bytes(2, "little") + text + data


def npz_members(**members):
    def make(tmp_path):
        path = tmp_path / "data.npz"
        with zipfile.ZipFile(path, "w") as archive:
            for key, value in members.items():
                if not isinstance(value, bytes):
                    buffer = io.BytesIO()
                    np.save(buffer, value)
                    value = buffer.getvalue()
                archive.writestr(key + ".npy", value)
        return ["--data", f"npz:{path}"]

    return make


def idx_labels(kind, train_labels, images=np.zeros((6, 2, 2))):
    def make(tmp_path):
        directory = tmp_path / "idx"
        directory.mkdir()
        arrays = {
            "X_train": images,
            "y_train": np.array(train_labels, np.uint8),
            "X_test": np.zeros((3, *images.shape[1:]), images.dtype),
            "y_test": np.array([0, 1, 9], np.uint8),
        }
        for role, name in IDX_FILES.items():
            write_idx(directory / name, arrays[role])
        return ["--data", f"{kind}:{directory}"]

    return make


Y30 = np.arange(30) % 2
X30 = np.where(np.arange(90).reshape(30, 3) == 23, 1e39, 0.5)  # 1e39 at (7, 2)
CSV_OVERFLOW = "a,b,c,label\n" + "".join(f"{r[0]},{r[1]},{r[2]},{y}\n" for r, y in zip(X30, Y30))
FLOAT_IMAGES = np.where(np.arange(24).reshape(6, 2, 2) == 13, 1e39, 0.25)  # 1e39 at (3, 0, 1)
BAD_DATA_FILES = {
    "npz-header-claims-4-TB": (npz_members(x=npy_with_header((10**11, 5), bytes(64)), y=Y30), r"NPZ file '.*data.npz': array 'x' has a header claiming shape \(100000000000, 5\) of float64, which needs 4000000000000 bytes, but the archive holds 64 bytes"),
    "npz-header-too-long": (npz_members(x=npy_with_header((30, 3), bytes(720), padding=20000), y=Y30), r"array 'x' has a header of 20\d+ bytes, more than the 10000 that numpy parses safely"),
    "npz-no-feature-columns": (npz_file(x=np.zeros((30, 0)), y=Y30), r"x in '.*data.npz' has no feature columns: shape \(30, 0\)"),
    "npz-x_test-other-width": (npz_file(x=np.zeros((30, 3)), y=Y30, x_test=np.zeros((4, 2)), y_test=Y30[:4]), r"x_test has examples of shape \(2,\) but x has \(3,\)"),
    "npz-overflows-float32": (npz_file(x=X30, y=Y30), r"x in '.*data.npz' holds 1e\+39 at index \(7, 2\), beyond the range of float32"),
    "npz-nan-in-x_test": (npz_file(x=np.zeros((30, 3)), y=Y30, x_test=np.full((4, 3), np.nan), y_test=Y30[:4]), r"x_test in '.*data.npz' holds a non-finite value \(nan\) at index \(0, 0\)"),
    "npz-label-overflows-int64": (npz_file(x=np.zeros((30, 3)), y=np.where(Y30 == 1, 1e39, 0.0)), r"holds the label 1e\+39, beyond the range of int64"),
    "csv-overflows-float32": (csv_file(CSV_OVERFLOW), r"CSV file '.*data.csv', line 9, column 3 \('c'\): '1e\+39' is beyond the range of float32"),
    "csv-label-overflows-int64": (csv_file("1,2,0\n3,4,1\n5,6,1e39\n"), r"holds the label 1e\+39, beyond the range of int64"),
    "fashion-mnist-label-10": (idx_labels("fashion-mnist", [0, 1, 2, 10, 4, 5]), r"Fashion-MNIST IDX file '.*train-labels-idx1-ubyte' holds the label 10 at index 3; its labels are the 10 classes 0..9"),
    "mnist-label-255": (idx_labels("mnist", [0, 1, 2, 3, 4, 255]), r"MNIST IDX file '.*train-labels-idx1-ubyte' holds the label 255 at index 5"),
    "idx-float-images-overflow": (idx_labels("idx", [0, 1] * 3, FLOAT_IMAGES), r"the image array in '.*train-images-idx3-ubyte' holds 1e\+39 at index \(3, 0, 1\)"),
    "idx-images-without-pixels": (idx_labels("idx", [0, 1] * 3, np.zeros((6, 0, 2))), r"the image array in '.*train-images-idx3-ubyte' has no feature columns"),
    "idx-sizes-wrap-int64": (idx_dir(lambda path: path.write_bytes(bytes([0, 0, 8, 3]) + np.array([2**31, 2**31, 4], ">u4").tobytes())), r"IDX file '.*train-images-idx3-ubyte' holds 16 bytes but its header \(shape \(2147483648, 2147483648, 4\), uint8\) needs 18446744073709551632"),
}  # fmt: skip


@pytest.mark.parametrize("make, match", BAD_DATA_FILES.values(), ids=BAD_DATA_FILES.keys())
def test_bad_data_file_gives_one_line_no_warning_and_status_2(make, match, tmp_path, capsys):
    argv = [*make(tmp_path), "--sizes", "d,4,c", "--run-dir", str(tmp_path / "run")]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        status = main(["train", "--epochs", "1", *argv])
    assert_one_error_line(status, capsys.readouterr().err, match)
    assert not caught, [str(warning.message) for warning in caught]
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("command", ["evaluate", "predict"])
@pytest.mark.parametrize(
    "name", ["npz-header-claims-4-TB", "npz-overflows-float32", "npz-no-feature-columns"]
)
def test_bad_data_file_given_to_a_trained_run_gives_one_line(
    command, name, trained_run, tmp_path, capsys
):
    make, match = BAD_DATA_FILES[name]
    before = sorted(p.name for p in trained_run.iterdir())
    argv = [command, "--run-dir", str(trained_run), *make(tmp_path)]
    if command == "predict":
        argv += ["--out", str(tmp_path / "p.csv")]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        status = main(argv)
    assert_one_error_line(status, capsys.readouterr().err, match)
    assert not caught and not (tmp_path / "p.csv").exists()
    assert sorted(p.name for p in trained_run.iterdir()) == before


@pytest.mark.heavy
@pytest.mark.parametrize("name", ["npz-header-claims-4-TB", "csv-overflows-float32"])
def test_bad_data_file_from_a_new_process_prints_only_the_error(name, tmp_path):
    make, match = BAD_DATA_FILES[name]
    argv = ["train", *make(tmp_path), "--epochs", "1", "--run-dir", tmp_path / "run"]
    completed = subprocess.run(
        [sys.executable, "-m", "jaxmlp", *map(str, argv)], capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert completed.returncode == 2, completed.stderr
    assert completed.stderr.count("\n") == 1 and re.search(match, completed.stderr)
    assert completed.stderr.startswith("jaxmlp: error: ")  # no warning, no traceback before it
    assert not (tmp_path / "run").exists()
