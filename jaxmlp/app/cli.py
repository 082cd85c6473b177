"""The ``jaxmlp`` command line: ``train``, ``evaluate``, ``predict`` and ``gradcheck``.

A thin layer over ``runs``, ``trained`` and ``gradcheck``: flags made from ``TrainConfig``,
progress, Ctrl-C and SIGTERM turned into a checkpoint and a resume command, and every bad input
into one line, ``jaxmlp: error: ...``.

Exit status: 0 done; 1 training diverged or a gradient check failed; 2 bad input (flags,
config file, data, run directory, checkpoint) or a file that cannot be written (a full disk);
130 or 143 stopped by SIGINT or SIGTERM (128 + the signal number) after saving a checkpoint.

``--dtype float64`` enables 64-bit JAX (``jax_enable_x64``) for the process; ``gradcheck`` runs
in float64 by default.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import functools
import json
import shlex
import signal
import sys
from pathlib import Path

from ..data.catalog import SPECS
from ..names import SPLITS
from . import flags
from .config import TrainConfig, check_config, flag
from .config_file import closest_field, read_config_file
from .progress import SIGNAL_NAMES, Progress, stop_on_signals

# JAX and the modules on it are imported by the command handlers, once the command line is
# checked: ``--help`` and a bad flag or value answer without them (``tests/test_cold_start.py``).

EXIT_ERROR = 2
GRADCHECK_DEFAULTS = {"sizes": (5, 7, 3), "dtype": "float64"}
# Where gradcheck uses a field otherwise than training: it has no data, only random examples.
GRADCHECK_HELP = {
    "sizes": "layer widths d,h_1,...,c, as integers",
    "seed": "one seed for the random examples and the initial weights",
}
EVALUATE = "the loss and accuracy of a trained run on a split of the data"
PREDICT = "a trained run's predictions, as CSV with the original labels"


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

    def command(name: str, handler, help: str, **kwargs) -> Parser:
        subparser = commands.add_parser(name, help=help, **kwargs)
        subparser.set_defaults(handler=handler, parser=subparser)
        return subparser

    specs = "\n".join(f"  {spec:<15} {what}" for spec, what in SPECS.items())
    train = command(
        "train",
        train_command,
        "train an MLP, or resume a run",
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

    for name, handler, split, description in (
        ("evaluate", evaluate_command, "test", EVALUATE),
        ("predict", predict_command, "all", PREDICT),
    ):
        use = command(name, handler, description, description=description)
        use.add_argument("--run-dir", required=True, metavar="DIR", help="the trained run")
        use.add_argument(
            "--data", metavar="SPEC", help="the data, loaded as in training (default: the run's)"
        )
        use.add_argument(
            "--split",
            choices=SPLITS,
            default=split,
            help="test: the held-out split; train: the training split; all: every example, in "
            f"the order of the data's files (default: {split})",
        )
        if name == "evaluate":
            use.add_argument(
                "--json", action="store_true", help="print the result as JSON (default: off)"
            )
        else:
            use.add_argument(
                "--out", required=True, metavar="FILE", help="the CSV file to write (- for stdout)"
            )

    check = command(
        "gradcheck",
        gradcheck_command,
        "hand-written backprop vs autodiff vs finite differences",
        description="Compare the hand-written gradients with jax.grad and central finite "
        "differences on random data, one row per parameter array.",
    )
    names = ("sizes", "hidden", "output", "loss", "l2", "seed", "init", "dtype")
    flags.add_arguments(check, names, defaults=GRADCHECK_DEFAULTS, helps=GRADCHECK_HELP)
    check.add_argument(
        "--examples", type=int, default=8, metavar="N", help="random examples (default: 8)"
    )
    return parser


def train_command(args) -> int:
    """``jaxmlp train``: a new run (``runs.train``), or ``--resume`` one (``runs.resume``)."""
    values = read_config_file(args.config) if args.config else {}
    values.update(flags.given_values(args))
    if args.resume:
        if args.overwrite:
            raise UsageError("--resume and --overwrite exclude each other; give one of them")
        if "run_dir" in values and Path(values["run_dir"]) != Path(args.resume):
            raise UsageError(f"--run-dir {values['run_dir']} differs from --resume {args.resume}")
        values.pop("run_dir", None)
        from . import runs, saved  # not imported for --help or a bad flag

        config = saved.saved_config(args.resume)
        start = functools.partial(runs.resume, args.resume, changes=values)
    else:
        config = check_config(TrainConfig(**values))
        from . import runs  # not imported for --help or a bad flag or value: checked above

        start = functools.partial(runs.train, config, overwrite=args.overwrite)
    from ..training import DivergenceError  # runs has imported it

    _use_dtype(config.dtype)
    progress = Progress(args.quiet)
    with contextlib.closing(progress), stop_on_signals() as stop_requested:
        try:
            summary = start(hooks=runs.Hooks(progress.start, progress.epoch, stop_requested))
        except runs.Interrupted as stop:
            command = [*shlex.split(args.prog), "train", "--resume", str(stop.run_dir)]
            print(
                f"jaxmlp: stopped by {SIGNAL_NAMES.get(stop.signal, stop.signal)} after "
                f"epoch {stop.epoch} of {stop.epochs}; checkpoint saved in {stop.run_dir}\n"
                f"resume with: {shlex.join(command)}",
                file=sys.stderr,
            )
            return 128 + stop.signal
        except DivergenceError as error:
            print(f"jaxmlp: error: {error}", file=sys.stderr)
            return 1
    result = _scores(summary["test_loss"], summary["test_accuracy"], "test ")
    stop = "" if summary["stop_reason"] == "epochs" else f" ({summary['stop_reason']})"
    print(
        f"{result}; {summary['epochs']} epochs{stop} in {summary['wall_time']:.1f} s; "
        f"run in {summary['run_dir']}"
    )
    return 0


def evaluate_command(args) -> int:
    """``jaxmlp evaluate``: ``trained.evaluate_run``, as a line or as JSON."""
    from . import saved, trained  # not imported for --help or a bad flag

    _use_dtype(saved.saved_config(args.run_dir).dtype)
    result = trained.evaluate_run(args.run_dir, data=args.data, split=args.split)
    if args.json:
        print(json.dumps(result))
        return 0
    scores = _scores(result["loss"], result["accuracy"])
    print(f"{result['split']} split of {result['data']}: {scores} ({result['n']} examples)")
    return 0


def predict_command(args) -> int:
    """``jaxmlp predict``: ``trained.predict_run`` into ``--out``."""
    from . import saved, trained  # not imported for --help or a bad flag

    _use_dtype(saved.saved_config(args.run_dir).dtype)
    result = trained.predict_run(args.run_dir, args.out, data=args.data, split=args.split)
    if args.out != "-":
        print(f"{result['n']} predictions ({result['split']} of {result['data']}) in {args.out}")
    return 0


def gradcheck_command(args) -> int:
    """``jaxmlp gradcheck``: ``gradient_check`` on random examples, as a table."""
    values = {**GRADCHECK_DEFAULTS, **flags.given_values(args)}
    if any(isinstance(size, str) for size in values["sizes"]):
        raise UsageError(
            f"gradcheck has no data to take d or c from: give --sizes as integers, e.g. 5,7,3 "
            f"(got {','.join(map(str, values['sizes']))})"
        )
    if args.examples < 1:
        raise UsageError(f"--examples must be a positive integer, got {args.examples}")
    config = check_config(TrainConfig(**values))
    from .. import gradcheck  # not imported for --help or a bad flag

    _use_dtype(config.dtype)
    rows = random_gradient_check(config, args.examples)
    print(
        f"{','.join(map(str, config.sizes))} {config.hidden}/{config.output}, loss "
        f"{config.loss}, {args.examples} random examples, {config.dtype}"
    )
    print(gradcheck.format_table(rows))
    failed = gradcheck.failures(rows, config.dtype)
    for line in failed:
        print(f"jaxmlp: {line}", file=sys.stderr)
    if failed:
        return 1
    autodiff, numeric = gradcheck.TOLERANCES[config.dtype]
    print(
        "backprop matches autodiff and finite differences: largest relative differences "
        f"{max(row.relative_error for row in rows):.1e} <= {autodiff:.0e} and "
        f"{max(row.numeric_relative_error for row in rows):.1e} <= {numeric:.0e}"
    )
    return 0


def random_gradient_check(config: TrainConfig, n: int) -> list:
    """``gradient_check``'s rows for the MLP of ``config`` on ``n`` random examples."""
    import jax  # not imported for --help or a bad flag
    import jax.numpy as jnp

    from .. import gradcheck
    from ..losses import one_hot
    from ..mlp import MLP
    from ..params import init_params

    dtype = jnp.dtype(config.dtype)
    mlp = MLP(config.sizes, config.hidden, config.output)
    key_params, key_X, key_y, key_check = jax.random.split(jax.random.key(config.seed), 4)
    params = init_params(key_params, mlp, config.init, dtype)
    X = jax.random.normal(key_X, (n, mlp.n_inputs), dtype)
    c = mlp.n_outputs
    labels = jax.random.randint(key_y, (n,), 0, max(c, 2))
    T = labels[:, None].astype(dtype) if c == 1 else one_hot(labels, c, dtype)
    return gradcheck.gradient_check(mlp, params, X, T, config.loss, config.l2, key=key_check)


def _scores(loss: float, accuracy: float | None, split: str = "") -> str:
    """``"test accuracy 0.9000, test loss 0.3000"``, without an accuracy (NaN) for real targets."""
    text = f"{split}loss {loss:.4f}"
    if accuracy is not None and accuracy == accuracy:  # not NaN: classes
        text = f"{split}accuracy {accuracy:.4f}, {text}"
    return text


def _use_dtype(dtype: str) -> None:
    if dtype == "float64":
        import jax  # not imported for --help or a bad flag

        jax.config.update("jax_enable_x64", True)


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
    field = closest_field(name)
    close = [flag(field)] if field and flag(field) in options else []
    close = close or difflib.get_close_matches(name.replace("_", "-"), options, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]}?" if close else f" (see {parser.prog} --help)"
    if not unknown.startswith("-"):
        return f"unexpected argument {unknown!r}{hint}"
    return f"unknown option {unknown}{hint}"
