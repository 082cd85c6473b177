"""The throughput benchmark's implementations at tiny size, and its one timing rule.

PyTorch and Keras are optional (the ``bench`` extra): their tests are skipped without them.
"""

import contextlib
import dataclasses
import sys
import time

import jax
import numpy as np
import pytest

import jaxmlp
from experiments.bench import peers, runners
from experiments.bench.workloads import N_CLASSES, Workload, synthetic_data

# Both kinds of model the benchmark trains, tiny: the lecture's (sigmoid, MSE, SGD) and the
# modern one (relu, softmax cross-entropy, Adam); 200 examples leave a smaller last batch and
# hold every class (scikit-learn's warm start checks that y has the classes it started with).
SIGMOID = Workload("tiny-sigmoid", (12, 8, N_CLASSES), "sigmoid", "sigmoid", "mse", "sgd", 0.5, 32)
RELU = Workload(
    "tiny-relu", (12, 8, 8, N_CLASSES), "relu", "softmax", "cross_entropy", "adam", 1e-2, 32, True
)
N = 200
SEED = 0


def problem(workload):
    X, y = synthetic_data(N, workload.sizes[0], SEED)
    mlp = jaxmlp.MLP(workload.sizes, workload.hidden, workload.output)
    return mlp, jaxmlp.init_params(jax.random.key(SEED), mlp), X, y


def loss_of(workload, params):
    mlp, _, X, y = problem(workload)
    return float(jaxmlp.objective(mlp, params, X, jaxmlp.one_hot(y, N_CLASSES), workload.loss))


def make(kind, workload):
    _, params, X, y = problem(workload)
    if kind in ("torch", "torch-compile"):
        pytest.importorskip("torch", reason="torch is optional: pip install '.[bench]'")
        return runners.TorchRunner(
            workload, params, X, y, SEED, None, compile=kind == "torch-compile"
        )
    if kind in ("keras", "keras-tuned"):
        try:
            runners.import_keras()  # chooses the JAX backend before Keras's first import
        except runners.Unavailable as reason:
            pytest.skip(f"keras is optional: {reason}")
        if kind == "keras":
            return runners.KerasRunner(workload, params, X, y, SEED, steps_per_execution=1)
        return runners.KerasTunedRunner(workload, params, X, y, SEED, (1, 2))
    if kind == "sklearn":
        return runners.SklearnRunner(workload, params, X, y, SEED)
    if kind == "jax":
        return runners.PlainJaxRunner(workload, params, X, y, SEED)
    return runners.JaxmlpRunner(workload, params, X, y, SEED, "autodiff")


def trained_params(runner, epochs):
    runner.reset()
    runner.train(epochs)
    return runner.params()


PEERS = ("jax", "torch", "torch-compile", "keras", "keras-tuned", "sklearn")


def broadcasting(kind):
    """Keras's layers add their bias by implicit rank promotion, which conftest makes an error."""
    if kind.startswith("keras"):
        return jax.numpy_rank_promotion("allow")
    return contextlib.nullcontext()


@pytest.mark.heavy
@pytest.mark.parametrize("workload", [SIGMOID, RELU], ids=lambda w: w.name)
@pytest.mark.parametrize("kind", PEERS)
def test_each_peer_trains_the_problem_jaxmlp_trains(kind, workload):
    if kind == "sklearn" and not workload.sklearn:
        pytest.skip("scikit-learn has no sigmoid-output MSE classifier")
    runner = make(kind, workload)
    with broadcasting(kind):
        runner.warm_up(3)
        params = trained_params(runner, 3)
        again = trained_params(runner, 3)
    reference = trained_params(make("jaxmlp", workload), 3)

    _, initial, _, _ = problem(workload)
    assert [{k: np.shape(v) for k, v in layer.items()} for layer in params] == [
        {k: np.shape(v) for k, v in layer.items()} for layer in initial
    ]
    # It trained: the loss moved from the initial one, as far as jaxmlp's did, to the same place.
    start, ours, theirs = (
        loss_of(workload, initial),
        loss_of(workload, reference),
        loss_of(workload, params),
    )
    assert abs(theirs - start) > 0.2 * abs(ours - start), (start, ours, theirs)
    assert theirs == pytest.approx(ours, rel=0.05)
    # Every call starts from the initial params with a fresh optimizer state and the same
    # shuffles: a second call trains exactly as the first.
    for layer, layer_again in zip(params, again):
        np.testing.assert_allclose(layer["W"], layer_again["W"], rtol=1e-5, atol=1e-6)


