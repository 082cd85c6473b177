"""Runs: the data reach a trained model as they reached it in training, whatever the command.

``train`` reports the final params' loss and accuracy on each split; ``evaluate`` and ``predict``
on the same split must say the same, to the last digit, for every ``--scale``: the features are
scaled once by the run's scaler, never twice and never not at all.
"""

import csv
import json

import numpy as np
import pytest

import jaxmlp
from jaxmlp.app import inputs, saved
from jaxmlp.app.cli import main
from jaxmlp.io.rundir import SUMMARY

SCALES = ("none", "standardize", "standardize_global", "minmax")
SPLITS = ("test", "train", "all")
TRAIN = ["--sizes", "d,8,c", "--epochs", "3", "--batch-size", "16", "--lr", "0.05", "--quiet"]


def write_flowers(path, n=120, seed=0):
    """A CSV of 3 string classes whose 4 features have far-from-unit offsets and spreads, so
    that features scaled twice (or not at all) give other numbers."""
    rng = np.random.default_rng(seed)
    names = np.array(["setosa", "versicolor", "virginica"])
    labels = rng.integers(0, 3, n)
    X = rng.normal(size=(n, 4)) + labels[:, None]
    X = X * [10.0, 0.1, 1.0, 300.0] + [100.0, -50.0, 0.0, 1000.0]
    rows = "".join(",".join([*(f"{v:.6g}" for v in x), names[t]]) + "\n" for x, t in zip(X, labels))
    path.write_text("a,b,c,d,species\n" + rows)
    return path


def cli(capsys, *argv):
    capsys.readouterr()  # what ran before, e.g. a run trained for the module
    status = main([str(arg) for arg in argv])
    out, err = capsys.readouterr()
    assert status == 0, err
    return out


def read_rows(path):
    with open(path) as file:
        return list(csv.DictReader(file))


@pytest.fixture(scope="module")
def flowers(tmp_path_factory):
    return write_flowers(tmp_path_factory.mktemp("data") / "flowers.csv")


DATA = {"csv": None, "moons": "moons:n=96,noise=0.3"}  # a file, and data without one


@pytest.fixture(scope="module")
def trained(flowers, tmp_path_factory):
    """``trained(data, scale)``: one run per data and scale, with a validation split (so that
    ``all`` spans three splits), trained once for the module: its directory and summary."""
    runs = {}

    def train(data, scale):
        if (data, scale) not in runs:
            spec = DATA[data] or f"csv:{flowers}"
            run_dir = tmp_path_factory.mktemp("runs") / f"{data}-{scale}"
            argv = ["train", "--data", spec, *TRAIN, "--validation-fraction", "0.2"]
            assert main([*argv, "--scale", scale, "--run-dir", str(run_dir)]) == 0
            summary = json.loads((run_dir / SUMMARY).read_text())
            runs[data, scale] = {"run_dir": run_dir, "summary": summary}
        return runs[data, scale]

    return train


MATRIX = [(data, scale, split) for data in DATA for scale in SCALES for split in SPLITS]
MATRIX_IDS = ["-".join(case) for case in MATRIX]


def reported(summary, split):
    """What ``train`` reported for ``split``: ``(n, correct, loss)``; ``all`` is every split."""
    parts = ["train", "val", "test"] if split == "all" else [split]
    splits = [summary["splits"][part] for part in parts]
    n = sum(s["n"] for s in splits)
    correct = sum(round(s["accuracy"] * s["n"]) for s in splits)
    return n, correct, sum(s["loss"] * s["n"] for s in splits) / n


