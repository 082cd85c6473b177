"""Bad input at the boundary: a ValueError or TypeError naming the argument, the value it got,
and what was expected, raised before anything reaches jit."""

import re

import jax
import numpy as np
import pandas as pd
import pytest
import scipy.sparse
from problems import random_problem

import jaxmlp
from jaxmlp.data import load

MLP = jaxmlp.MLP((3, 4, 2))


@pytest.fixture
def problem():
    return random_problem(0, MLP, "mse", 5)


def _gradient_paths():
    return pytest.mark.parametrize(
        "function",
        [jaxmlp.objective, jaxmlp.backprop, jax.grad(jaxmlp.objective, argnums=1)],
        ids=["objective", "backprop", "autodiff"],
    )


def _assert_lists_choices(message, choices):
    for choice in choices:
        assert repr(choice) in message, (choice, message)


# --- X and T ----------------------------------------------------------------------------------


@_gradient_paths()
def test_input_width_differs_from_sizes0(function, problem):
    params, X, T = problem
    with pytest.raises(
        ValueError, match=re.escape("X has 4 features but the MLP expects 3 (sizes[0])")
    ):
        function(MLP, params, np.ones((5, 4)), T)


def test_input_width_for_one_example(problem):
    params, _, T = problem
    for call in (
        lambda x: jaxmlp.forward(MLP, params, x),
        lambda x: jaxmlp.backprop_trace(MLP, params, x, T[0]),
        lambda x: jaxmlp.backprop_example(MLP, params, x, T[0]),
    ):
        with pytest.raises(
            ValueError, match=re.escape("x has 2 features but the MLP expects 3 (sizes[0])")
        ):
            call(np.ones(2))


def test_input_width_for_forward_batch(problem):
    params, _, _ = problem
    with pytest.raises(ValueError, match=re.escape("X has 5 features but the MLP expects 3")):
        jaxmlp.forward_batch(MLP, params, np.ones((2, 5)))


@pytest.mark.parametrize(
    "X, message",
    [
        (np.ones(3), "X must have shape (n, d), got 1 dimensions (3,)"),
        (
            np.ones((5, 3, 1)),
            "X must have shape (n, d), got 3 dimensions (5, 3, 1) (flatten images first",
        ),
        (np.ones((0, 3)), "X has 0 samples; at least 1 is needed"),
    ],
    ids=["1d", "3d", "empty"],
)
def test_input_rank_and_emptiness(X, message, problem):
    params, _, T = problem
    with pytest.raises(ValueError, match=re.escape(message)):
        jaxmlp.backprop(MLP, params, X, T)


@pytest.mark.parametrize(
    "X, message",
    [
        (np.full((5, 3), "a"), "X must be a numeric array, got dtype <U1"),
        (np.ones((5, 3)) + 1j, "X must be a numeric array, got dtype complex128"),
        ([[1.0, 2.0, 3.0], [1.0]], "X must be a numeric array, could not convert it"),
    ],
    ids=["strings", "complex", "ragged"],
)
def test_input_not_numeric(X, message, problem):
    params, _, T = problem
    with pytest.raises(TypeError, match=re.escape(message)):
        jaxmlp.objective(MLP, params, X, T)


@_gradient_paths()
@pytest.mark.parametrize(
    "shape, message",
    [
        ((5, 3), "T has shape (5, 3) but (5, 2) was expected (n samples, sizes[-1]=2 outputs)"),
        ((4, 2), "T has shape (4, 2) but (5, 2) was expected"),
        (
            (5,),
            "T has shape (5,) but (5, 2) was expected (n samples, sizes[-1]=2 outputs) (for integer class labels use jaxmlp.one_hot(y, c))",
        ),
        ((5, 2, 1), "T has shape (5, 2, 1) but (5, 2) was expected"),
    ],
    ids=["too_many_outputs", "too_few_rows", "labels_not_one_hot", "3d"],
)
def test_targets_of_the_wrong_shape(function, shape, message, problem):
    params, X, _ = problem
    with pytest.raises(ValueError, match=re.escape(message)):
        function(MLP, params, X, np.zeros(shape))


