"""What every benchmark records: the machine and versions it ran on, and its own section of
``BENCHMARKS.md`` between two markers, with its numbers in ``<results>/metrics.json``."""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
from pathlib import Path
from typing import Any

import jax

from jaxmlp.io.atomic import atomic_write_text

VECTOR_FLAGS = (("avx512f", "AVX-512"), ("avx2", "AVX2"), ("avx", "AVX"), ("asimd", "NEON"))
PACKAGES = ("jax", "jaxlib", "torch", "keras", "scikit-learn", "numpy", "optax")


def machine() -> dict:
    """The CPU (with its widest vector instructions: machines named alike differ there),
    cores, JAX's backend and device, and Python."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            info = f.read().splitlines()
        cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
        flags = next(line.split(":", 1)[1].split() for line in info if line.startswith("flags"))
        vector = next((name for flag, name in VECTOR_FLAGS if flag in flags), None)
        cpu = f"{cpu} ({vector})" if vector else cpu
    except (OSError, StopIteration):
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "jax_backend": jax.default_backend(),
        "jax_device": jax.devices()[0].device_kind,
        "python": platform.python_version(),
    }


def versions(packages: tuple[str, ...] = PACKAGES) -> dict:
    """Each package's installed version, or ``"not installed"``."""
    found = {}
    for package in packages:
        try:
            found[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found


def section_markers(name: str) -> tuple[str, str]:
    """The HTML comments that delimit the section ``name`` of a markdown file."""
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def write_section(path: Path, name: str, section: str) -> None:
    """Puts ``section`` between the markers of ``name`` in ``path``, the rest untouched.

    A file without the markers gets the section appended; a file with only one of them, or
    with them out of order, is an error rather than a guess.
    """
    start_marker, end_marker = section_markers(name)
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    start, end = text.find(start_marker), text.find(end_marker)
    block = f"{start_marker}\n{section}{end_marker}"
    if start < 0 and end < 0:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    elif 0 <= start < end:
        text = text[:start] + block + text[end + len(end_marker) :]
    else:
        raise ValueError(
            f"{path} has {start_marker!r} at {start} and {end_marker!r} at {end}; expected both "
            "in that order, or neither. Fix the markers by hand, then run again."
        )
    atomic_write_text(path, text)


def publish(name: str, section: str, metrics: dict[str, Any], out, results) -> None:
    """A benchmark's output: prints ``section``, puts it between the ``name`` markers of
    ``out`` and writes ``metrics`` to ``<results>/metrics.json``."""
    print(section)
    write_section(Path(out), name, section)
    results = Path(results)
    results.mkdir(parents=True, exist_ok=True)
    atomic_write_text(results / "metrics.json", json.dumps(metrics, indent=2) + "\n")