@pytest.mark.parametrize("data, scale, split", MATRIX, ids=MATRIX_IDS)
def test_evaluate_says_what_train_reported_for_the_split(trained, data, scale, split, capsys):
    run_dir, summary = trained(data, scale)["run_dir"], trained(data, scale)["summary"]
    out = cli(capsys, "evaluate", "--run-dir", run_dir, "--split", split, "--json")
    result = json.loads(out)
    n, correct, loss = reported(summary, split)
    assert result["n"] == n
    assert round(result["accuracy"] * n) == correct
    if split == "all":  # a mean over the three splits' examples, summed in another order
        assert result["loss"] == pytest.approx(loss, rel=1e-5)
    else:  # the same program on the same arrays: every digit
        assert (result["accuracy"], result["loss"]) == (
            summary["splits"][split]["accuracy"],
            summary["splits"][split]["loss"],
        )
    text = cli(capsys, "evaluate", "--run-dir", run_dir, "--split", split)
    assert f"accuracy {correct / n:.4f}, loss {loss:.4f} ({n} examples)" in text
    if split == "test":  # as the train command printed it
        line = f"test accuracy {summary['test_accuracy']:.4f}, test loss {summary['test_loss']:.4f}"
        assert line.replace("test ", "") in text


@pytest.mark.parametrize("data, scale, split", MATRIX, ids=MATRIX_IDS)
def test_predict_is_right_as_often_as_train_reported(trained, data, scale, split, capsys, tmp_path):
    out = tmp_path / "p.csv"
    run_dir, summary = trained(data, scale)["run_dir"], trained(data, scale)["summary"]
    cli(capsys, "predict", "--run-dir", run_dir, "--split", split, "--out", out)
    rows = read_rows(out)
    n, correct, _ = reported(summary, split)
    assert len(rows) == n
    assert sum(row["prediction"] == row["label"] for row in rows) == correct


def scaled_by_hand(X, X_train, scale):
    """``X`` scaled as ``--scale`` says, fitted on ``X_train``, in plain numpy."""
    X, X_train = np.asarray(X, np.float64), np.asarray(X_train, np.float64)
    if scale == "standardize":
        X = (X - X_train.mean(0)) / X_train.std(0)
    elif scale == "standardize_global":
        X = (X - X_train.mean()) / X_train.std()
    elif scale == "minmax":
        X = (X - X_train.min(0)) / (X_train.max(0) - X_train.min(0))
    return X.astype(np.float32)


def check_predictions(rows, run_dir, X, labels):
    """The rows of ``predict`` are ``jaxmlp.predict`` and ``predict_proba`` on ``X``."""
    trained_run, state = saved.open_run(run_dir)
    params = saved.final_params(state)
    indices = np.asarray(jaxmlp.predict(trained_run.mlp, params, X))
    scores = np.asarray(jaxmlp.predict_proba(trained_run.mlp, params, X)).max(axis=1)
    assert [row["label"] for row in rows] == list(labels)
    assert [row["prediction"] for row in rows] == [str(c) for c in trained_run.classes[indices]]
    assert [row["score"] for row in rows] == [f"{s:.6g}" for s in scores]


@pytest.mark.parametrize("scale", SCALES)
def test_predict_all_on_a_csv_file_is_jaxmlp_predict_on_the_scaled_rows(
    scale, flowers, trained, capsys, tmp_path
):
    run_dir, summary = trained("csv", scale)["run_dir"], trained("csv", scale)["summary"]
    cli(capsys, "predict", "--run-dir", run_dir, "--split", "all", "--out", tmp_path / "p.csv")
    table = np.loadtxt(flowers, delimiter=",", skiprows=1, usecols=range(4), dtype=np.float32)
    labels = np.loadtxt(flowers, delimiter=",", skiprows=1, usecols=4, dtype=str)
    trained_run, _ = saved.open_run(run_dir)
    # The rows the scaler was fitted on: the training split less the validation split.
    X_train = inputs.load_data(trained_run.config).X_train
    assert len(X_train) == summary["n_train"] and X_train.dtype == np.float32
    X = scaled_by_hand(table, X_train, scale)
    check_predictions(read_rows(tmp_path / "p.csv"), run_dir, X, labels)


