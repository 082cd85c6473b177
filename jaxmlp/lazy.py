"""Package attributes imported on first use (PEP 562): ``import jaxmlp`` imports no JAX, so
that the command line answers ``--help`` or a bad flag without it."""

from __future__ import annotations

import importlib
import sys
import types


def lazy_attributes(package: str, attributes: dict[str, str], modules: dict[str, str]):
    """``(__getattr__, __dir__)`` for the package named ``package``, which is set up so that a
    submodule cannot hide an attribute of its name.

    Args:
      package: the package's ``__name__``.
      attributes: name -> the module (relative to ``package``) that defines it, by that name.
      modules: name -> the module (relative to ``package``) that is itself the attribute.
    """
    namespace = vars(sys.modules[package])

    def __getattr__(name: str):
        if name in modules:
            value = importlib.import_module(modules[name], package)
        elif name in attributes:
            value = getattr(importlib.import_module(attributes[name], package), name)
        else:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        namespace[name] = value  # found once: later lookups skip __getattr__
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *attributes, *modules})

    class Package(types.ModuleType):
        def __setattr__(self, name: str, value) -> None:
            # Importing a submodule sets it as its package's attribute: ``import jaxmlp.predict``
            # would replace the function ``jaxmlp.predict`` by the module.
            if name in attributes and isinstance(value, types.ModuleType):
                value = __getattr__(name)
            super().__setattr__(name, value)

    sys.modules[package].__class__ = Package
    return __getattr__, __dir__
