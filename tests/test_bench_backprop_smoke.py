"""Smoke test of experiments/bench/backprop.py: a tiny run writes its table and nothing else."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from experiments.bench.backprop import END_MARKER, SECTION, START_MARKER, WORKLOADS
from experiments.bench.record import write_section

ROOT = Path(__file__).resolve().parents[1]

OTHER_SECTION = "<!-- benchmark:start -->\nowned by another script\n<!-- benchmark:end -->"


@pytest.mark.heavy
def test_quick_bench_backprop_writes_its_table(tmp_path):
    out = tmp_path / "BENCHMARKS.md"
    out.write_text(
        f"# Benchmarks\n\nIntro kept.\n\n{OTHER_SECTION}\n\n{START_MARKER}\nold table\n{END_MARKER}\n\nOutro kept.\n"
    )
    results = tmp_path / "results"
    completed = subprocess.run(
        [sys.executable, "-m", "experiments.bench.backprop", "--quick"]
        + ["--out", str(out), "--results", str(results)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr

    text = out.read_text()
    assert text.startswith(f"# Benchmarks\n\nIntro kept.\n\n{OTHER_SECTION}\n\n{START_MARKER}\n")
    assert text.endswith(f"{END_MARKER}\n\nOutro kept.\n")
    assert "old table" not in text and text.count(START_MARKER) == 1
    section = text[text.index(START_MARKER) : text.index(END_MARKER)]
    assert section.removeprefix(f"{START_MARKER}\n") in completed.stdout  # printed too
    for label in ("Date:", "Machine:", "cores", "jax ", "jaxlib ", "backprop ÷ autodiff"):
        assert label in section, label

    metrics = json.loads((results / "metrics.json").read_text())
    assert set(metrics["workloads"]) == set(WORKLOADS)
    rows = [line for line in section.splitlines() if line.startswith("| ") and "---" not in line][
        1:
    ]
    assert [row.split("|")[1].strip() for row in rows] == list(WORKLOADS)
    for name, row in zip(WORKLOADS, rows):
        timing = metrics["workloads"][name]
        assert timing["backprop_s"] > 0 and timing["autodiff_s"] > 0
        assert timing["ratio"] == pytest.approx(timing["backprop_s"] / timing["autodiff_s"])
        assert row.rstrip(" |").endswith(f"{timing['ratio']:.2f}")
    assert not list(tmp_path.glob(".*.tmp")), "no temporary file is left behind"


def test_section_is_appended_to_a_new_or_unmarked_file(tmp_path):
    out = tmp_path / "BENCHMARKS.md"
    write_section(out, SECTION, "first\n")
    write_section(out, SECTION, "second\n")
    assert out.read_text() == f"# Benchmarks\n\n{START_MARKER}\nsecond\n{END_MARKER}\n"

    other = tmp_path / "OTHER.md"
    other.write_text("# Notes\n\nkept\n")
    write_section(other, SECTION, "table\n")
    assert other.read_text() == f"# Notes\n\nkept\n\n{START_MARKER}\ntable\n{END_MARKER}\n"


@pytest.mark.parametrize(
    "text",
    [f"{START_MARKER}\nno end\n", f"no start\n{END_MARKER}\n", f"{END_MARKER}\n{START_MARKER}\n"],
    ids=["no_end", "no_start", "reversed"],
)
def test_broken_markers_leave_the_file_alone(tmp_path, text):
    out = tmp_path / "BENCHMARKS.md"
    out.write_text(text)
    with pytest.raises(ValueError, match="expected both in that order, or neither"):
        write_section(out, SECTION, "table\n")
    assert out.read_text() == text