@pytest.mark.heavy
def test_other_data_given_to_a_run_are_scaled_by_the_runs_scaler(trained, capsys, tmp_path):
    # New rows (another file): the run's scaler, fitted on its own training split, applies;
    # not one fitted on the new file's split, and not both.
    run_dir = trained("csv", "standardize")["run_dir"]
    other = write_flowers(tmp_path / "other.csv", n=60, seed=1)
    trained_run, _ = saved.open_run(run_dir)
    X_train = inputs.load_data(trained_run.config).X_train
    for split in ("all", "test"):
        argv = ["--run-dir", run_dir, "--data", f"csv:{other}", "--split", split]
        cli(capsys, "predict", *argv, "--out", tmp_path / f"{split}.csv")
        if split == "all":
            X = np.loadtxt(other, delimiter=",", skiprows=1, usecols=range(4), dtype=np.float32)
            labels = np.loadtxt(other, delimiter=",", skiprows=1, usecols=4, dtype=str)
        else:  # the test split of the other file, drawn with the run's seed
            data = inputs.load_data(trained_run.config, spec=f"csv:{other}")
            X, labels = data.X_test, data.decode(data.y_test)
        X = scaled_by_hand(X, X_train, "standardize")
        check_predictions(read_rows(tmp_path / f"{split}.csv"), run_dir, X, labels)
        result = json.loads(cli(capsys, "evaluate", *argv, "--json"))
        expected = jaxmlp.evaluate(
            trained_run.mlp,
            saved.final_params(saved.open_run(run_dir)[1]),
            X,
            trained_run.classes.searchsorted(labels),
            loss="cross_entropy",
        )
        assert (result["accuracy"], result["loss"]) == (expected["accuracy"], expected["loss"])


@pytest.mark.heavy
@pytest.mark.parametrize("scale", ["standardize", "standardize_global", "minmax"])
def test_uint8_images_in_an_npz_are_divided_by_255_once_and_scaled_once(scale, capsys, tmp_path):
    # Images (n, 3, 3) of uint8 pixels with their own test split: flattened, divided by 255,
    # then scaled, each once, in training and in predict --split all (the files' rows in order).
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 80)
    x = np.clip(rng.normal(100, 30, size=(80, 3, 3)) + 60 * y[:, None, None], 0, 255)
    x = x.astype(np.uint8)
    np.savez(tmp_path / "images.npz", x=x[:60], y=y[:60], x_test=x[60:], y_test=y[60:])
    run_dir = tmp_path / "run"
    spec = f"npz:{tmp_path / 'images.npz'}"
    cli(capsys, "train", "--data", spec, *TRAIN, "--scale", scale, "--run-dir", run_dir)
    cli(capsys, "predict", "--run-dir", run_dir, "--split", "all", "--out", tmp_path / "p.csv")
    pixels = x.reshape(80, 9) / np.float32(255)
    X = scaled_by_hand(pixels, pixels[:60], scale)
    check_predictions(read_rows(tmp_path / "p.csv"), run_dir, X, y.astype(str))
    summary = json.loads((run_dir / SUMMARY).read_text())
    result = json.loads(cli(capsys, "evaluate", "--run-dir", run_dir, "--json"))
    assert (result["accuracy"], result["loss"]) == (summary["test_accuracy"], summary["test_loss"])


@pytest.mark.heavy
def test_a_float64_run_evaluates_as_it_trained(flowers, capsys, tmp_path):
    # float32 features scaled once, then cast to the params' float64, in training as after.
    run_dir = tmp_path / "run"
    argv = ["--data", f"csv:{flowers}", *TRAIN, "--scale", "standardize", "--dtype", "float64"]
    cli(capsys, "train", *argv, "--run-dir", run_dir)
    summary = json.loads((run_dir / SUMMARY).read_text())
    for split in ("train", "test"):
        result = json.loads(
            cli(capsys, "evaluate", "--run-dir", run_dir, "--split", split, "--json")
        )
        assert (result["accuracy"], result["loss"]) == (
            summary["splits"][split]["accuracy"],
            summary["splits"][split]["loss"],
        )
