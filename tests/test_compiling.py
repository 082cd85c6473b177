"""Tests of the program cache: one compilation per distinct program for the life of the
process, whatever calls it, a bounded number held, and never a program reused for another.

Compilations, resident memory and memory mappings are counted per process, so the loops run
in a fresh interpreter each (``run_script``): what other tests compiled cannot hide or add a
compilation. A program compiled on every call once cost 0.8 s, 5 MB and 121 mappings, and a
``partial_fit`` loop died near call 530 at the kernel's ``vm.max_map_count``.
"""

import functools
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import chex
import jax
import numpy as np
import optax
import pytest
from sklearn.datasets import make_moons

import jaxmlp
from jaxmlp import compiling

ROOT = Path(__file__).resolve().parent.parent
# Resident memory and mappings may move a little after warm-up (the allocator, a list that
# grows by one float per call); a program compiled per call adds about 5 MB and 121.
RSS_TOLERANCE_KB = 4096
MAPS_TOLERANCE = 8

PRELUDE = """
import json
import jax
import numpy as np

COMPILED = []
jax.monitoring.register_event_duration_secs_listener(
    lambda event, duration, **kwargs: COMPILED.append(event)
    if event == "/jax/core/compile/backend_compile_duration" else None
)


def usage():
    '''(programs compiled so far, resident kB, memory mappings) of this process.'''
    with open("/proc/self/status") as status:
        rss = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
    with open("/proc/self/maps") as maps:
        return len(COMPILED), rss, sum(1 for _ in maps)
"""