def test_one_target_of_the_wrong_shape(problem):
    params, X, _ = problem
    for call in (jaxmlp.backprop_trace, jaxmlp.backprop_example):
        with pytest.raises(
            ValueError,
            match=re.escape("t has shape (3,) but (2,) was expected (sizes[-1]=2 outputs)"),
        ):
            call(MLP, params, X[0], np.zeros(3))


@_gradient_paths()
@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf], ids=str)
@pytest.mark.parametrize("argument", ["X", "T"])
def test_non_finite_inputs_and_targets(function, argument, value, problem):
    params, X, T = problem
    arrays = {"X": np.array(X), "T": np.array(T)}
    arrays[argument][3, 1] = value
    message = f"{argument} holds a non-finite value ({value}) at index (3, 1); remove or impute"
    with pytest.raises(ValueError, match=re.escape(message)):
        function(MLP, params, arrays["X"], arrays["T"])


def test_non_finite_one_example(problem):
    params, X, T = problem
    with pytest.raises(
        ValueError, match=re.escape("x holds a non-finite value (nan) at index (1,)")
    ):
        jaxmlp.forward(MLP, params, np.array([0.0, np.nan, 1.0]))
    with pytest.raises(
        ValueError, match=re.escape("t holds a non-finite value (inf) at index (0,)")
    ):
        jaxmlp.backprop_trace(MLP, params, X[0], np.array([np.inf, 0.0]))


def test_shape_errors_are_raised_under_jit_too(problem):
    params, X, T = problem
    backprop = jax.jit(jaxmlp.backprop, static_argnames=("mlp", "loss"))
    with pytest.raises(
        ValueError, match=re.escape("X has 4 features but the MLP expects 3 (sizes[0])")
    ):
        backprop(MLP, params, np.ones((5, 4)), T)
    with pytest.raises(ValueError, match=re.escape("T has shape (5, 3) but (5, 2) was expected")):
        backprop(MLP, params, X, np.zeros((5, 3)))


# --- sizes and names --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sizes, error, message",
    [
        ((), ValueError, "sizes=() needs at least an input and an output width"),
        ((3,), ValueError, "sizes=(3,) needs at least an input and an output width"),
        ([], ValueError, "sizes=() needs at least an input and an output width"),
        ((3, 0, 2), ValueError, "sizes[1]=0 must be a positive integer"),
        ((3, 4, -2), ValueError, "sizes[2]=-2 must be a positive integer"),
        ((3, 2.5, 2), TypeError, "sizes[1]=2.5 must be a positive integer"),
        ((3.0, 2), TypeError, "sizes[0]=3.0 must be a positive integer"),
        ((3, "4", 2), TypeError, "sizes[1]='4' must be a positive integer"),
        ((3, None), TypeError, "sizes[1]=None must be a positive integer"),
        ((3, True), TypeError, "sizes[1]=True must be a positive integer"),
        (3, TypeError, "sizes must be a sequence of layer widths (d, h_1, ..., c), got 3"),
        ("32", TypeError, "sizes must be a sequence of layer widths (d, h_1, ..., c), got '32'"),
    ],
    ids=[
        "empty",
        "one",
        "empty_list",
        "zero",
        "negative",
        "fraction",
        "float",
        "string_width",
        "none",
        "bool",
        "int",
        "string",
    ],
)
def test_bad_sizes(sizes, error, message):
    with pytest.raises(error, match=re.escape(message)):
        jaxmlp.MLP(sizes)


def test_numpy_integer_sizes_are_fine():
    assert jaxmlp.MLP(np.array([3, 4, 2])) == MLP


@pytest.mark.parametrize("argument", ["hidden", "output"])
def test_unknown_activation_lists_the_choices(argument):
    with pytest.raises(
        ValueError, match=re.escape(f"{argument}='swish' is not a known activation; choose one of")
    ) as error:
        jaxmlp.MLP((3, 4, 2), **{argument: "swish"})
    _assert_lists_choices(str(error.value), jaxmlp.ACTIVATIONS)
    assert "jaxmlp.Activation" in str(error.value)


def test_activation_of_the_wrong_type():
    with pytest.raises(
        TypeError, match="hidden must be an activation name or a jaxmlp.Activation, got int 3"
    ):
        jaxmlp.MLP((3, 4, 2), hidden=3)


