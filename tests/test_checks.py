"""Bad input at the boundary: a ValueError or TypeError naming the argument, the value it got,
and what was expected, raised before anything reaches jit."""

import re

import jax
import numpy as np
import pytest
from problems import random_problem

import jaxmlp

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
    with pytest.raises(ValueError, match=re.escape(f"l2={l2!r} must be a finite number >= 0")):
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
