"""``python -m jaxmlp``: the ``jaxmlp`` command line."""

import sys

from .app.cli import main

sys.exit(main(prog="python -m jaxmlp"))
