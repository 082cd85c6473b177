"""experiments/common.py: the statistics every verdict rests on, fed numbers on both sides."""

import math

import numpy as np
import pytest

from experiments.common import (
    TARGET_VERDICTS,
    Claim,
    ClaimSpec,
    Interval,
    Target,
    accuracy_interval,
    interval,
    paired,
    rank_correlation,
    share_verdict,
    target_verdict,
    trend,
    trend_verdict,
)


def test_interval_is_the_student_t_interval():
    found = interval([1.0, 2.0, 3.0, 4.0, 5.0])
    # mean 3, sd 1.5811, t(0.975, 4) = 2.7764: half-width 1.9632
    assert found.mean == 3.0 and found.n == 5
    assert found.low == pytest.approx(3 - 1.9632, abs=1e-4)
    assert found.high == pytest.approx(3 + 1.9632, abs=1e-4)
    assert interval([2.0, 2.0, 2.0]) == Interval(2.0, 2.0, 2.0, 3)
    one = interval([0.7])
    assert (one.low, one.high) == (-math.inf, math.inf) and one.sign() == 0
    assert math.isnan(interval([1.0, float("nan")]).mean)
    with pytest.raises(ValueError, match="at least one seed"):
        interval([])


def test_accuracy_interval_stays_within_0_and_1():
    found = accuracy_interval([0.99, 1.0, 0.98])
    assert found.high == 1.0 and found.low < found.mean < 1.0


def test_sign_separates_differences_from_ties():
    assert interval([0.1, 0.12, 0.11, 0.13, 0.1]).sign() == 1
    assert interval([-0.1, -0.12, -0.11, -0.13, -0.1]).sign() == -1
    assert interval([0.1, -0.1, 0.05, -0.02, 0.0]).sign() == 0
    assert interval([1.0, float("nan")]).sign() == 0  # nan is never a difference


def test_paired_compares_seed_by_seed():
    # Seeds differ a lot, but b is always 0.01 above a: a paired difference, not a tie.
    a = np.array([0.50, 0.70, 0.90, 0.60, 0.80])
    assert paired(a + 0.01 + 1e-4 * np.arange(5), a).sign() == 1
    assert interval(a + 0.01).low < interval(a).high  # unpaired, the intervals overlap
    assert paired(a, a + 0.01 + 1e-4 * np.arange(5)).sign() == -1
    with pytest.raises(ValueError, match="one per seed"):
        paired([1.0, 2.0], [1.0])


def test_rank_correlation():
    assert rank_correlation([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert rank_correlation([1, 2, 3, 4], [40, 30, 20, 10]) == pytest.approx(-1.0)
    assert rank_correlation([1, 2, 3], [5, 5, 5]) == 0.0  # constant: no trend
    assert math.isnan(rank_correlation([1, 2, 3], [1, float("nan"), 3]))


def test_trend_verdict_has_three_outcomes():
    x = [1, 2, 4, 8, 16]
    rng = np.random.default_rng(0)
    falling = np.array([[5, 4, 3, 2, 1]] * 5) + rng.normal(0, 0.01, (5, 5))
    assert trend_verdict(trend(x, falling), -1) == "supported"
    assert trend_verdict(trend(x, falling), +1) == "not supported"  # the opposite trend
    # In the claimed direction in every seed, but far from monotone: rho = -0.3 each time.
    weak = np.array([[3, 5, 1, 4, 2]] * 5, float)
    assert trend(x, weak).mean == pytest.approx(-0.3)
    assert trend_verdict(trend(x, weak), -1) == "partly supported"
    # Seeds that disagree: no trend beyond the interval.
    noise = np.array([[1, 2, 3, 4, 5], [5, 4, 3, 2, 1], [2, 1, 4, 3, 5], [4, 5, 2, 1, 3], [3] * 5])
    assert trend(x, noise).sign() == 0
    assert trend_verdict(trend(x, noise), -1) == "not supported"
    assert trend(x, falling).low >= -1.0  # a correlation's interval stays in [-1, 1]
    with pytest.raises(ValueError, match="sign"):
        trend_verdict(trend(x, falling), 0)


def test_share_verdict():
    assert share_verdict(3, 3) == "supported"
    assert share_verdict(1, 3) == "partly supported"
    assert share_verdict(0, 3) == "not supported"
    assert share_verdict(0, 0) == "not supported"


def test_target_verdict_each_way():
    met, missed, straddles = (
        interval([0.91, 0.912, 0.908]),
        interval([0.85, 0.86, 0.855]),
        interval([0.89, 0.91, 0.90]),
    )
    assert target_verdict(met, 0.90) == "met"
    assert target_verdict(missed, 0.90) == "not met"
    assert target_verdict(straddles, 0.90) == TARGET_VERDICTS[2]
    # A time limit: lower is better.
    assert target_verdict(interval([3.0, 3.1, 2.9]), 5.0, higher=False) == "met"
    assert target_verdict(interval([7.0, 7.1, 6.9]), 5.0, higher=False) == "not met"


def test_claims_and_targets_take_only_their_verdicts():
    spec = ClaimSpec("claim", "measure", "rule")
    assert Claim(spec, "1.0", "supported", on="digits").claim == "claim (digits)"
    with pytest.raises(ValueError, match="verdict='maybe'"):
        Claim(spec, "1.0", "maybe")
    with pytest.raises(ValueError, match="verdict='supported'"):
        Target("t", "1.0", "supported")


def test_a_rebuilt_report_keeps_the_runs_size_time_and_load(tmp_path):
    import json

    from experiments.report import RUN, write_report

    (tmp_path / RUN).write_text(json.dumps({"quick": False, "elapsed": 690.0, "load": [3.5, 2.2]}))
    published = tmp_path / "RESULTS.md"
    text = write_report(tmp_path, publish=published).read_text()
    assert "experiment size: full (`make report`), 11.5 minutes in all." in text
    assert "Load average (1 minute) at the start and the end: 3.5 and 2.2" in text
    assert "| real_data | | not run | |" in text  # no metrics here: nothing is made up
    assert published.read_text() == text  # no figures to leave out
