"""Smoke test of experiments/bench/cold_start.py: one round writes every row and target."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from experiments.bench.cold_start import COMMANDS, commands

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.heavy
def test_one_round_times_every_process_cold_and_warm(tmp_path):
    out, results = tmp_path / "BENCHMARKS.md", tmp_path / "results"
    completed = subprocess.run(
        [sys.executable, "-m", "experiments.bench.cold_start", "--repeats", "1", "--quick"]
        + ["--out", str(out), "--results", str(results)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stderr
    for name in COMMANDS:
        (row,) = [line for line in out.read_text().splitlines() if line.startswith(f"| `{name}` |")]
        first, warm = (float(cell) for cell in row.strip("|").split("|")[1:3])
        assert first > 0 and warm > 0
    assert out.read_text().count("| yes |") + out.read_text().count("| no |") == 4
    rows = json.loads((results / "metrics.json").read_text())["rows"]
    assert set(rows) == set(COMMANDS)


def test_quick_shortens_the_grid_searches_fits_and_nothing_else():
    quick, full = commands(quick=True), commands()
    assert list(quick) == list(full) == list(COMMANDS)
    for name, command in full.items():
        if name.startswith("GridSearchCV"):
            assert "max_iter=20" in quick[name][-1] and "max_iter=" not in command[-1]
        else:
            assert quick[name] == command