def run_script(code: str, timeout: int = 600) -> dict:
    """Runs ``PRELUDE + code`` in a fresh interpreter; returns the JSON its last line prints."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", PRELUDE + textwrap.dedent(code)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def check_steady(seen: dict, warm: str, middle: str, last: str, what: str) -> None:
    """Compilations fixed from call ``warm`` on; memory and mappings flat from ``middle`` on.

    ``seen[call]`` is ``usage()`` after that call."""
    compiled, rss, maps = zip(*(seen[k] for k in (warm, middle, last)))
    assert compiled[1] == compiled[0] and compiled[2] == compiled[0], (
        f"{what} compiled {compiled[1] - compiled[0]} programs between call {warm} and call "
        f"{middle}, {compiled[2] - compiled[1]} more by call {last}: {seen}"
    )
    assert rss[2] - rss[1] <= RSS_TOLERANCE_KB, f"{what}: resident memory grew, {seen}"
    assert maps[2] - maps[1] <= MAPS_TOLERANCE, f"{what}: memory mappings grew, {seen}"


@pytest.mark.heavy
def test_partial_fit_compiles_once_and_its_memory_stops_growing():
    seen = run_script("""
        from jaxmlp.sklearn import MLPClassifier

        rng = np.random.default_rng(0)
        X, y = rng.normal(size=(64, 5)).astype(np.float32), rng.integers(0, 3, 64)
        model = MLPClassifier((8,), batch_size=16, random_state=0)
        seen = {}
        for call in range(1, 2001):
            model.partial_fit(X, y, classes=[0, 1, 2])
            if call in (3, 20, 1000, 2000):
                seen[call] = usage()
                if call == 20 and seen[20][0] != seen[3][0]:
                    break  # a program per call: 2,000 calls would take half an hour
        print(json.dumps(seen))
    """)
    check_steady(seen, "3", "20", "20", "partial_fit")
    check_steady(seen, "3", "1000", "2000", "partial_fit")


@pytest.mark.heavy
def test_fit_and_fit_many_in_a_loop_compile_once_and_their_memory_stops_growing():
    seen = run_script("""
        import jaxmlp

        rng = np.random.default_rng(0)
        X, y = rng.normal(size=(48, 3)).astype(np.float32), rng.integers(0, 2, 48)
        mlp = jaxmlp.MLP((3, 6, 2), "tanh", "softmax")
        params = jaxmlp.init_params(jax.random.key(0), mlp)
        kwargs = dict(loss="cross_entropy", optimizer="adam", batch_size=16,
                      validation_fraction=0.25)
        seen, compile_times, state = {}, [], params
        for call in range(1, 601):
            key = jax.random.key(call)
            fitted, history = jaxmlp.fit(mlp, params, X, y, key=key, epochs=2, **kwargs)
            # One more epoch of a long run each call, as a hand-written partial_fit.
            _, continued = jaxmlp.fit(mlp, state, X, y, key=key, epochs=call, **kwargs)
            state = continued.state
            jaxmlp.predict(mlp, fitted, X[:20])
            jaxmlp.evaluate(mlp, fitted, X, y, "cross_entropy")
            compile_times += [history.compile_time, continued.compile_time]
            if call in (3, 20, 300, 600):
                seen[call] = usage()
                if call == 20 and seen[20][0] != seen[3][0]:
                    break
        seen["first_compile_time"] = compile_times[0]
        seen["later_compile_time"] = max(compile_times[4:])

        sweep = {}
        X1 = np.linspace(-1, 1, 24, dtype=np.float32)[:, None]
        mlp1 = jaxmlp.MLP((1, 8, 1), "tanh", "identity")
        for call in range(1, 301):
            result = jaxmlp.fit_many(mlp1, X1, X1**2, key=jax.random.key(call), seeds=[0, 1],
                                     learning_rates=[0.1, 0.2], widths=[4, 8], epochs=2)
            if call in (3, 20, 150, 300):
                sweep[call] = usage()
                if call == 20 and sweep[20][0] != sweep[3][0]:
                    break
        seen["sweep"] = sweep
        seen["sweep_later_compile_time"] = result.history.compile_time
        print(json.dumps(seen))
    """)
    check_steady(seen, "3", "20", "20", "fit")
    check_steady(seen, "3", "300", "600", "fit")
    assert seen["first_compile_time"] > 0
    assert seen["later_compile_time"] == 0.0, "a cached program took no time to compile"
    check_steady(seen["sweep"], "3", "20", "20", "fit_many")
    check_steady(seen["sweep"], "3", "150", "300", "fit_many")
    assert seen["sweep_later_compile_time"] == 0.0


@pytest.mark.heavy
def test_a_clone_and_grid_search_folds_compile_nothing_new():
    seen = run_script("""
        from sklearn.base import clone
        from sklearn.model_selection import GridSearchCV
        from jaxmlp.sklearn import MLPClassifier

        rng = np.random.default_rng(0)
        X, y = rng.normal(size=(80, 4)).astype(np.float32), np.repeat([0, 1], 40)
        model = MLPClassifier((8,), batch_size=16, max_iter=3, random_state=0)
        # The shapes of a 2-fold split: 40 rows to train on and 40 to score.
        model.fit(X[::2], y[::2]).score(X[1::2], y[1::2])
        seen = {"warm": usage()}
        clone(model).set_params(random_state=1).fit(X[1::2], y[1::2]).predict(X[::2])
        seen["clone"] = usage()
        grid = {"alpha": [1e-4, 1e-2], "learning_rate_init": [1e-3, 1e-2]}
        GridSearchCV(model, grid, cv=2, refit=False).fit(X, y)
        seen["grid"] = usage()
        print(json.dumps(seen))
    """)
    warm, after_clone, after_grid = seen["warm"][0], seen["clone"][0], seen["grid"][0]
    assert after_clone == warm, f"the clone compiled {after_clone - warm} programs"
    assert after_grid == warm, f"8 folds of one shape compiled {after_grid - warm} programs"


@pytest.mark.heavy
def test_the_cache_holds_a_bounded_number_of_programs():
    seen = run_script("""
        import jaxmlp
        from jaxmlp import compiling

        compiling.MAX_PROGRAMS = 4
        mlp = jaxmlp.MLP((2, 3, 2), "tanh", "softmax")
        params = jaxmlp.init_params(jax.random.key(0), mlp)
        rng = np.random.default_rng(0)
        seen, held = {}, []
        for n in range(20, 36):  # a sweep over data sizes: a program per size
            X, y = rng.normal(size=(n, 2)).astype(np.float32), rng.integers(0, 2, n)
            jaxmlp.fit(mlp, params, X, y, key=jax.random.key(1), loss="cross_entropy",
                       epochs=1)
            held.append(compiling.cached_programs())
            if n in (27, 35):
                seen[n] = usage()
        seen["held"] = max(held)
        print(json.dumps(seen))
    """)
    (compiled_27, _, maps_27), (compiled_35, _, maps_35) = seen["27"], seen["35"]
    assert compiled_35 - compiled_27 >= 8, "every new size compiles its block of epochs"
    # Each program held adds about 190 mappings here; the count moves by a dozen as programs
    # are compiled and dropped.
    assert maps_35 - maps_27 <= 50, f"mappings grew with the programs: {seen}"
    assert seen["held"] <= 4


def _moons():
    X, y = make_moons(61, noise=0.2, random_state=0)
    return X.astype(np.float32), y


MLP_SOFTMAX = jaxmlp.MLP((2, 6, 2), "tanh", "softmax")
SGD = optax.sgd(0.2)
# Pairs that differ in one thing the compiled program may or may not hold (the learning
# rate of a constant schedule is data, that of "invscaling" or "cosine" is in the program):
# each must train as it does alone, whichever ran before it.
NEIGHBOURS = {
    "lr-0.1": dict(optimizer="sgd", learning_rate=0.1),
    "lr-0.3": dict(optimizer="sgd", learning_rate=0.3),
    "l2": dict(optimizer="sgd", learning_rate=0.3, l2=1e-2),
    "l2-other": dict(optimizer="sgd", learning_rate=0.3, l2=3e-2),
    "backprop": dict(optimizer="sgd", learning_rate=0.3, grad="backprop"),
    "mse": dict(optimizer="sgd", learning_rate=0.3, loss="mse"),
    "invscaling-0.1": dict(optimizer="sgd", learning_rate=0.1, schedule="invscaling"),
    "invscaling-0.2": dict(optimizer="sgd", learning_rate=0.2, schedule="invscaling"),
    "cosine-3": dict(optimizer="adam", learning_rate=0.1, schedule="cosine"),
    "cosine-4": dict(optimizer="adam", learning_rate=0.1, schedule="cosine", epochs=4),
    "optax-object": dict(optimizer=SGD),
}


def _fit_neighbour(name):
    X, y = _moons()
    kwargs = {**dict(loss="cross_entropy", epochs=3), **NEIGHBOURS[name]}
    params = jaxmlp.init_params(jax.random.key(0), MLP_SOFTMAX)
    return jaxmlp.fit(MLP_SOFTMAX, params, X, y, key=jax.random.key(1), **kwargs)


@pytest.mark.heavy
def test_a_cached_program_is_reused_only_for_the_same_program():
    names = list(NEIGHBOURS)
    alone = {}
    for name in names:  # each compiled afresh
        compiling.clear_programs()
        alone[name] = _fit_neighbour(name)
    # Each after the others: the first pass shares what it can (one program for every
    # constant learning rate and l2 > 0), the second runs from the cache alone.
    for i, name in enumerate(names + names[::-1]):
        params, history = _fit_neighbour(name)
        chex.assert_trees_all_equal(params, alone[name][0])
        assert history.train_loss == alone[name][1].train_loss, name
        assert i < len(names) or history.compile_time == 0.0, name


@pytest.mark.parametrize("field", ["learning_rate", "l2", "loss", "grad"])
def test_fits_that_differ_in_one_argument_train_differently(field):
    # The guard above is meaningful only if its neighbours really differ.
    pairs = {
        "learning_rate": ("lr-0.1", "lr-0.3"),
        "l2": ("l2", "l2-other"),
        "loss": ("lr-0.3", "mse"),
        "grad": ("lr-0.3", "backprop"),
    }
    a, b = (_fit_neighbour(name)[0] for name in pairs[field])
    if field == "grad":  # the same gradient, rounded differently
        assert not all(np.array_equal(x, y) for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)))
    else:
        assert not np.allclose(a[0]["W"], b[0]["W"])


@pytest.mark.heavy
def test_compile_time_is_zero_from_the_cache_and_counted_after_jax_clear_caches():
    fit = functools.partial(_fit_neighbour, "lr-0.1")
    fit()
    assert fit()[1].compile_time == 0.0
    jax.clear_caches()  # empties jaxmlp's programs too, not only the jit wrappers inside
    assert compiling.cached_programs() == 0
    assert fit()[1].compile_time > 0


# A fit in a fresh process; it prints the directory of JAX's persistent compilation cache.
# JAX compiles programs of its own (the keys) before jaxmlp's first.
_FIT_IN_A_PROCESS = """
import jax, numpy as np, jaxmlp
key_init, key_fit = jax.random.split(jax.random.key(0))
mlp = jaxmlp.MLP((2, 4, 1))
X = np.linspace(-1, 1, 16, dtype=np.float32).reshape(8, 2)
params = jaxmlp.init_params(key_init, mlp)
jaxmlp.fit(mlp, params, X, X[:, :1], key=key_fit, epochs=2)
print(jax.config.jax_compilation_cache_dir)
"""


def _fit_in_a_process(**env):
    env = {**os.environ, "JAX_LOG_COMPILES": "1", **env}
    result = subprocess.run(
        [sys.executable, "-c", _FIT_IN_A_PROCESS], env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    hits = result.stderr.count("Persistent compilation cache hit for 'jit__lambda'")
    return result.stdout.strip(), hits


@pytest.mark.heavy
def test_a_new_process_loads_the_programs_an_earlier_one_compiled(tmp_path):
    # On by default, in the user's cache directory.
    env = {"JAXMLP_COMPILATION_CACHE": "", "XDG_CACHE_HOME": str(tmp_path)}
    directory, hits = _fit_in_a_process(**env)
    assert directory == str(tmp_path / "jaxmlp" / "xla")
    entries = sorted(path.name for path in Path(directory).iterdir())
    assert entries and hits == 0
    directory, hits = _fit_in_a_process(**env)
    assert hits >= 3  # the initial draw, the training state and the block of epochs
    assert sorted(path.name for path in Path(directory).iterdir()) == entries


@pytest.mark.heavy
def test_the_persistent_cache_can_be_moved_or_switched_off(tmp_path):
    directory, _ = _fit_in_a_process(JAXMLP_COMPILATION_CACHE=str(tmp_path / "mine"))
    assert directory == str(tmp_path / "mine") and any((tmp_path / "mine").iterdir())
    off = {"JAXMLP_COMPILATION_CACHE": "off", "XDG_CACHE_HOME": str(tmp_path / "home")}
    directory, _ = _fit_in_a_process(**off)
    assert directory == "None" and not (tmp_path / "home").exists()
    # JAX's own setting is the user's choice: left as it is.
    directory, _ = _fit_in_a_process(
        JAXMLP_COMPILATION_CACHE="", JAX_COMPILATION_CACHE_DIR=str(tmp_path / "jax")
    )
    assert directory == str(tmp_path / "jax")


def test_a_cached_function_compiles_with_the_options_its_arguments_choose():
    chosen = []

    def options(x):
        chosen.append(x.shape)
        return {"xla_no_such_option": True} if x.shape[0] > 2 else {}

    double = compiling.cached_jit(lambda x: 2 * x, options=options)
    np.testing.assert_array_equal(double(np.ones(2, np.float32)), 2)
    # The options reach the compiler: one it does not know is refused there.
    with pytest.raises(Exception, match="xla_no_such_option"):
        double(np.ones(3, np.float32))
    assert chosen == [(2,), (3,)]


def test_small_work_compiles_with_cheaper_options_chosen_by_an_epochs_work_alone():
    from jaxmlp.losses import get_loss
    from jaxmlp.training import epoch, program

    small = compiling.small_work_options(compiling.SMALL_WORK_FLOPS, "cpu")
    assert small == compiling.SMALL_WORK_CPU
    assert compiling.small_work_options(compiling.SMALL_WORK_FLOPS + 1, "cpu") == {}
    assert compiling.small_work_options(1.0, "gpu") == {}  # a CPU compiler's option

    def block(n, sizes, epochs_per_block):
        mlp = jaxmlp.MLP(sizes)
        return program.Program(
            mlp=mlp, loss=get_loss("mse", mlp.output_activation.name),
            optimizer=optax.sgd(0.1), grad="autodiff", n=n, batch_size=32,
            epochs_per_block=epochs_per_block, classification=True, has_validation=False,
            early_stopping=False, patience=10, min_delta=0.0, adaptive=False,
            track_best=False,
        )  # fmt: skip

    # digits-sized: 1797 (4 (64·100 + 100·10) + 2 · 100·10) = 5.7e7 FLOPs an epoch.
    digits = block(1797, (64, 100, 10), 8)
    assert digits.epoch_flops == 1797 * (4 * (6400 + 1000) + 2 * 1000)
    assert digits.mlp.matmul_flops() == 2 * (6400 + 1000)  # predict's: the forward pass alone
    mnist = block(60000, (784, 256, 10), 8)
    if jax.default_backend() == "cpu":
        assert epoch._options(digits) == compiling.SMALL_WORK_CPU
        assert epoch._options(mnist) == {}
    # A block's length never decides: a resumed run compiles with the same options.
    assert epoch._options(block(1797, (64, 100, 10), 1)) == epoch._options(digits)