@pytest.mark.heavy
def test_keras_tuned_picks_one_of_its_candidates_and_says_which():
    runner = make("keras-tuned", SIGMOID)
    with broadcasting("keras"):
        assert runner.warm_up(2) > 0
    assert set(runner.tuning) == {1, 2}
    chosen = runner.chosen.steps_per_execution
    assert runner.tuning[chosen] == min(runner.tuning.values())
    assert runner.note == f"{chosen}: the fastest of 1, 2"


def test_missing_torch_is_a_reason_not_a_crash(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch raises ImportError
    _, params, X, y = problem(SIGMOID)
    with pytest.raises(runners.Unavailable, match=r"torch is not installed \(pip install"):
        runners.TorchRunner(SIGMOID, params, X, y, SEED, None, compile=False)


def test_torch_compile_without_a_cpp_compiler_says_so(monkeypatch):
    torch = pytest.importorskip("torch", reason="torch is optional: pip install '.[bench]'")
    if torch.cuda.is_available():
        pytest.skip("on a GPU inductor compiles with Triton")
    monkeypatch.delenv("CXX", raising=False)
    monkeypatch.setattr(runners.shutil, "which", lambda name: None)
    _, params, X, y = problem(SIGMOID)
    with pytest.raises(runners.Unavailable, match=r"no compiler .*apt-get install g\+\+"):
        runners.TorchRunner(SIGMOID, params, X, y, SEED, None, compile=True)
    # Eager PyTorch needs no compiler.
    runners.TorchRunner(SIGMOID, params, X, y, SEED, None, compile=False)


def test_missing_keras_is_a_reason_not_a_crash(monkeypatch):
    monkeypatch.setitem(sys.modules, "keras", None)
    _, params, X, y = problem(SIGMOID)
    with pytest.raises(runners.Unavailable, match=r"keras is not installed \(pip install"):
        runners.KerasRunner(SIGMOID, params, X, y, SEED)


class NoPeak:
    """Stands in for the matmul peak: these tests time tiny models, not the machine."""

    gflops = 1.0

    def sample(self):
        pass


ALL_BUT = {
    key: tuple(k for k in peers.IMPLEMENTATIONS if k not in ("jaxmlp", key))
    for key in peers.IMPLEMENTATIONS
}


def run(workload, skip, **config):
    config = peers.Config(n=N, repeats=config.pop("repeats", 1), skip=skip, **config)
    return config, peers.run_workload(workload, config, NoPeak())


@pytest.mark.heavy
def test_jaxmlp_is_timed_around_its_public_fit_and_a_call_cost_drops_out(monkeypatch):
    # fit's host-side work outside its compiled epochs must count (history.time leaves it out):
    # here 0.1 s per epoch, a fixed 0.3 s per call, and 0.5 s more on the first call.
    real_fit, calls = jaxmlp.fit, []

    def slow_fit(*args, epochs, **kwargs):
        time.sleep(0.1 * epochs + 0.3 + (0.5 if not calls else 0.0))
        calls.append(epochs)
        return real_fit(*args, epochs=epochs, **kwargs)

    monkeypatch.setattr(jaxmlp, "fit", slow_fit)
    config, result = run(SIGMOID, ALL_BUT["jaxmlp"], repeats=2)
    k = SIGMOID.epochs_per_sample
    assert calls == [1, 1 + k] * 3  # the warm-up round, then two timed rounds
    row = peers.summarize(result, config, peak=1.0)["rows"][peers.JAXMLP_AUTODIFF]
    assert 0.07 <= row["epoch_s"] < 0.2, row  # history.time: a few milliseconds
    assert 0.25 <= row["per_call_s"] < 0.5, row
    assert row["warm_up_s"] >= 0.45, row  # and the compilation, however long it took


def test_a_peer_far_from_jaxmlps_loss_is_flagged(monkeypatch):
    class Untrained(runners.PlainJaxRunner):
        def params(self):  # as if it had trained another problem
            return jax.tree.map(lambda a: 10 * np.asarray(a), self.initial)

    monkeypatch.setattr(runners, "PlainJaxRunner", Untrained)
    config, result = run(SIGMOID, ALL_BUT["jax"])
    rows = peers.summarize(result, config, peak=1.0)["rows"]
    assert rows[peers.JAXMLP_AUTODIFF]["same_problem"]
    assert not rows[peers.PLAIN_JAX]["same_problem"]
    metrics = metrics_of(config, {SIGMOID.name: {"workload": result["workload"], "rows": rows}})
    text = peers.markdown(metrics, "python -m experiments.bench.peers")
    (row,) = [
        line for line in text.splitlines() if line.startswith("| ") and peers.PLAIN_JAX in line
    ]
    assert "⚠" in row
    assert f"⚠ {SIGMOID.name}: {peers.PLAIN_JAX}'s final loss" in text
    assert "not training the same problem" in text


def test_a_peer_that_cannot_run_or_fails_is_a_row_with_the_reason(monkeypatch):
    def unavailable(*args, **kwargs):
        raise runners.Unavailable("no such toolchain here")

    class Failing(runners.PlainJaxRunner):
        def warm_up(self, epochs):
            raise RuntimeError("out of luck\nsecond line")

    monkeypatch.setattr(runners, "TorchRunner", unavailable)
    monkeypatch.setattr(runners, "PlainJaxRunner", Failing)
    skip = tuple(k for k in ALL_BUT["jax"] if k not in ("torch", "torch-compile"))
    config, result = run(SIGMOID, skip)
    rows = peers.summarize(result, config, peak=1.0)["rows"]
    assert rows[peers.TORCH] == {"skipped": "cannot run: no such toolchain here"}
    assert rows[peers.TORCH_COMPILE] == {"skipped": "cannot run: no such toolchain here"}
    assert rows[peers.PLAIN_JAX] == {"skipped": "failed: RuntimeError: out of luck"}
    assert rows[peers.KERAS] == {"skipped": "not run (--skip)"}
    metrics = metrics_of(config, {SIGMOID.name: {"workload": result["workload"], "rows": rows}})
    text = peers.markdown(metrics, "python -m experiments.bench.peers")
    for name in peers.IMPLEMENTATIONS.values():
        rows = [
            line for line in text.splitlines() if f"| {name} |" in line or f"| {name} (" in line
        ]
        assert len(rows) == 1, name


def metrics_of(config, workloads):
    return {
        "config": dataclasses.asdict(config),
        "date": "today",
        "machine": {
            "cpu": "cpu",
            "cores": 2,
            "jax_backend": "cpu",
            "jax_device": "cpu",
            "python": "3",
            "float32_matmuls": "full float32 (CPU)",
        },
        "versions": {"jax": "0"},
        "load_average": [0.0, 0.0],
        "torch_threads": None,
        "peak_gflops": 1.0,
        "peak_samples_gflops": [1.0],
        "workloads": workloads,
        "targets": peers.check_targets(workloads),
    }


def test_matmuls_alone_computes_each_steps_products_and_update_on_the_permuted_batches():
    from jaxmlp.training.shuffle import permutation

    _, params, X, y = problem(RELU)
    runner = runners.MatmulsAloneRunner(RELU, params, X, y, SEED)
    runner.reset()
    runner.train(1)
    assert runner.params() is None and runner.no_model
    # The same epoch in NumPy: forward products, weight and input gradients, W -= lr dW.
    B, lr = RELU.batch_size, runner.LEARNING_RATE
    rows = np.asarray(permutation(jax.random.split(jax.random.key(SEED), 1)[0], N))
    rows = np.concatenate([rows, np.zeros(-N % B, rows.dtype)]).reshape(-1, B)
    Ws = [np.asarray(layer["W"], np.float64) for layer in params]
    for batch in rows:
        H = [X[batch].astype(np.float64)]
        for W in Ws:
            H.append(H[-1] @ W)
        G, new = H[-1], list(Ws)
        for l in reversed(range(len(Ws))):
            new[l] = Ws[l] - lr * H[l].T @ G
            G = G @ Ws[l].T
        Ws = new
    for got, want, start in zip(runner.trained, Ws, params):
        assert not np.allclose(want, start["W"], rtol=0, atol=1e-9)  # the update moved them
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-4, atol=1e-7)