@_gradient_paths()
def test_unknown_loss_lists_the_choices(function, problem):
    params, X, T = problem
    with pytest.raises(
        ValueError, match=re.escape("loss='hinge' is not a known loss; choose one of")
    ) as error:
        function(MLP, params, X, T, "hinge")
    _assert_lists_choices(str(error.value), jaxmlp.LOSSES)


def test_unknown_init_lists_the_choices(key):
    for init in ("xavier", ["glorot_uniform"], None):
        with pytest.raises(
            ValueError, match=re.escape(f"init={init!r} is not a known scheme; choose one of")
        ) as error:
            jaxmlp.init_params(key, MLP, init=init)
        _assert_lists_choices(str(error.value), jaxmlp.INITS)


def test_params_of_mixed_or_integer_dtypes_are_refused_at_the_boundary(key):
    params = jaxmlp.init_params(key, MLP)
    X = np.ones((2, 3), np.float32)
    integer = [dict(layer) for layer in params]
    integer[1]["W"] = np.ones((4, 2), np.int32)
    with pytest.raises(TypeError, match=r"params\[1\]\['W'\] has dtype int32; expected a floating"):
        jaxmlp.forward_batch(MLP, integer, X)
    with jax.enable_x64(True):
        mixed = jaxmlp.init_params(key, MLP, dtype=np.float32)
        mixed[0] = {"W": mixed[0]["W"], "b": np.zeros(4, np.float64)}
        with pytest.raises(TypeError, match=r"params\[0\]\['b'\] has dtype float64 but params"):
            jaxmlp.fit(MLP, mixed, X, np.array([0, 1]), key=key, epochs=1)


def test_init_dtype_must_be_floating(key):
    with pytest.raises(ValueError, match="dtype=int32 must be a floating point type"):
        jaxmlp.init_params(key, MLP, dtype=np.int32)


@_gradient_paths()
@pytest.mark.parametrize("output", ["sigmoid", "identity", "tanh"])
def test_cross_entropy_needs_a_softmax_output(function, output):
    mlp = jaxmlp.MLP((3, 4, 2), output=output)
    params, X, T = random_problem(0, mlp, "cross_entropy", 5)
    message = f"loss='cross_entropy' needs output='softmax' (it is computed from the output pre-activation), but the MLP has output='{output}'"
    with pytest.raises(ValueError, match=re.escape(message)):
        function(mlp, params, X, T, "cross_entropy")


@_gradient_paths()
def test_binary_cross_entropy_needs_a_sigmoid_output(function):
    mlp = jaxmlp.MLP((3, 4, 2), output="softmax")
    params, X, T = random_problem(0, mlp, "binary_cross_entropy", 5)
    with pytest.raises(
        ValueError, match=re.escape("loss='binary_cross_entropy' needs output='sigmoid'")
    ):
        function(mlp, params, X, T, "binary_cross_entropy")


def test_cross_entropy_needs_a_softmax_output_in_trace(problem):
    params, X, T = problem
    with pytest.raises(ValueError, match=re.escape("loss='cross_entropy' needs output='softmax'")):
        jaxmlp.backprop_trace(MLP, params, X[0], T[0], "cross_entropy")


@pytest.mark.parametrize("sizes", [(3, 4, 2), (3, 2)], ids=["with_hidden_layer", "no_hidden_layer"])
def test_softmax_as_hidden_activation(sizes):
    with pytest.raises(
        ValueError,
        match=re.escape(
            "hidden='softmax' is not elementwise and is allowed only as the output activation"
        ),
    ):
        jaxmlp.MLP(sizes, hidden="softmax")


# --- params, mlp, l2, weights -----------------------------------------------------------------


def _without_b(params):
    return [{"W": params[0]["W"]}, params[1]]


