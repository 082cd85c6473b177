"""A run directory: the files a training run writes, and the rule that one run owns it.

* ``config.json``: the run's ``TrainConfig``, written first: the directory now holds a run.
* ``metrics.jsonl``: one JSON object per epoch, appended and fsynced line by line; a line cut
  short by a crash is ignored when read.
* ``checkpoint.npz``: the whole training state and its metadata (``jaxmlp.io.checkpoint``).
* ``summary.json`` and ``loss.png``: at the end, the test scores, wall time and config; the curves.

Every other file is replaced atomically; a write that fails raises ``SaveError``, naming the
file and the epoch. A directory that holds a run is refused for a new one unless overwritten,
which deletes these files only.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
from pathlib import Path
from typing import Any

from .atomic import atomic_write_text, atomic_writer

CONFIG = "config.json"
METRICS = "metrics.jsonl"
CHECKPOINT = "checkpoint.npz"
SUMMARY = "summary.json"
FIGURE = "loss.png"
RUN_FILES = (CONFIG, METRICS, CHECKPOINT, SUMMARY, FIGURE)


class RunDirError(ValueError):
    """A run directory that cannot be used as asked, e.g. one that already holds a run."""


class SaveError(OSError):
    """A run's file could not be written; its previous version is intact, ``errno`` the write's."""

    def __init__(self, path: Path, epoch: int, error: OSError, kept: str):
        reason = error.strerror or str(error)
        self.message = f"cannot save {path} after epoch {epoch}: {reason}; {kept}"
        super().__init__(self.message)
        self.errno, self.strerror, self.filename = error.errno, reason, str(path)

    def __str__(self) -> str:  # OSError's would be "[Errno N] reason: path"
        return self.message


@contextlib.contextmanager
def saving(path: Path, epoch: int, kept: str):
    """Turns an ``OSError`` while writing ``path`` into a ``SaveError`` naming ``epoch``."""
    try:
        yield
    except SaveError:
        raise
    except OSError as error:
        raise SaveError(path, epoch, error, kept) from error


def holds_run(run_dir: str | os.PathLike) -> bool:
    """Whether ``run_dir`` holds any file of a run."""
    return any((Path(run_dir) / name).exists() for name in RUN_FILES)


def check_available(run_dir: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """``run_dir`` as a path, or a ``RunDirError`` if it is a file or holds a run (unless
    ``overwrite``), before anything is loaded or written."""
    path = Path(run_dir)
    if path.exists() and not path.is_dir():
        raise RunDirError(f"run directory {str(path)!r} is a file, expected a directory")
    if holds_run(path) and not overwrite:
        raise RunDirError(
            f"run directory {str(path)!r} already holds a run; continue it with --resume "
            f"{path}, replace it with --overwrite, or choose another --run-dir"
        )
    return path


def claim(run_dir: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Makes ``run_dir`` ready for a new run: created if needed, refused as by
    ``check_available``; ``overwrite`` deletes the files of a run there (and only those)."""
    path = check_available(run_dir, overwrite=overwrite)
    for name in RUN_FILES:
        (path / name).unlink(missing_ok=True)
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_json(path: str | os.PathLike, value: Any) -> None:
    """Writes ``value`` as indented JSON, atomically; NaN and infinities become ``null``."""
    atomic_write_text(path, json.dumps(plain(value), indent=2) + "\n")


def plain(value: Any) -> Any:
    """``value`` with NaN and infinite floats replaced by ``None``, for strict JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


class MetricsLog(contextlib.AbstractContextManager):
    """``metrics.jsonl``, opened for appending; every line is on disk when ``write`` returns."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._file = open(self.path, "a", encoding="utf-8")

    def write(self, record: dict[str, Any]) -> None:
        self._file.write(json.dumps(plain(record)) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def __exit__(self, *exc_info) -> None:
        self._file.close()


def read_metrics(path: str | os.PathLike) -> list[dict[str, Any]]:
    """The records of a ``metrics.jsonl``; a last line cut short by a crash is left out."""
    records = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            break
    return records


def rewrite_metrics(path: str | os.PathLike, records: list[dict[str, Any]]) -> None:
    """Replaces ``metrics.jsonl`` with ``records`` atomically (when a run resumes)."""
    atomic_write_text(path, "".join(json.dumps(plain(record)) + "\n" for record in records))


def plot_history(path: str | os.PathLike, records: list[dict[str, Any]], title: str) -> bool:
    """Saves the loss (and accuracy) curves as a PNG, atomically; False without matplotlib."""
    try:  # here: an optional dependency, slow to import, needed only at the end of a run
        # A Figure of its own, not pyplot's: no backend to choose and no global state.
        from matplotlib.figure import Figure
    except ImportError:
        return False

    def series(name):
        values = [record.get(name) for record in records]
        return [math.nan if value is None else value for value in values]

    epochs = series("epoch")
    has_accuracy = any(math.isfinite(v) for v in series("train_accuracy"))
    figure = Figure(figsize=(5.5 * (1 + has_accuracy), 3.8))
    axes = figure.subplots(1, 1 + has_accuracy)
    axes = list(axes) if has_accuracy else [axes]
    for axis, metric in zip(axes, ("loss", "accuracy")):
        for split in ("train", "val"):
            values = series(f"{split}_{metric}")
            if any(math.isfinite(v) for v in values):
                axis.plot(epochs, values, label="training" if split == "train" else "validation")
        axis.set_xlabel("epoch")
        axis.set_ylabel(metric)
        axis.grid(alpha=0.3)
        axis.legend()
    if all(v > 0 for v in series("train_loss") if math.isfinite(v)):
        axes[0].set_yscale("log")
    figure.suptitle(title)
    figure.subplots_adjust(left=0.1, right=0.97, bottom=0.14, top=0.88, wspace=0.25)
    with atomic_writer(path) as file:
        figure.savefig(file, format="png", dpi=100)
    return True