def ceiling_metrics(torch_epochs, alone_epochs):
    """The rows ``_ceilings`` reads for the lecture workload: jaxmlp, PyTorch, matmuls alone."""
    jaxmlp_epochs = [0.4, 0.4, 0.4]

    def speedup(epochs):  # as summarize: the median of the rounds' ratios to jaxmlp's epoch
        return float(np.median([t / r for t, r in zip(epochs, jaxmlp_epochs)]))

    rows = {
        peers.JAXMLP_AUTODIFF: {"epoch_s": 0.4, "epoch_times_s": jaxmlp_epochs,
                                "fraction_of_peak": 0.7, "jaxmlp_speedup": 1.0},
        peers.TORCH: {"epoch_s": float(np.median(torch_epochs)), "epoch_times_s": torch_epochs,
                      "fraction_of_peak": 0.4, "jaxmlp_speedup": speedup(torch_epochs)},
        peers.MATMULS_ALONE: {"epoch_s": float(np.median(alone_epochs)),
                              "epoch_times_s": alone_epochs, "fraction_of_peak": 0.0,
                              "jaxmlp_speedup": speedup(alone_epochs)},
    }  # fmt: skip
    return {"workloads": {"lecture": {"rows": rows}}}


def ceilings(torch_epochs, alone_epochs):
    return "\n".join(peers._ceilings(ceiling_metrics(torch_epochs, alone_epochs)))


