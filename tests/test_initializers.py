"""Tests for sonnax/_src/initializers.py, with dm-haiku 0.0.17 as the oracle."""

import inspect
import re
import warnings

import haiku
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import sonnax
from sonnax import initializers
from sonnax import typing as sonnax_typing

SHAPES = {
    "scalar": (),
    "matrix": (5, 3),
    "conv2d": (3, 3, 4, 8),
}
DTYPES = {
    "f32": jnp.float32,
    "bf16": jnp.bfloat16,
    "f16": jnp.float16,
}
COMPLEX = {"c64": jnp.complex64}


def _params(table):
    """Turns a ``{id: value}`` dict into ``pytest.param``s with readable ids."""
    return [pytest.param(value, id=name) for name, value in table.items()]


def _cases(table):
    """Turns a ``{id: (value, ...)}`` dict into multi-argument ``pytest.param``s."""
    return [pytest.param(*values, id=name) for name, values in table.items()]


def _run(library, name, args, kwargs, shape, dtype, key):
    """Builds ``library.initializers.<name>`` and calls it in ``library.transform``."""
    init = getattr(library.initializers, name)(*args, **kwargs)
    return library.transform(lambda: init(shape, dtype)).apply({}, key)


def _assert_matches_haiku(key, name, shape, dtype, *args, **kwargs):
    """Asserts sonnax and Haiku give bit-identical arrays for the same key."""
    expected = _run(haiku, name, args, kwargs, shape, dtype, key)
    actual = _run(sonnax, name, args, kwargs, shape, dtype, key)
    assert actual.shape == expected.shape == tuple(shape)
    assert actual.dtype == expected.dtype == dtype
    np.testing.assert_array_equal(np.asarray(actual), np.asarray(expected))


@pytest.mark.parametrize("dtype", _params({**DTYPES, **COMPLEX}))
@pytest.mark.parametrize("shape", _params(SHAPES))
@pytest.mark.parametrize("constant", [0, 2.5, True], ids=["int_zero", "float", "bool"])
def test_constant_scalar(constant, shape, dtype, key):
    _assert_matches_haiku(key, "Constant", shape, dtype, constant)


@pytest.mark.parametrize("shape", _params(SHAPES))
def test_constant_complex(shape, key):
    _assert_matches_haiku(key, "Constant", shape, jnp.complex64, -1.5 + 2j)


@pytest.mark.parametrize("dtype", _params({**DTYPES, **COMPLEX}))
@pytest.mark.parametrize(
    "constant",
    [
        pytest.param(np.arange(3, dtype=np.float32), id="numpy_row"),
        pytest.param(jnp.linspace(-1.0, 1.0, 3), id="jax_row"),
        pytest.param(np.array([[1.0], [2.0], [3.0], [4.0]]), id="numpy_column"),
        pytest.param(np.arange(12).reshape(4, 3), id="numpy_full_int"),
    ],
)
def test_constant_array(constant, dtype, key):
    _assert_matches_haiku(key, "Constant", (4, 3), dtype, constant)


@pytest.mark.parametrize("dtype", _params({**DTYPES, **COMPLEX}))
@pytest.mark.parametrize("shape", _params(SHAPES))
@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({}, id="default"),
        pytest.param({"stddev": 0.3, "mean": -2.0}, id="stddev_mean"),
    ],
)
def test_random_normal(kwargs, shape, dtype, key):
    _assert_matches_haiku(key, "RandomNormal", shape, dtype, **kwargs)


@pytest.mark.parametrize("dtype", _params({**DTYPES, **COMPLEX}))
@pytest.mark.parametrize("shape", _params(SHAPES))
@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({}, id="default"),
        pytest.param({"stddev": 0.1, "mean": 1.0}, id="stddev_mean"),
        pytest.param({"lower": -0.5, "upper": 3.0}, id="asymmetric_bounds"),
        pytest.param({"stddev": jnp.float32(2.0), "lower": jnp.float32(-1.0)}, id="array_args"),
    ],
)
def test_truncated_normal(kwargs, shape, dtype, key):
    _assert_matches_haiku(key, "TruncatedNormal", shape, dtype, **kwargs)


def test_truncated_normal_complex_mean(key):
    _assert_matches_haiku(key, "TruncatedNormal", (4, 5), jnp.complex64, mean=1.0 - 0.5j)


@pytest.mark.parametrize("dtype", _params(DTYPES))
@pytest.mark.parametrize("shape", _params(SHAPES))
@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({}, id="default"),
        pytest.param({"minval": -3.0, "maxval": 0.5}, id="bounds"),
    ],
)
def test_random_uniform(kwargs, shape, dtype, key):
    _assert_matches_haiku(key, "RandomUniform", shape, dtype, **kwargs)


