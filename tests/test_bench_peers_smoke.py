"""Smoke test of experiments/bench/peers.py: a tiny run prints and writes every row of the table."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from experiments.bench.peers import (
    END_MARKER,
    IMPLEMENTATIONS,
    JAXMLP_AUTODIFF,
    START_MARKER,
    WORKLOADS,
)

ROOT = Path(__file__).resolve().parents[1]
# Every implementation runs on these two (scikit-learn matches only "modern"); the other
# workloads differ in sizes alone, and compiling them would double the test's time.
SMOKE_WORKLOADS = ("modern", "small")
# The slowest to warm up; tests/test_bench_runners.py runs them at tiny size.
SKIPPED = ("torch-compile", "keras-tuned")

OTHER_SECTION = (
    "<!-- bench_backprop:start -->\nowned by another script\n<!-- bench_backprop:end -->"
)


@pytest.mark.heavy
def test_quick_benchmark_prints_and_writes_every_row(tmp_path):
    out = tmp_path / "BENCHMARKS.md"
    out.write_text(
        f"# Benchmarks\n\nIntro kept.\n\n{START_MARKER}\nold table\n{END_MARKER}\n\n{OTHER_SECTION}\n"
    )
    results = tmp_path / "results"
    completed = subprocess.run(
        [sys.executable, "-m", "experiments.bench.peers", "--quick"]
        + ["--workloads", *SMOKE_WORKLOADS, "--skip", *SKIPPED]
        + ["--out", str(out), "--results", str(results)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert completed.returncode == 0, completed.stderr

    table_rows = [line for line in completed.stdout.splitlines() if line.startswith("| ")]
    header = "| workload | implementation | epoch (s) | samples/s | GFLOP/s | % of peak "
    assert header + "| jaxmlp speed-up | warm-up (s) | per call (s) | final loss |" in table_rows
    for workload in SMOKE_WORKLOADS:
        rows = {}
        for key, implementation in IMPLEMENTATIONS.items():
            found = [
                r
                for r in table_rows
                if r.startswith(f"| {workload} (")
                and (f"| {implementation} |" in r or f"| {implementation} (" in r)
            ]
            assert len(found) == 1, f"no single row for {workload} / {implementation}"
            rows[key] = [c.strip() for c in found[0].strip("|").split("|")]
        for key in SKIPPED:
            assert rows[key][2] == "not run (--skip)"
        # jaxmlp always runs: its row has every column, and its final loss is a loss.
        cells = rows["jaxmlp"]
        assert cells[6] == "1 (reference)" and len(cells) == 10
        for cell in cells[2:6] + cells[7:9]:
            float(cell.replace(",", "").rstrip("%"))
        assert 0 < float(cells[9]) < 10
        # A peer runs, or its row says why not; none is silently dropped.
        for key in ("torch", "keras", "jax"):
            assert rows[key][2].startswith("cannot run:") or len(rows[key]) == 10, rows[key]
    assert "Timing rule, the same for every implementation" in completed.stdout
    assert "(k = 2; small: k = 8)" in completed.stdout
    assert re.search(r"matmul peak .*: [0-9.]+ GFLOP/s", completed.stdout)
    assert "| target | measured | met |" in completed.stdout

    text = out.read_text()
    assert text.startswith("# Benchmarks\n\nIntro kept.\n\n")
    assert "old table" not in text
    assert text.count(START_MARKER) == 1 and text.count(END_MARKER) == 1
    assert OTHER_SECTION in text, "the section another script owns must be left alone"
    section = text[text.index(START_MARKER) : text.index(END_MARKER)]
    assert "Machine:" in section and "Versions:" in section and "jaxlib" in section
    assert section.count(f"| {JAXMLP_AUTODIFF} |") == len(SMOKE_WORKLOADS)

    metrics = json.loads((results / "metrics.json").read_text())
    assert set(metrics["workloads"]) == set(SMOKE_WORKLOADS) <= set(WORKLOADS)
    assert metrics["peak_gflops"] > 0
    for name in SMOKE_WORKLOADS:
        row = metrics["workloads"][name]["rows"][JAXMLP_AUTODIFF]
        k = WORKLOADS[name].epochs_per_sample
        assert len(row["call_1_epoch_s"]) == len(row[f"call_{1 + k}_epochs_s"]) == 1
        assert row["same_problem"] and row["loss_difference"] == 0
    assert not list(tmp_path.glob(".*.tmp")), "no temporary file is left behind"
