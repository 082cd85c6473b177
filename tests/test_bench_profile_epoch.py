"""experiments/bench/profile_epoch.py: a traced epoch's operations, by time, one event a step."""

from experiments.bench import profile_epoch


def test_the_profile_lists_the_programs_operations_once_a_step(capsys):
    rows = profile_epoch.main("lecture", n=300, epochs=2, top=50)
    names = [name for name, _, _ in rows]
    assert names and not [n for n in names if n.startswith(profile_epoch.HOST_EVENTS)]
    # 300 examples in batches of 128: 3 steps an epoch, each running the step's operations.
    assert any(calls == 3 for _, _, calls in rows), rows
    assert all(ms >= 0 for _, ms, _ in rows)
    assert "| operation | ms per epoch | calls per epoch |" in capsys.readouterr().out
