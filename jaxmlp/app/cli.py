"""The ``jaxmlp`` command line: ``train``, ``evaluate``, ``predict`` and ``gradcheck``.

A thin layer over ``jaxmlp.run`` and ``jaxmlp.gradcheck``: it parses flags (made from
``TrainConfig``), shows progress, turns Ctrl-C and SIGTERM into a checkpoint and a resume
command, and turns every bad input into one line, ``jaxmlp: error: ...``, and exit status 2.

Exit status: 0 done; 1 training diverged or a gradient check failed; 2 bad input (flags,
config file, data, run directory, checkpoint) or a file that cannot be written (a full disk);
130 or 143 stopped by SIGINT or SIGTERM (128 + the signal number) after saving a checkpoint.

``--dtype float64`` enables 64-bit JAX (``jax_enable_x64``) for the process, as the library
asks its users to do; ``gradcheck`` runs in float64 by default.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import json
import shlex
import signal
import sys
import threading
from pathlib import Path

from . import config as config_module
from . import flags
from .config import TrainConfig, check_config, read_config_file
from .flags import given_values

EXIT_ERROR = 2
SIGNAL_NAMES = {signal.SIGINT: "SIGINT (Ctrl-C)", signal.SIGTERM: "SIGTERM"}


class UsageError(ValueError):
    """A command line that cannot be parsed."""


class Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` that raises ``UsageError`` instead of printing usage and exiting."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, allow_abbrev=False, **kwargs)

    def error(self, message: str):
        raise UsageError(f"{message} (see {self.prog} --help)")


def main(argv: list[str] | None = None, prog: str = "jaxmlp") -> int:
    """Runs the command line ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
    parser = build_parser(prog)
    try:
        args, extras = parser.parse_known_args(argv)
        if extras:
            raise UsageError(_unknown_arguments(args.parser, extras))
        args.prog = prog
        return args.handler(args)
    except SystemExit as exit:  # --help
        return exit.code if isinstance(exit.code, int) else 0
    except KeyboardInterrupt:
        print(f"{prog}: aborted; files already saved are intact", file=sys.stderr)
        return 128 + signal.SIGINT
    except (ValueError, TypeError, OSError) as error:
        # ValueError covers ConfigError, DataError, CheckpointError, RunError and RunDirError.
        return _report(error)


def build_parser(prog: str = "jaxmlp") -> Parser:
    parser = Parser(prog=prog, description="Train and use multi-layer perceptrons in JAX.")
    commands = parser.add_subparsers(title="commands", dest="command", required=True)

    from ..data import SPECS

    specs = "\n".join(f"  {spec:<15} {what}" for spec, what in SPECS.items())
    train = commands.add_parser(
        "train",
        help="train an MLP, or resume a run",
        description="Train an MLP; every flag can also be set in a --config file.",
        epilog=f"data specs (--data):\n{specs}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    train.add_argument(
        "--config",
        metavar="FILE",
        help="a .toml or .json file of settings, which flags override (default: none)",
    )
    train.add_argument(
        "--resume",
        metavar="RUN_DIR",
        help="continue the run in RUN_DIR exactly (default: none, a new run)",
    )
    train.add_argument(
        "--overwrite", action="store_true", help="replace a run in --run-dir (default: off)"
    )
    train.add_argument(
        "--quiet", action="store_true", help="no progress, only the result (default: off)"
    )
    flags.add_arguments(train)
    train.set_defaults(handler=_train, parser=train)

    for name, description in (
        ("evaluate", "the loss and accuracy of a trained run on a split of the data"),
        ("predict", "a trained run's predictions, as CSV with the original labels"),
    ):
        command = commands.add_parser(name, help=description, description=description)
        command.add_argument("--run-dir", required=True, metavar="DIR", help="the trained run")
        command.add_argument(
            "--data", metavar="SPEC", help="the data, loaded as in training (default: the run's)"
        )
        default_split = "test" if name == "evaluate" else "all"
        command.add_argument(
            "--split",
            choices=("test", "train", "all"),
            default=default_split,
            help="test: the held-out split; train: the training split; all: every example, in "
            f"the order of the data's files (default: {default_split})",
        )
        if name == "evaluate":
            command.add_argument(
                "--json", action="store_true", help="print the result as JSON (default: off)"
            )
            command.set_defaults(handler=_evaluate, parser=command)
        else:
            command.add_argument(
                "--out", required=True, metavar="FILE", help="the CSV file to write (- for stdout)"
            )
            command.set_defaults(handler=_predict, parser=command)

    gradcheck = commands.add_parser(
        "gradcheck",
        help="hand-written backprop vs autodiff vs finite differences",
        description="Compare the hand-written gradients with jax.grad and central finite "
        "differences on random data, one row per parameter array.",
    )
    flags.add_arguments(
        gradcheck,
        ("sizes", "hidden", "output", "loss", "l2", "seed", "init", "dtype"),
        defaults=GRADCHECK_DEFAULTS,
        helps=GRADCHECK_HELP,
    )
    gradcheck.add_argument(
        "--examples", type=int, default=8, metavar="N", help="random examples (default: 8)"
    )
    gradcheck.set_defaults(handler=_gradcheck, parser=gradcheck)
    return parser