PARAMS_CASES = [
    (
        lambda p: p[:1],
        "params must be a list of 2 layers {'W', 'b'} for sizes=(3, 4, 2), got 1 layers",
    ),
    (
        lambda p: p + p[:1],
        "params must be a list of 2 layers {'W', 'b'} for sizes=(3, 4, 2), got 3 layers",
    ),
    (lambda p: p[0], "params must be a list of 2 layers {'W', 'b'} for sizes=(3, 4, 2), got dict"),
    (lambda p: None, "got NoneType"),
    (_without_b, "params[0] must be a dict with keys 'W' and 'b', got ['W']"),
    (
        lambda p: [(p[0]["W"], p[0]["b"]), p[1]],
        "params[0] must be a dict with keys 'W' and 'b', got tuple",
    ),
    (
        lambda p: [{"W": p[0]["W"].T, "b": p[0]["b"]}, p[1]],
        "params[0]['W'] has shape (4, 3) but sizes=(3, 4, 2) expects (3, 4)",
    ),
    (
        lambda p: [p[0], {"W": p[1]["W"], "b": p[1]["b"][:1]}],
        "params[1]['b'] has shape (1,) but sizes=(3, 4, 2) expects (2,)",
    ),
    (
        lambda p: [p[0], {"W": p[1]["W"], "b": p[1]["b"][None]}],
        "params[1]['b'] has shape (1, 2) but sizes=(3, 4, 2) expects (2,)",
    ),
]


@pytest.mark.parametrize(
    "corrupt, message",
    PARAMS_CASES,
    ids=[
        "too_few_layers",
        "too_many_layers",
        "one_layer_dict",
        "none",
        "missing_b",
        "tuple_layer",
        "transposed_W",
        "short_b",
        "2d_b",
    ],
)
def test_params_of_the_wrong_structure(corrupt, message, problem):
    params, X, T = problem
    bad = corrupt(params)
    for call in (
        lambda: jaxmlp.objective(MLP, bad, X, T),
        lambda: jaxmlp.backprop(MLP, bad, X, T),
        lambda: jaxmlp.forward(MLP, bad, X[0]),
        lambda: jaxmlp.forward_batch(MLP, bad, X),
        lambda: jaxmlp.backprop_trace(MLP, bad, X[0], T[0]),
    ):
        with pytest.raises(ValueError, match=re.escape(message)):
            call()


def test_params_of_another_mlp(problem, key):
    _, X, T = problem
    other = jaxmlp.init_params(key, jaxmlp.MLP((3, 5, 2)))
    with pytest.raises(
        ValueError,
        match=re.escape("params[0]['W'] has shape (3, 5) but sizes=(3, 4, 2) expects (3, 4)"),
    ):
        jaxmlp.backprop(MLP, other, X, T)


@_gradient_paths()
def test_mlp_must_be_an_mlp(function, problem):
    params, X, T = problem
    with pytest.raises(TypeError, match=re.escape("mlp must be a jaxmlp.MLP, got tuple (3, 4, 2)")):
        function((3, 4, 2), params, X, T)


@pytest.mark.parametrize("l2", [-0.1, float("nan"), float("inf"), "0.1", True], ids=repr)
def test_bad_l2(l2, problem):
    params, X, T = problem
    with pytest.raises(ValueError, match=re.escape(f"l2 must be a finite number >= 0, got {l2!r}")):
        jaxmlp.backprop(MLP, params, X, T, l2=l2)


@pytest.mark.parametrize(
    "weights, message",
    [
        (np.ones(4), "weights has shape (4,) but (5,) was expected"),
        (np.ones((5, 1)), "weights has shape (5, 1) but (5,) was expected"),
        (np.array([1.0, -1.0, 1.0, 1.0, 1.0]), "weights[1]=-1.0 must be finite and >= 0"),
        (np.array([1.0, 1.0, 1.0, np.nan, 1.0]), "weights[3]=nan must be finite and >= 0"),
        (np.zeros(5), "weights are all zero; at least one example needs a weight > 0"),
    ],
    ids=["too_short", "2d", "negative", "nan", "all_zero"],
)
def test_bad_weights(weights, message, problem):
    params, X, T = problem
    for function in (jaxmlp.objective, jaxmlp.backprop):
        with pytest.raises(ValueError, match=re.escape(message)):
            function(MLP, params, X, T, weights=weights)


# --- the library's entry points: one bad value, one message everywhere --------------------

CLASSIFIER = jaxmlp.MLP((2, 3, 2), "tanh", "softmax")
XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)
XOR_Y = np.array([0, 1, 1, 0])