def test_ceilings_judge_a_target_by_the_matmuls_alone_both_ways():
    # PyTorch 0.7 s: at 40% of the peak, 2.5× is the peak's ceiling either way; the matmuls
    # alone decide: 0.3 s is 2.33× faster than PyTorch (2× within reach), 0.38 s only 1.84×.
    within, out = ceilings([0.7] * 3, [0.3] * 3), ceilings([0.7] * 3, [0.38] * 3)
    assert "the matmuls alone are 2.33× faster than it: the 2× target is within reach" in within
    assert "the matmuls alone are 1.84× faster than it: the 2× target is out of reach" in out
    # jaxmlp at 70% of the peak, its epoch 0.4 s: matmuls of 0.3 s reach 93%, of 0.38 s 74%.
    assert "the matmuls alone run at 93% of the matmul peak: the 85% target is within" in within
    assert "the matmuls alone run at 74% of the matmul peak: the 85% target is out of" in out
    # A ratio is the median of the rounds' ratios, not a ratio of medians.
    rounds = ceilings([0.6, 0.7, 0.9], [0.2, 0.5, 0.3])
    assert "the matmuls alone are 3× faster than it" in rounds  # rounds 3, 1.4, 3; medians 2.33
    # Matmuls alone no faster than jaxmlp (a noisy run): they bound nothing.
    slower = ceilings([0.7] * 3, [0.45] * 3)
    assert "the matmuls alone were no faster than jaxmlp in this run" in slower
    assert "85% target is out of reach" not in slower
    assert "at most 2.5× faster: the 2× target is within reach" in slower  # the peak's ceiling


def test_the_matmuls_alone_row_is_timed_by_the_rule_and_shows_no_loss():
    config, result = run(SIGMOID, ALL_BUT["matmuls"], repeats=2)
    rows = peers.summarize(result, config, peak=1.0)["rows"]
    alone = rows[peers.MATMULS_ALONE]
    assert alone["final_loss"] is None and alone["same_problem"]
    assert len(alone["epoch_times_s"]) == 2  # tiny: the epoch itself is noise here
    metrics = metrics_of(config, {SIGMOID.name: {"workload": result["workload"], "rows": rows}})
    text = peers.markdown(metrics, "python -m experiments.bench.peers")
    (line,) = [x for x in text.splitlines() if f"| {peers.MATMULS_ALONE} |" in x]
    assert line.rstrip().endswith("| n/a |") and "⚠" not in line