GRADCHECK_DEFAULTS = {"sizes": (5, 7, 3), "dtype": "float64"}
# Where gradcheck uses a field otherwise than training: it has no data, only random examples.
GRADCHECK_HELP = {
    "sizes": "layer widths d,h_1,...,c, as integers",
    "seed": "one seed for the random examples and the initial weights",
}


# train


def _train(args) -> int:
    from . import runs as run

    values = read_config_file(args.config) if args.config else {}
    values.update(given_values(args))
    if args.resume:
        if args.overwrite:
            raise UsageError("--resume and --overwrite exclude each other; give one of them")
        if "run_dir" in values and Path(values["run_dir"]) != Path(args.resume):
            raise UsageError(f"--run-dir {values['run_dir']} differs from --resume {args.resume}")
        values.pop("run_dir", None)
        saved = run.config_from_metadata(run.read_metadata(args.resume), Path(args.resume))
        _use_dtype(saved.dtype)
        progress = Progress(args.quiet)
        with contextlib.closing(progress), _stop_on_signals() as stop_requested:
            summary = _interruptible(
                lambda: run.resume(
                    args.resume,
                    changes=values,
                    on_start=progress.start,
                    on_epoch=progress.epoch,
                    stop_requested=stop_requested,
                ),
                args,
            )
    else:
        config = check_config(TrainConfig(**values))
        _use_dtype(config.dtype)
        progress = Progress(args.quiet)
        with contextlib.closing(progress), _stop_on_signals() as stop_requested:
            summary = _interruptible(
                lambda: run.train(
                    config,
                    overwrite=args.overwrite,
                    on_start=progress.start,
                    on_epoch=progress.epoch,
                    stop_requested=stop_requested,
                ),
                args,
            )
    if isinstance(summary, int):
        return summary
    accuracy = summary["test_accuracy"]
    result = f"test loss {summary['test_loss']:.4f}"
    if accuracy is not None and accuracy == accuracy:  # not NaN: classes
        result = f"test accuracy {accuracy:.4f}, {result}"
    stop = "" if summary["stop_reason"] == "epochs" else f" ({summary['stop_reason']})"
    print(
        f"{result}; {summary['epochs']} epochs{stop} in {summary['wall_time']:.1f} s; "
        f"run in {summary['run_dir']}"
    )
    return 0


def _interruptible(train, args):
    """``train()``, or the exit status of a stop by signal or a divergence, with a message."""
    from ..train import DivergenceError
    from .runs import Interrupted

    try:
        return train()
    except Interrupted as stop:
        command = [*shlex.split(args.prog), "train", "--resume", str(stop.run_dir)]
        print(
            f"jaxmlp: stopped by {SIGNAL_NAMES.get(stop.signal, stop.signal)} after "
            f"epoch {stop.epoch} of {stop.epochs}; checkpoint saved in {stop.run_dir}\n"
            f"resume with: {shlex.join(command)}",
            file=sys.stderr,
        )
        return 128 + stop.signal
    except DivergenceError as error:
        print(
            f"jaxmlp: error: {error}",
            file=sys.stderr,
        )
        return 1


@contextlib.contextmanager
def _stop_on_signals():
    """Yields ``stop_requested() -> signal number or 0``, set by the first SIGINT or SIGTERM.

    Training then stops after the current epoch and saves a checkpoint; a second signal
    aborts at once (``KeyboardInterrupt``), leaving the last checkpoint as it was.
    """
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
    """What a run shows: a start line, then a tqdm bar on a terminal, else one line per epoch.

    ``--quiet`` shows nothing; the result line is printed by the command.
    """

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
            try:
                from tqdm import tqdm
            except ImportError:  # tqdm comes with the experiments extra
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