def _targets(y):
    return np.eye(2, dtype=np.float32)[y] if np.ndim(y) == 1 else y


# Each takes (mlp, params, X, y, loss); those that take no targets ignore y.
ENTRY_POINTS = {
    "fit": lambda mlp, params, X, y, loss: jaxmlp.fit(
        mlp, params, X, y, key=jax.random.key(0), loss=loss, epochs=1
    ),
    "fit_many": lambda mlp, params, X, y, loss: jaxmlp.fit_many(
        mlp, X, y, key=jax.random.key(0), loss=loss, epochs=1, dtype=params[0]["W"].dtype
    ),
    "evaluate": lambda mlp, params, X, y, loss: jaxmlp.evaluate(mlp, params, X, y, loss),
    "objective": lambda mlp, params, X, y, loss: jaxmlp.objective(
        mlp, params, X, _targets(y), loss
    ),
    "backprop": lambda mlp, params, X, y, loss: jaxmlp.backprop(mlp, params, X, _targets(y), loss),
    "predict": lambda mlp, params, X, y, loss: jaxmlp.predict(mlp, params, X),
    "predict_proba": lambda mlp, params, X, y, loss: jaxmlp.predict_proba(mlp, params, X),
    "forward_batch": lambda mlp, params, X, y, loss: jaxmlp.forward_batch(mlp, params, X),
}
TARGET_ENTRY_POINTS = ("fit", "fit_many", "evaluate", "objective", "backprop")


def _entry_points(names=tuple(ENTRY_POINTS)):
    return pytest.mark.parametrize("call", [ENTRY_POINTS[name] for name in names], ids=names)


def _raises(call, error, message, X=XOR_X, y=XOR_Y, loss="mse", mlp=CLASSIFIER, params=None):
    params = jaxmlp.init_params(jax.random.key(0), mlp) if params is None else params
    with pytest.raises(error, match=re.escape(message)):
        call(mlp, params, X, y, loss)


X64_SENTENCE = (
    "=float64 needs 64-bit JAX: set jax.config.update('jax_enable_x64', True) first, or use float32"
)


@_entry_points()
def test_float64_params_without_64_bit_jax_are_refused_everywhere(call):
    # Converted to float32 silently, they trained in another precision than the one asked.
    params = jax.tree.map(
        lambda a: np.asarray(a, np.float64), jaxmlp.init_params(jax.random.key(0), CLASSIFIER)
    )
    with jax.enable_x64(False):
        name = "dtype" if call is ENTRY_POINTS["fit_many"] else "params[0]['W'].dtype"
        _raises(call, ValueError, name + X64_SENTENCE, params=params)


def test_float64_without_64_bit_jax_is_one_message_for_init_and_one_example(key):
    params = jax.tree.map(lambda a: np.asarray(a, np.float64), jaxmlp.init_params(key, MLP))
    with jax.enable_x64(False):
        with pytest.raises(ValueError, match=re.escape("dtype" + X64_SENTENCE)):
            jaxmlp.init_params(key, MLP, dtype=np.float64)
        for call in (jaxmlp.forward, lambda *a: jaxmlp.backprop_trace(*a, np.zeros(2))):
            with pytest.raises(ValueError, match=re.escape("params[0]['W'].dtype" + X64_SENTENCE)):
                call(MLP, params, np.zeros(3))


@pytest.mark.heavy
def test_float64_params_with_64_bit_jax_train_in_float64():
    params = jaxmlp.init_params(jax.random.key(0), CLASSIFIER, dtype=np.float64)
    trained, _ = jaxmlp.fit(CLASSIFIER, params, XOR_X, XOR_Y, key=jax.random.key(0), epochs=1)
    assert trained[0]["W"].dtype == np.float64


@_entry_points()
@pytest.mark.parametrize("kind", ["csr_matrix", "csc_array"])
def test_sparse_inputs_are_named_with_what_to_do(call, kind):
    X = getattr(scipy.sparse, kind)(XOR_X)
    _raises(
        call,
        TypeError,
        f"X is a scipy.sparse {kind} of shape (4, 2), but jaxmlp computes on dense arrays: "
        "pass X.toarray()",
        X=X,
    )


