"""Smoke test of experiments/bench/sweep.py: a tiny run prints and writes every row of its table."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from experiments.bench.sweep import END_MARKER, FIT_MANY, IMPLEMENTATIONS, START_MARKER

ROOT = Path(__file__).resolve().parents[1]
OTHER_SECTION = "<!-- benchmark:start -->\nowned by another script\n<!-- benchmark:end -->"


@pytest.mark.heavy
def test_quick_sweep_benchmark_prints_and_writes_every_row(tmp_path):
    out = tmp_path / "BENCHMARKS.md"
    out.write_text(f"# Benchmarks\n\n{OTHER_SECTION}\n\n{START_MARKER}\nold table\n{END_MARKER}\n")
    results = tmp_path / "results"
    completed = subprocess.run(
        [sys.executable, "-m", "experiments.bench.sweep", "--quick"]
        + ["--out", str(out), "--results", str(results)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stderr

    rows = [line for line in completed.stdout.splitlines() if line.startswith("| ")]
    for implementation in IMPLEMENTATIONS:
        assert len([r for r in rows if r.startswith(f"| {implementation} |")]) == 1, implementation
    (row,) = [r for r in rows if r.startswith(f"| {FIT_MANY} |")]
    cells = [c.strip() for c in row.strip("|").split("|")]
    with_compile, without_compile, cpu = float(cells[1]), float(cells[2]), float(cells[4])
    assert with_compile >= without_compile > 0 and cpu > 0
    assert "| target | measured | met |" in completed.stdout
    assert "with compile" in completed.stdout and "without compile" in completed.stdout

    metrics = json.loads((results / "metrics.json").read_text())
    assert metrics["config"]["members"] == 4 and metrics["config"]["steps"] == 20
    for name, row in metrics["rows"].items():
        if "skipped" not in row:
            # Every implementation trained the same models from the same initial params.
            assert row["max_loss_difference"] < 1e-4, name

    text = out.read_text()
    assert OTHER_SECTION in text, "the section another script owns must be left alone"
    assert "old table" not in text and text.count(START_MARKER) == 1
    section = text[text.index(START_MARKER) : text.index(END_MARKER)]
    assert FIT_MANY in section and "Machine:" in section and "jaxlib" in section
    assert not list(tmp_path.glob(".*.tmp")), "no temporary file is left behind"