def _use_dtype(dtype: str) -> None:
    if dtype == "float64":
        import jax

        jax.config.update("jax_enable_x64", True)


# evaluate, predict


def _evaluate(args) -> int:
    from . import trained

    _use_run_dtype(args.run_dir)
    result = trained.evaluate_run(args.run_dir, data=args.data, split=args.split)
    if args.json:
        print(json.dumps(result))
        return 0
    accuracy = result["accuracy"]
    accuracy = f"accuracy {accuracy:.4f}, " if accuracy == accuracy else ""
    print(
        f"{result['split']} split of {result['data']}: {accuracy}loss {result['loss']:.4f} "
        f"({result['n']} examples)"
    )
    return 0


def _predict(args) -> int:
    from . import trained

    _use_run_dtype(args.run_dir)
    result = trained.predict_run(args.run_dir, args.out, data=args.data, split=args.split)
    if args.out != "-":
        print(f"{result['n']} predictions ({result['split']} of {result['data']}) in {args.out}")
    return 0


def _use_run_dtype(run_dir: str) -> None:
    from . import runs as run

    _use_dtype(run.config_from_metadata(run.read_metadata(run_dir), Path(run_dir)).dtype)


# gradcheck


def _gradcheck(args) -> int:
    values = {**GRADCHECK_DEFAULTS, **given_values(args)}
    if any(isinstance(size, str) for size in values["sizes"]):
        raise UsageError(
            f"gradcheck has no data to take d or c from: give --sizes as integers, e.g. 5,7,3 "
            f"(got {','.join(map(str, values['sizes']))})"
        )
    if args.examples < 1:
        raise UsageError(f"--examples must be a positive integer, got {args.examples}")
    config = check_config(TrainConfig(**values))
    _use_dtype(config.dtype)

    import jax
    import jax.numpy as jnp

    from ..gradcheck import TOLERANCES, failures, format_table, gradient_check
    from ..losses import one_hot
    from ..mlp import MLP
    from ..params import init_params

    dtype = jnp.float64 if config.dtype == "float64" else jnp.float32
    mlp = MLP(config.sizes, config.hidden, config.output)
    key_params, key_X, key_y, key_check = jax.random.split(jax.random.key(config.seed), 4)
    params = init_params(key_params, mlp, config.init, dtype)
    X = jax.random.normal(key_X, (args.examples, mlp.n_inputs), dtype)
    c = mlp.n_outputs
    labels = jax.random.randint(key_y, (args.examples,), 0, max(c, 2))
    T = labels[:, None].astype(dtype) if c == 1 else one_hot(labels, c, dtype)
    rows = gradient_check(mlp, params, X, T, config.loss, config.l2, key=key_check)
    print(
        f"{','.join(map(str, mlp.sizes))} {config.hidden}/{config.output}, loss {config.loss}, "
        f"{args.examples} random examples, {config.dtype}"
    )
    print(format_table(rows))
    failed = failures(rows, dtype)
    for line in failed:
        print(f"jaxmlp: {line}", file=sys.stderr)
    if failed:
        return 1
    autodiff, numeric = TOLERANCES[config.dtype]
    print(
        "backprop matches autodiff and finite differences: largest relative differences "
        f"{max(row.relative_error for row in rows):.1e} <= {autodiff:.0e} and "
        f"{max(row.numeric_relative_error for row in rows):.1e} <= {numeric:.0e}"
    )
    return 0


# Errors


def _report(error: BaseException) -> int:
    """Prints ``error`` as one line, ``jaxmlp: error: ...``; returns the exit status 2."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    message = "; ".join(lines) or type(error).__name__
    if isinstance(error, OSError) and error.filename and str(error.filename) not in message:
        message = f"{error.filename}: {message}"
    print(f"jaxmlp: error: {message}", file=sys.stderr)
    return EXIT_ERROR


def _unknown_arguments(parser: argparse.ArgumentParser, extras: list[str]) -> str:
    options = [option for action in parser._actions for option in action.option_strings]
    unknown = next((arg for arg in extras if arg.startswith("-")), extras[0])
    name = unknown.split("=")[0]
    field = config_module.closest_field(name)
    close = [config_module.flag(field)] if field and config_module.flag(field) in options else []
    close = close or difflib.get_close_matches(name.replace("_", "-"), options, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]}?" if close else f" (see {parser.prog} --help)"
    if not unknown.startswith("-"):
        return f"unexpected argument {unknown!r}{hint}"
    return f"unknown option {unknown}{hint}"