@_entry_points(("fit", "fit_many", "evaluate"))
def test_sparse_targets_are_named_with_what_to_do(call):
    y = scipy.sparse.csr_matrix(np.eye(2)[XOR_Y])
    _raises(call, TypeError, "y is a scipy.sparse csr_matrix of shape (4, 2)", y=y)


OBJECT_INPUTS = {
    "dataframe-object-column": (
        pd.DataFrame({"a": [0.0, 1, 1, 0], "b": ["0", "1", "0", "1"]}),
        "X must be a numeric array, got dtype object: X is a DataFrame whose columns ['b'] "
        "are not numeric; encode them as numbers first",
    ),
    "dataframe-missing-value": (
        pd.DataFrame({"a": pd.array([0, 1, None, 0], dtype="Int64"), "b": [0.0, 1, 0, 1]}),
        "X must be a numeric array, got dtype object: X[2, 0] is <NA> (NAType), not a number",
    ),
    "ragged-rows": (
        [[0.0, 1.0], [1.0], [1.0, 0.0], [0.0, 0.0]],
        "X must be a numeric array, could not convert it: its rows differ in length "
        "(row 0 has 2 values, row 1 has 1)",
    ),
    "ragged-object-array": (
        np.array([[0.0, 1.0], [1.0], [1.0, 0.0], [0.0, 0.0]], dtype=object),
        "X must be a numeric array, got dtype object: its rows differ in length (row 0 has "
        "2 values, row 1 has 1)",
    ),
    "none-in-object-array": (
        np.array([[0, 1], [1, None], [1, 0], [0, 0]], dtype=object),
        "X must be a numeric array, got dtype object: X[1, 1] is None (NoneType), not a number",
    ),
    "numbers-as-objects": (
        XOR_X.astype(object),
        "X must be a numeric array, got dtype object: it holds numbers as Python objects; "
        "convert it with np.asarray(X, dtype=np.float32)",
    ),
    "strings": (
        XOR_X.astype(str),
        "X must be a numeric array, got dtype <U32 (values such as '0.0'); encode them as "
        "numbers first",
    ),
}


@_entry_points()
@pytest.mark.parametrize("X, message", OBJECT_INPUTS.values(), ids=OBJECT_INPUTS.keys())
def test_inputs_that_are_not_numbers_say_what_is_not(call, X, message):
    _raises(call, TypeError, message, X=X)


UINT8_MESSAGE = (
    "X has dtype uint8 (8-bit pixels?), whose scale jaxmlp does not guess: pass X / 255 for "
    "values in [0, 1], as jaxmlp.data.load scales images, or X.astype(np.float32) for the "
    "values as they are"
)


@_entry_points()
def test_uint8_inputs_are_refused_everywhere(call):
    _raises(call, TypeError, UINT8_MESSAGE, X=XOR_X.astype(np.uint8))


@pytest.mark.heavy
@pytest.mark.parametrize("dtype", [np.int64, np.int16, np.bool_], ids=str)
def test_integer_and_bool_inputs_are_taken_value_for_value(dtype, key):
    params = jaxmlp.init_params(key, CLASSIFIER)
    np.testing.assert_array_equal(
        jaxmlp.predict_proba(CLASSIFIER, params, XOR_X.astype(dtype)),
        jaxmlp.predict_proba(CLASSIFIER, params, XOR_X),
    )
    trained = [
        jaxmlp.fit(CLASSIFIER, params, X, XOR_Y, key=key, epochs=2)[0]
        for X in (XOR_X.astype(dtype), XOR_X)
    ]
    np.testing.assert_array_equal(trained[0][0]["W"], trained[1][0]["W"])


