"""A trained run used on data (its own by default): its loss and accuracy, its predictions."""

from __future__ import annotations

import csv
import io
import sys
from typing import Any

import numpy as np

from ..data import read
from ..data.labels import LabelEncoder
from ..data.specs import CLASSIFIERS, REGRESSION
from ..io.atomic import atomic_write_text
from ..names import SPLITS as SPLITS
from ..predict import evaluate, predict_proba
from ..targets import predicted_labels
from .inputs import Run, RunError, load_data, model_inputs
from .saved import final_params, open_run


def evaluate_run(run_dir, *, data: str | None = None, split: str = "test") -> dict[str, Any]:
    """The loss and accuracy of the run's final params on a split of ``data`` (the run's own
    data by default; ``"test"`` is its test split)."""
    run, params, X, y, spec = _on_data(run_dir, data, split)
    result = evaluate(run.mlp, params, X, y, loss=run.config.loss)
    return {"data": spec, "split": split, "n": len(X), **result}


def predict_run(
    run_dir, out: str, *, data: str | None = None, split: str = "all"
) -> dict[str, Any]:
    """Writes the run's predictions on a split of ``data`` as CSV to ``out`` (``-``: stdout).

    Columns: ``index`` (the example's row in the split; for ``"all"``, in the data's files),
    ``prediction`` and ``label`` (original labels, decoded), and ``score`` (the output of the
    predicted class). For real targets: ``index``, ``prediction_j`` and ``target_j``.
    """
    run, params, X, y, spec = _on_data(run_dir, data, split)
    Y_hat = np.asarray(predict_proba(run.mlp, params, X))  # (n, c)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if run.classes is not None:
        encoder = LabelEncoder(run.classes)
        indices = np.asarray(predicted_labels(Y_hat))
        if Y_hat.shape[1] == 1:
            score = np.where(indices == 1, Y_hat[:, 0], 1 - Y_hat[:, 0])
        else:
            score = Y_hat[np.arange(len(Y_hat)), indices]
        writer.writerow(["index", "prediction", "label", "score"])
        rows = zip(range(len(X)), encoder.decode(indices), encoder.decode(y), score)
        writer.writerows((i, p, t, f"{s:.6g}") for i, p, t, s in rows)
    else:
        k = Y_hat.shape[1]
        writer.writerow(
            ["index", *(f"prediction_{j}" for j in range(k)), *(f"target_{j}" for j in range(k))]
        )
        for i in range(len(X)):
            writer.writerow([i, *(f"{v:.6g}" for v in Y_hat[i]), *(f"{v:.6g}" for v in y[i])])
    if out == "-":
        sys.stdout.write(buffer.getvalue())
    else:
        atomic_write_text(out, buffer.getvalue())
    return {"data": spec, "split": split, "n": len(X), "out": out}


def examples(run: Run, spec: str | None, split: str) -> tuple[np.ndarray, np.ndarray, str]:
    """``(X, y, spec)``: a split of ``spec`` (the run's data by default), preprocessed as the
    run's training data were: encoded with its classes, then through ``model_inputs``."""
    if split not in SPLITS:
        raise RunError(f"split {split!r} is not known; choose one of {list(SPLITS)}")
    config = run.config
    spec = spec or config.data
    kind = spec.strip().partition(":")[0]
    if split == "all" and kind not in CLASSIFIERS and kind not in REGRESSION:
        X, y = read(
            spec, flatten=config.flatten, label_column=config.label_column,
            header=config.header, weight_column=config.weight_column,
        )  # fmt: skip
        if run.classes is not None:
            y = LabelEncoder(run.classes).encode(y, f"the labels of {spec!r}")
    else:
        dataset = load_data(config, spec=spec, classes=run.classes)
        parts = {"train": ["train"], "test": ["test"], "all": ["train", "val", "test"]}[split]
        pairs = [(getattr(dataset, f"X_{p}"), getattr(dataset, f"y_{p}")) for p in parts]
        pairs = [(X, y) for X, y in pairs if X is not None]
        X, y = np.concatenate([X for X, _ in pairs]), np.concatenate([y for _, y in pairs])
    return model_inputs(X, run, spec), y, spec


def _on_data(run_dir, spec: str | None, split: str):
    """``(run, final params, X, y, spec)``: the run in ``run_dir`` and its ``examples``."""
    run, state = open_run(run_dir)
    return run, final_params(state), *examples(run, spec, split)