@pytest.mark.parametrize("name", ["RandomUniform", "UniformScaling"])
def test_uniform_rejects_complex_like_haiku(name, key):
    for library in (haiku, sonnax):
        with pytest.raises(ValueError, match="must be a float dtype"):
            _run(library, name, (), {}, (3,), jnp.complex64, key)


@pytest.mark.parametrize("dtype", _params(DTYPES))
@pytest.mark.parametrize("shape", _params(SHAPES))
@pytest.mark.parametrize("distribution", ["truncated_normal", "normal", "uniform"])
@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg"])
def test_variance_scaling(mode, distribution, shape, dtype, key):
    _assert_matches_haiku(key, "VarianceScaling", shape, dtype, 2.0, mode, distribution)


@pytest.mark.parametrize("shape", _params(SHAPES))
@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg"])
def test_variance_scaling_complex_normal(mode, shape, key):
    _assert_matches_haiku(key, "VarianceScaling", shape, jnp.complex64, 0.5, mode, "normal")


@pytest.mark.parametrize("shape", _params(SHAPES))
def test_variance_scaling_complex_truncated_normal(shape, key):
    # Haiku casts a complex stddev to real here and warns; sonnax must give the
    # same values without the warning.
    args = (1.5, "fan_avg", "truncated_normal")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", np.exceptions.ComplexWarning)
        expected = _run(haiku, "VarianceScaling", args, {}, shape, jnp.complex64, key)
    actual = _run(sonnax, "VarianceScaling", args, {}, shape, jnp.complex64, key)
    assert actual.dtype == expected.dtype == jnp.complex64
    np.testing.assert_array_equal(np.asarray(actual), np.asarray(expected))


@pytest.mark.parametrize(
    "fan_in_axes",
    [
        pytest.param((0,), id="leading"),
        pytest.param((0, 1), id="two_leading"),
        pytest.param((1, 3), id="scattered"),
        pytest.param((-1,), id="negative"),
        pytest.param((), id="empty"),
    ],
)
@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg"])
def test_variance_scaling_fan_in_axes(mode, fan_in_axes, key):
    _assert_matches_haiku(
        key, "VarianceScaling", (6, 2, 4, 5), jnp.float32, 1.0, mode, fan_in_axes=fan_in_axes
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"distribution": "Uniform"}, id="distribution_case_insensitive"),
        pytest.param({"scale": 0.0}, id="zero_scale"),
        pytest.param({"fan_in_axes": (0,)}, id="fan_in_axes_ignored_for_matrix"),
    ],
)
def test_variance_scaling_options(kwargs, key):
    _assert_matches_haiku(key, "VarianceScaling", (4, 6), jnp.float32, **kwargs)


def test_variance_scaling_zero_sized_shape(key):
    _assert_matches_haiku(key, "VarianceScaling", (0, 3), jnp.float32)


VARIANCE_SCALING_ERRORS = {
    # kwargs, the phrase Haiku's own tests match, our fuller message.
    "scale": (
        {"scale": -1.0},
        "scale.*must be a positive float",
        r"`scale` must be a positive float.*got -1\.0",
    ),
    "mode": (
        {"mode": "fan_sum"},
        "Invalid `mode` argument",
        "Invalid `mode` argument: 'fan_sum'; expected one of 'fan_in', 'fan_out', 'fan_avg'",
    ),
    "distribution": (
        {"distribution": "Cauchy"},
        "Invalid `distribution` argument",
        "Invalid `distribution` argument: 'cauchy'; expected one of 'truncated_normal'",
    ),
}


@pytest.mark.parametrize(("kwargs", "haiku_match", "match"), _cases(VARIANCE_SCALING_ERRORS))
def test_variance_scaling_errors(kwargs, haiku_match, match):
    with pytest.raises(ValueError, match=haiku_match):
        haiku.initializers.VarianceScaling(**kwargs)
    with pytest.raises(ValueError, match=haiku_match):
        initializers.VarianceScaling(**kwargs)
    with pytest.raises(ValueError, match=match):
        initializers.VarianceScaling(**kwargs)


@pytest.mark.parametrize("dtype", _params(DTYPES))
@pytest.mark.parametrize("shape", _params(SHAPES))
@pytest.mark.parametrize("scale", [1.0, 0.25])
def test_uniform_scaling(scale, shape, dtype, key):
    _assert_matches_haiku(key, "UniformScaling", shape, dtype, scale)


ORTHOGONAL_CASES = {
    "square": ((4, 4), -1),
    "tall": ((8, 3), -1),
    "wide": ((3, 8), -1),
    "tall_axis0": ((8, 3), 0),
    "wide_axis0": ((3, 8), 0),
    "conv2d": ((3, 3, 4, 8), -1),
    "conv2d_axis2": ((3, 3, 4, 8), 2),
    "conv2d_axis_neg2": ((3, 3, 4, 40), -2),
    "rank3_axis1": ((2, 9, 3), 1),
}