@pytest.mark.heavy
def test_uint8_pixels_are_scaled_by_the_loader_and_refused_raw_by_the_api(tmp_path, key):
    # A model trained from the command line sees the loader's [0, 1] pixels; the same pixels
    # raw would be 255 times too large for it.
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (12, 2, 1), dtype=np.uint8)
    np.savez(
        tmp_path / "images.npz",
        x=images[:8], y=np.arange(8) % 2, x_test=images[8:], y_test=np.arange(4) % 2,
    )  # fmt: skip
    data = load(f"npz:{tmp_path / 'images.npz'}", key, flatten=True)
    raw = images[8:].reshape(4, -1)
    np.testing.assert_array_equal(data.X_test, raw / np.float32(255))
    params = jaxmlp.fit(
        CLASSIFIER,
        jaxmlp.init_params(key, CLASSIFIER),
        data.X_train,
        data.y_train,
        key=key,
        epochs=2,
    )[0]
    with pytest.raises(TypeError, match=re.escape(UINT8_MESSAGE)):
        jaxmlp.predict(CLASSIFIER, params, raw)
    np.testing.assert_array_equal(
        jaxmlp.predict_proba(CLASSIFIER, params, raw / np.float32(255)),
        jaxmlp.predict_proba(CLASSIFIER, params, data.X_test),
    )


CE_TARGETS = {
    "sums-to-2": ([[1, 1], [0, 1], [1, 0], [1, 0]], "y[0] sums to 2: loss='cross_entropy' needs each target row to be a probability distribution, values >= 0 that sum to 1 (within 0.00035 in float32)"),
    "sums-to-0.4": ([[1, 0], [0.2, 0.2], [1, 0], [1, 0]], "y[1] sums to 0.4: loss='cross_entropy'"),
    "negative": ([[1, 0], [0, 1], [-0.5, 1.5], [1, 0]], "y[2] holds the negative value -0.5: loss='cross_entropy'"),
    "off-by-1e-3": ([[1, 0], [0, 1], [0, 1], [0.5, 0.501]], "y[3] sums to 1.001: loss='cross_entropy'"),
}  # fmt: skip


@_entry_points(TARGET_ENTRY_POINTS)
@pytest.mark.parametrize("y, message", CE_TARGETS.values(), ids=CE_TARGETS.keys())
def test_cross_entropy_targets_must_be_distributions(call, y, message):
    y = np.array(y, np.float32)
    if call is ENTRY_POINTS["objective"] or call is ENTRY_POINTS["backprop"]:
        message = "T" + message[1:]
    _raises(call, ValueError, message, y=y, loss="cross_entropy")


@pytest.mark.heavy
def test_cross_entropy_takes_soft_targets_rounded_in_float32(key):
    # Softmax rows of 1000 classes rounded to float32 sum to 1 only up to about c·eps.
    mlp = jaxmlp.MLP((2, 1000), output="softmax")
    y = np.asarray(jax.nn.softmax(jax.random.normal(key, (4, 1000)) * 3), np.float32)
    assert np.abs(y.sum(axis=1, dtype=np.float64) - 1).max() > 0
    params = jaxmlp.init_params(key, mlp)
    value = jaxmlp.evaluate(mlp, params, XOR_X, y, "cross_entropy")["loss"]
    y_off = y.copy()
    y_off[3, 0] += 1e-3
    assert np.isfinite(value)
    with pytest.raises(ValueError, match=re.escape("y[3] sums to 1.001")):
        jaxmlp.evaluate(mlp, params, XOR_X, y_off, "cross_entropy")


def test_one_target_must_be_a_distribution_for_cross_entropy(key):
    mlp = jaxmlp.MLP((3, 2), output="softmax")
    params = jaxmlp.init_params(key, mlp)
    with pytest.raises(ValueError, match=re.escape("t sums to 2: loss='cross_entropy'")):
        jaxmlp.backprop_trace(mlp, params, np.zeros(3), np.ones(2), "cross_entropy")


@_entry_points(TARGET_ENTRY_POINTS)
@pytest.mark.parametrize("value", [2.0, -0.5], ids=str)
def test_binary_cross_entropy_targets_must_be_probabilities(call, value):
    mlp = jaxmlp.MLP((2, 3, 2), "tanh", "sigmoid")
    y = np.array([[0, 1], [1, 1], [1, 0], [0, 0]], np.float32)
    y[2, 1] = value
    name = "T" if call in (ENTRY_POINTS["objective"], ENTRY_POINTS["backprop"]) else "y"
    message = f"{name}[2, 1]={value} is outside [0, 1]: loss='binary_cross_entropy' needs targets that are probabilities"
    _raises(call, ValueError, message, y=y, loss="binary_cross_entropy", mlp=mlp)


