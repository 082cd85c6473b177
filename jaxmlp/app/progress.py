"""What a terminal shows of a training run, and how a signal stops one after its epoch."""

from __future__ import annotations

import contextlib
import signal
import sys
import threading

SIGNAL_NAMES = {signal.SIGINT: "SIGINT (Ctrl-C)", signal.SIGTERM: "SIGTERM"}


@contextlib.contextmanager
def stop_on_signals():
    """Yields ``stop_requested() -> signal number or 0``, set by the first SIGINT or SIGTERM:
    training stops after its epoch and saves a checkpoint. A second signal aborts at once
    (``KeyboardInterrupt``), leaving the last checkpoint as it was."""
    received = []

    def handler(signum, frame):
        if received:
            raise KeyboardInterrupt
        received.append(signum)
        print(
            f"\njaxmlp: {SIGNAL_NAMES[signum]}: stopping after this epoch to save a checkpoint "
            "(again to abort without saving)",
            file=sys.stderr,
        )

    if threading.current_thread() is not threading.main_thread():
        yield lambda: 0  # signals reach the main thread only
        return
    previous = {signum: signal.signal(signum, handler) for signum in SIGNAL_NAMES}
    try:
        yield lambda: received[0] if received else 0
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


class Progress:
    """A start line, then a tqdm bar on a terminal, else a line per epoch; ``quiet``: nothing."""

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.bar = None
        self.epochs = 0
        self.times: list[float] = []

    def start(self, info: dict) -> None:
        self.epochs = info["epochs"]
        if self.quiet:
            return
        split = f"{info['n_train']} training"
        if info["n_validation"]:
            split += f", {info['n_validation']} validation"
        first = info["first_epoch"]
        what = f"epochs {first} to {self.epochs}" if first > 1 else f"{self.epochs} epochs"
        print(
            f"jaxmlp: training {'-'.join(map(str, info['sizes']))} on {split} examples, "
            f"{what}; run in {info['run_dir']}",
            file=sys.stderr,
            flush=True,
        )
        if sys.stderr.isatty():
            try:  # here: tqdm is optional (the experiments extra), and only for a terminal
                from tqdm import tqdm
            except ImportError:
                return
            self.bar = tqdm(
                total=self.epochs,
                initial=first - 1,
                unit="epoch",
                desc="train",
                file=sys.stderr,
                dynamic_ncols=True,
            )

    def epoch(self, record: dict) -> None:
        if self.quiet:
            return
        text = _epoch_text(record)
        if self.bar is not None:
            self.bar.set_postfix_str(text, refresh=False)
            self.bar.update(1)
            return
        self.times.append(record["epoch_time"])
        left = (self.epochs - record["epoch"]) * sum(self.times) / len(self.times)
        print(
            f"epoch {record['epoch']}/{self.epochs}  {text}  eta {_duration(left)}",
            file=sys.stderr,
            flush=True,
        )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _duration(seconds: float) -> str:
    minutes, seconds = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes:02d}:{seconds:02d}"


def _epoch_text(record: dict) -> str:
    parts = [f"loss {record['train_loss']:.4f}"]
    if record["train_accuracy"] == record["train_accuracy"]:  # not NaN: classes
        parts.append(f"acc {record['train_accuracy']:.4f}")
    if record["val_loss"] == record["val_loss"]:
        parts.append(f"val_loss {record['val_loss']:.4f}")
        if record["val_accuracy"] == record["val_accuracy"]:
            parts.append(f"val_acc {record['val_accuracy']:.4f}")
    rate = record["samples_per_second"]
    if rate == rate:
        parts.append(f"{rate:,.0f} samples/s")
    return "  ".join(parts)
