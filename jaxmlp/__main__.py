"""``python -m jaxmlp``: the ``jaxmlp`` command line."""

import sys

from .cli import main

sys.exit(main(prog="python -m jaxmlp"))