@_entry_points(("fit", "fit_many", "evaluate"))
@pytest.mark.parametrize(
    "y, message",
    [
        (
            [0, 1.5, 1, 0],
            "y holds the non-integer label 1.5 at index 1; 1-D y must be class labels",
        ),
        ([0, 1, -1, 0], "y holds the label -1 at index 2; labels must be in [0, 2) (sizes[-1]=2)"),
        ([0, 1, 1, 2], "y holds the label 2 at index 3; labels must be in [0, 2) (sizes[-1]=2)"),
    ],
    ids=["fraction", "negative", "too-large"],
)
def test_bad_class_labels_are_named_with_their_index(call, y, message):
    _raises(call, ValueError, message, y=np.array(y))


@_entry_points()
@pytest.mark.parametrize("value", [np.nan, np.inf, 1e39, -1e39], ids=str)
@pytest.mark.filterwarnings("error")  # no numpy RuntimeWarning before the error
def test_inputs_beyond_the_params_dtype_are_refused_everywhere(call, value):
    X = XOR_X.astype(np.float64)
    X[2, 1] = value
    if np.isfinite(value):
        message = f"X holds the value {value:g} at index (2, 1), beyond the range of float32 (|value| <= 3.4028235e+38), the params' dtype the MLP computes in"
    else:
        message = f"X holds a non-finite value ({value}) at index (2, 1); remove or impute"
    _raises(call, ValueError, message, X=X)


@_entry_points(TARGET_ENTRY_POINTS)
@pytest.mark.filterwarnings("error")
def test_targets_beyond_the_params_dtype_are_refused_everywhere(call):
    mlp = jaxmlp.MLP((2, 3, 2), "tanh", "identity")
    y = np.zeros((4, 2))
    y[3, 0] = 1e39
    name = "T" if call in (ENTRY_POINTS["objective"], ENTRY_POINTS["backprop"]) else "y"
    _raises(
        call,
        ValueError,
        f"{name} holds the value 1e+39 at index (3, 0), beyond the range of float32",
        y=y,
        mlp=mlp,
    )


@pytest.mark.filterwarnings("error")
def test_validation_inputs_beyond_the_params_dtype_are_refused(key):
    X_val = XOR_X.astype(np.float64)
    X_val[1, 0] = 1e39
    params = jaxmlp.init_params(key, CLASSIFIER)
    for fit in (
        lambda v: jaxmlp.fit(CLASSIFIER, params, XOR_X, XOR_Y, key=key, epochs=1, validation=v),
        lambda v: jaxmlp.fit_many(CLASSIFIER, XOR_X, XOR_Y, key=key, epochs=1, validation=v),
    ):
        with pytest.raises(
            ValueError, match=re.escape("X_val holds the value 1e+39 at index (1, 0)")
        ):
            fit((X_val, XOR_Y))


@pytest.mark.filterwarnings("error")
def test_the_range_is_the_params_dtypes(key):
    # 1e39 is a float64 like any other; 70000 is beyond float16's 65504.
    X = XOR_X.astype(np.float64)
    X[0, 0] = 1e39
    params = jaxmlp.init_params(key, CLASSIFIER, dtype=np.float64)
    assert np.isfinite(jaxmlp.predict_proba(CLASSIFIER, params, X)).all()
    half = jaxmlp.init_params(key, CLASSIFIER, dtype=np.float16)
    X[0, 0] = 7e4
    with pytest.raises(
        ValueError,
        match=re.escape(
            "X holds the value 70000.0 at index (0, 0), beyond the range of float16 (|value| <= 65504)"
        ),
    ):
        jaxmlp.predict_proba(CLASSIFIER, half, X)
    X[0, 0] = 6e4
    assert np.isfinite(jaxmlp.predict_proba(CLASSIFIER, half, X)).all()
    with pytest.raises(
        ValueError,
        match=re.escape("X holds the value 70000 at index (0, 0), beyond the range of float16"),
    ):
        jaxmlp.predict_proba(CLASSIFIER, half, np.array([[7e4, 0]], np.int32))