@pytest.mark.parametrize("dtype", _params({"f32": jnp.float32, **COMPLEX}))
@pytest.mark.parametrize(("shape", "axis"), _cases(ORTHOGONAL_CASES))
@pytest.mark.parametrize("scale", [1.0, 2.0])
def test_orthogonal(scale, shape, axis, dtype, key):
    _assert_matches_haiku(key, "Orthogonal", shape, dtype, scale, axis)


@pytest.mark.parametrize("shape", _params({"scalar": (), "vector": (5,)}))
def test_orthogonal_rejects_rank_below_two(shape, key):
    with pytest.raises(ValueError, match="requires at least a 2D shape"):
        _run(haiku, "Orthogonal", (), {}, shape, jnp.float32, key)
    match = rf"requires at least a 2D shape, got shape {re.escape(str(shape))} of rank"
    with pytest.raises(ValueError, match=match):
        _run(sonnax, "Orthogonal", (), {}, shape, jnp.float32, key)


@pytest.mark.parametrize("axis", [2, -3])
def test_orthogonal_rejects_axis_out_of_range(axis, key):
    with pytest.raises(IndexError):
        _run(haiku, "Orthogonal", (), {"axis": axis}, (4, 5), jnp.float32, key)
    with pytest.raises(IndexError, match=rf"`axis`={axis} is out of range.*\(4, 5\)"):
        _run(sonnax, "Orthogonal", (), {"axis": axis}, (4, 5), jnp.float32, key)


IDENTITY_SHAPES = {
    "square": (4, 4),
    "tall": (6, 3),
    "wide": (3, 6),
    "batched": (2, 3, 3),
    "conv2d": (3, 3, 5, 5),
    "conv2d_rectangular": (1, 3, 4, 6),
}


@pytest.mark.parametrize("dtype", _params({**DTYPES, **COMPLEX}))
@pytest.mark.parametrize("shape", _params(IDENTITY_SHAPES))
@pytest.mark.parametrize(
    "gain",
    [
        pytest.param(1.0, id="unit"),
        pytest.param(-0.5, id="scalar"),
        pytest.param(np.float32(3.0), id="numpy_scalar"),
        pytest.param(jnp.asarray(0.1), id="jax_scalar"),
    ],
)
def test_identity(gain, shape, dtype, key):
    _assert_matches_haiku(key, "Identity", shape, dtype, gain)


def test_identity_array_gain(key):
    gain = np.array([1.0, 2.0, 3.0], dtype=np.float32)[:, None]
    _assert_matches_haiku(key, "Identity", (2, 3, 5), jnp.float32, gain)


@pytest.mark.parametrize("shape", _params({"scalar": (), "vector": (5,)}))
def test_identity_rejects_rank_below_two(shape):
    with pytest.raises(ValueError, match="requires at least a 2D shape"):
        haiku.initializers.Identity()(shape, jnp.float32)
    match = rf"requires at least a 2D shape, got shape {re.escape(str(shape))} of rank"
    with pytest.raises(ValueError, match=match):
        initializers.Identity()(shape, jnp.float32)


@pytest.mark.parametrize("name", ["RandomNormal", "TruncatedNormal", "VarianceScaling"])
def test_same_values_under_jit_and_with_typed_keys(name):
    key = jax.random.key(7)
    expected = _run(haiku, name, (), {}, (3, 5), jnp.float32, key)
    init = getattr(initializers, name)()
    f = sonnax.transform(lambda: init((3, 5), jnp.float32))
    np.testing.assert_array_equal(jax.jit(f.apply)({}, key), expected)


def test_one_key_per_call_matches_haiku_sequence(key):
    # Several initializers in one transform: the keys must be drawn in the same order.
    def body(library):
        inits = library.initializers
        return (
            inits.RandomNormal()((2, 3), jnp.float32),
            inits.VarianceScaling(1.0, "fan_avg", "uniform")((3, 4), jnp.float32),
            inits.Orthogonal()((4, 4), jnp.float32),
            inits.TruncatedNormal()((5,), jnp.float32),
        )

    expected = haiku.transform(lambda: body(haiku)).apply({}, key)
    actual = sonnax.transform(lambda: body(sonnax)).apply({}, key)
    for got, want in zip(actual, expected, strict=True):
        np.testing.assert_array_equal(got, want)


def test_public_names_match_haiku():
    assert sorted(initializers.__all__) == sorted(haiku.initializers.__all__)
    assert initializers.Initializer is sonnax_typing.Initializer


@pytest.mark.parametrize("name", [name for name in initializers.__all__ if name != "Initializer"])
def test_constructor_defaults_match_haiku(name):
    ours = inspect.signature(getattr(initializers, name))
    theirs = inspect.signature(getattr(haiku.initializers, name))
    assert list(ours.parameters) == list(theirs.parameters)
    for param in ours.parameters.values():
        assert param.default == theirs.parameters[param.name].default, param.name
