"""Smoke test of experiments/bench/peers.py: a tiny run prints and writes every row of the table."""

import json
import re
import subprocess
import sys
from pathlib import Path

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

OTHER_SECTION = (
    "<!-- bench_backprop:start -->\nowned by another script\n<!-- bench_backprop:end -->"
)


def test_quick_benchmark_prints_and_writes_every_row(tmp_path):
    out = tmp_path / "BENCHMARKS.md"
    out.write_text(
        f"# Benchmarks\n\nIntro kept.\n\n{START_MARKER}\nold table\n{END_MARKER}\n\n{OTHER_SECTION}\n"
    )
    results = tmp_path / "results"
    completed = subprocess.run(
        [sys.executable, "-m", "experiments.bench.peers", "--quick"]
        + ["--workloads", *SMOKE_WORKLOADS, "--out", str(out), "--results", str(results)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stderr

    table_rows = [line for line in completed.stdout.splitlines() if line.startswith("| ")]
    for workload in SMOKE_WORKLOADS:
        for implementation in IMPLEMENTATIONS:
            rows = [
                r for r in table_rows if r.startswith(f"| {workload} (") and implementation in r
            ]
            assert len(rows) == 1, f"no single row for {workload} / {implementation}"
        # jaxmlp always runs: its row has a positive epoch time and samples/s.
        (row,) = [r for r in table_rows if r.startswith(f"| {workload} (") and JAXMLP_AUTODIFF in r]
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert float(cells[2]) > 0 and float(cells[3].replace(",", "")) > 0
    assert re.search(r"matmul peak .*: [0-9.]+ GFLOP/s", completed.stdout)
    assert "| target | measured | met |" in completed.stdout

    text = out.read_text()
    assert text.startswith("# Benchmarks\n\nIntro kept.\n\n")
    assert "old table" not in text
    assert text.count(START_MARKER) == 1 and text.count(END_MARKER) == 1
    assert OTHER_SECTION in text, "the section another script owns must be left alone"
    section = text[text.index(START_MARKER) : text.index(END_MARKER)]
    assert "Machine:" in section and "Versions:" in section and "jaxlib" in section
    assert section.count(JAXMLP_AUTODIFF) == len(SMOKE_WORKLOADS)

    metrics = json.loads((results / "metrics.json").read_text())
    assert set(metrics["workloads"]) == set(SMOKE_WORKLOADS) <= set(WORKLOADS)
    assert metrics["peak_gflops"] > 0
    assert not list(tmp_path.glob(".*.tmp")), "no temporary file is left behind"
