"""Initializers draw from Sonnet's distributions: each one, and each module's defaults.

The parity harness copies TF's initial values into compat, so it cannot see an
initializer drawing from the wrong distribution. Here TF Sonnet and compat each draw at
least `MIN_SAMPLES` values, which must pass a two-sample Kolmogorov-Smirnov test and agree
in mean and std within `stats.Z` standard errors of the sample sizes (`tests/parity/stats.py`).
Deterministic initializers and default zeros/ones must be equal. The power tests show that
Haiku's defaults where they differ from Sonnet's (a truncated normal rescaled to the
requested stddev, as `VarianceScaling` and Haiku's GRU draw) fail the same checks.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable
from typing import Any

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sonnet
import tensorflow as tf

import sonnax
from sonnax import compat
from tests.parity import harness, stats

MIN_SAMPLES = 100_000


def _seed(name: str) -> int:
    return zlib.crc32(name.encode()) % (2**31)


def _draws(shape: tuple[int, ...]) -> int:
    return max(1, math.ceil(MIN_SAMPLES / math.prod(shape)))


def sample_tf(
    make: Callable[[Any], Any], shape: tuple[int, ...], dtype: str, name: str
) -> np.ndarray:
    """`[draws, *shape]` values from TF Sonnet's initializer, enough for `MIN_SAMPLES`."""
    tf.random.set_seed(_seed(name))
    init = make(sonnet)
    return np.stack([init(shape, dtype).numpy() for _ in range(_draws(shape))])


def sample_compat(
    make: Callable[[Any], Any], shape: tuple[int, ...], dtype: str, name: str
) -> np.ndarray:
    """`[draws, *shape]` values from compat's initializer, each draw with its own key."""
    f = sonnax.transform(lambda: make(compat)(shape, dtype))
    keys = jax.random.split(jax.random.PRNGKey(_seed(name)), _draws(shape))
    return np.stack([np.asarray(f.apply({}, key)) for key in keys])


def assert_same_distribution(expected: np.ndarray, actual: np.ndarray, what: str) -> None:
    comparison = stats.compare(expected, actual)
    assert comparison.same_distribution, f"{what}: {comparison}"


# (id, make(snt) -> initializer, shape, dtype). Shapes hold MIN_SAMPLES values or are drawn
# again; kernel shapes check the receptive-field fans.
RANDOM = [
    ("uniform_default", lambda snt: snt.initializers.RandomUniform(), (400, 300), "float32"),
    ("uniform_range", lambda snt: snt.initializers.RandomUniform(-2.0, 3.0), (400, 300), "float32"),
    ("uniform_int", lambda snt: snt.initializers.RandomUniform(0, 10), (400, 300), "int32"),
    ("normal_default", lambda snt: snt.initializers.RandomNormal(), (400, 300), "float32"),
    (
        "normal_mean_stddev",
        lambda snt: snt.initializers.RandomNormal(mean=1.0, stddev=3.0),
        (400, 300),
        "float32",
    ),
    (
        "normal_float16",
        lambda snt: snt.initializers.RandomNormal(stddev=0.5),
        (400, 300),
        "float16",
    ),
    ("truncated_default", lambda snt: snt.initializers.TruncatedNormal(), (400, 300), "float32"),
    (
        "truncated_mean_stddev",
        lambda snt: snt.initializers.TruncatedNormal(mean=-1.0, stddev=0.5),
        (400, 300),
        "float32",
    ),
    (
        "truncated_small_stddev",
        lambda snt: snt.initializers.TruncatedNormal(stddev=0.01),
        (3, 3, 16, 32),
        "float32",
    ),
]
for _mode in ("fan_in", "fan_out", "fan_avg"):
    for _distribution in ("truncated_normal", "normal", "uniform"):
        for _shape_id, _shape in (("matrix", (300, 400)), ("kernel", (3, 3, 64, 200))):
            RANDOM.append(
                (
                    f"variance_scaling_{_mode}_{_distribution}_{_shape_id}",
                    lambda snt, m=_mode, d=_distribution: snt.initializers.VarianceScaling(
                        scale=2.0, mode=m, distribution=d
                    ),
                    _shape,
                    "float32",
                )
            )
RANDOM += [
    (
        "variance_scaling_default",
        lambda snt: snt.initializers.VarianceScaling(),
        (300, 400),
        "float32",
    ),
    (
        "variance_scaling_vector",  # Rank 1: fan_in = fan_out = the length.
        lambda snt: snt.initializers.VarianceScaling(scale=3.0, distribution="uniform"),
        (120_000,),
        "float32",
    ),
    (
        "variance_scaling_mixed_case",  # Sonnet lower-cases the distribution's name.
        lambda snt: snt.initializers.VarianceScaling(mode="fan_out", distribution="Normal"),
        (300, 400),
        "float32",
    ),
]


@pytest.mark.parametrize(("name", "make", "shape", "dtype"), RANDOM, ids=[c[0] for c in RANDOM])
def test_random_initializer_matches_sonnet(name, make, shape, dtype):
    expected = sample_tf(make, shape, dtype, name)
    actual = sample_compat(make, shape, dtype, name)
    assert actual.shape == expected.shape
    assert actual.dtype == expected.dtype
    assert expected.size >= MIN_SAMPLES
    if np.issubdtype(expected.dtype, np.integer):
        assert set(np.unique(actual)) == set(np.unique(expected))
    assert_same_distribution(expected, actual, name)


DETERMINISTIC = [
    ("zeros", lambda snt: snt.initializers.Zeros(), (3, 4), "float32"),
    ("zeros_int", lambda snt: snt.initializers.Zeros(), (5,), "int32"),
    ("ones", lambda snt: snt.initializers.Ones(), (2, 3, 4), "float32"),
    ("ones_int", lambda snt: snt.initializers.Ones(), (3, 2), "int32"),
    ("constant", lambda snt: snt.initializers.Constant(2.5), (4, 3), "float32"),
    ("constant_int", lambda snt: snt.initializers.Constant(7), (3,), "int32"),
    ("constant_scalar_shape", lambda snt: snt.initializers.Constant(-1.5), (), "float32"),
    ("identity_square", lambda snt: snt.initializers.Identity(), (4, 4), "float32"),
    ("identity_wide_gain", lambda snt: snt.initializers.Identity(gain=2.5), (3, 5), "float32"),
    ("identity_tall", lambda snt: snt.initializers.Identity(gain=-1.0), (5, 2), "float32"),
    ("identity_batched", lambda snt: snt.initializers.Identity(gain=0.5), (2, 3, 3, 4), "float32"),
    ("identity_int", lambda snt: snt.initializers.Identity(gain=3), (3, 3), "int32"),
]


@pytest.mark.parametrize(
    ("name", "make", "shape", "dtype"), DETERMINISTIC, ids=[c[0] for c in DETERMINISTIC]
)
def test_deterministic_initializer_equals_sonnet(name, make, shape, dtype):
    expected = make(sonnet)(shape, dtype).numpy()
    actual = np.asarray(sonnax.transform(lambda: make(compat)(shape, dtype)).apply({}, None))
    assert actual.dtype == expected.dtype, name
    np.testing.assert_array_equal(actual, expected, err_msg=name)


ORTHOGONAL = [
    ("tall", 1.0, (400, 300)),
    ("wide", 1.0, (300, 400)),
    ("square_gain", 2.0, (350, 350)),
    ("kernel", 1.0, (3, 3, 20, 30)),  # A [180, 30] matrix, reshaped.
    ("kernel_wide", 0.5, (2, 2, 5, 40)),  # A [20, 40] matrix: orthonormal rows.
]


def _assert_orthogonal(values: np.ndarray, gain: float, shape: tuple[int, ...], what: str) -> None:
    matrix = values.reshape(-1, shape[-1]).astype(np.float64) / gain
    rows, cols = matrix.shape
    gram = matrix.T @ matrix if rows >= cols else matrix @ matrix.T
    np.testing.assert_allclose(gram, np.eye(min(rows, cols)), atol=1e-5, err_msg=what)


@pytest.mark.parametrize(("name", "gain", "shape"), ORTHOGONAL, ids=[c[0] for c in ORTHOGONAL])
def test_orthogonal_is_orthogonal_and_distributed_as_sonnet(name, gain, shape):
    make = lambda snt: snt.initializers.Orthogonal(gain=gain)
    expected = sample_tf(make, shape, "float32", name)
    actual = sample_compat(make, shape, "float32", name)
    for draw in range(len(actual)):
        _assert_orthogonal(expected[draw], gain, shape, f"TF {name} draw {draw}")
        _assert_orthogonal(actual[draw], gain, shape, f"compat {name} draw {draw}")
    # Entries of a random orthogonal matrix are nearly independent, each of variance
    # gain^2 / rows (for orthonormal columns): the KS test sees the sign and scale.
    assert_same_distribution(expected, actual, name)


def test_every_compat_initializer_is_sampled():
    tested = set()
    for _, make, *_ in RANDOM + DETERMINISTIC:
        tested.add(type(make(compat)).__name__)
    tested.add("Orthogonal")
    public = {name for name in compat.initializers.__all__ if name != "Initializer"}
    assert sorted(public - tested) == []


# --- Default initializers of modules -------------------------------------------------------

B = 1


def _call(snt, module, x):
    return module(x)


def _call_core(snt, core, x):
    return core(x, core.initial_state(B))


def _ids(rng):
    del rng
    return np.array([3], np.int32)


# (id, build(snt), input specs, call). Sizes give each random weight MIN_SAMPLES values.
MODULES = [
    ("linear", lambda snt: snt.Linear(400), ((B, 300),), _call),
    ("mlp", lambda snt: snt.nets.MLP([400, 300], activate_final=True), ((B, 300),), _call),
    ("bias", lambda snt: snt.Bias(), ((B, 5),), _call),
    ("conv1d", lambda snt: snt.Conv1D(240, 5), ((B, 8, 100),), _call),
    ("conv2d", lambda snt: snt.Conv2D(200, 3), ((B, 5, 5, 64),), _call),
    ("conv3d", lambda snt: snt.Conv3D(200, 3), ((B, 4, 4, 4, 20),), _call),
    ("conv1d_transpose", lambda snt: snt.Conv1DTranspose(240, 5), ((B, 8, 100),), _call),
    ("conv2d_transpose", lambda snt: snt.Conv2DTranspose(200, 3), ((B, 5, 5, 64),), _call),
    ("conv3d_transpose", lambda snt: snt.Conv3DTranspose(200, 3), ((B, 4, 4, 4, 20),), _call),
    (
        "depthwise_conv2d",
        lambda snt: snt.DepthwiseConv2D(3, channel_multiplier=120),
        ((B, 5, 5, 100),),
        _call,
    ),
    ("embed", lambda snt: snt.Embed(vocab_size=1000, embed_dim=120), (_ids,), _call),
    ("vanilla_rnn", lambda snt: snt.VanillaRNN(400), ((B, 300),), _call_core),
    ("lstm", lambda snt: snt.LSTM(200), ((B, 300),), _call_core),
    ("lstm_projection", lambda snt: snt.LSTM(200, projection_size=500), ((B, 300),), _call_core),
    ("gru", lambda snt: snt.GRU(200), ((B, 300),), _call_core),
    (
        "conv1d_lstm",
        lambda snt: snt.Conv1DLSTM(input_shape=(4, 30), output_channels=100, kernel_shape=9),
        ((B, 4, 30),),
        _call_core,
    ),
    (
        "conv2d_lstm",
        lambda snt: snt.Conv2DLSTM(input_shape=(4, 4, 30), output_channels=100, kernel_shape=3),
        ((B, 4, 4, 30),),
        _call_core,
    ),
    (
        "batch_norm",
        lambda snt: snt.BatchNorm(create_scale=True, create_offset=True),
        ((4, 6),),
        lambda snt, m, x: m(x, is_training=True),
    ),
    (
        "layer_norm",
        lambda snt: snt.LayerNorm(-1, create_scale=True, create_offset=True),
        ((4, 6),),
        _call,
    ),
]


def _missing_class(build: Callable[[Any], Any]) -> str | None:
    try:
        sonnax.transform_with_state(lambda: build(compat)).init(jax.random.PRNGKey(0))
    except AttributeError as e:  # `snt.X` that compat does not define yet.
        return str(e)
    return None


def _inputs(specs: tuple[Any, ...], name: str) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(_seed(name))
    return tuple(
        s(rng) if callable(s) else rng.standard_normal(s).astype(np.float32) for s in specs
    )


def initial_values_tf(build, specs, call, name: str, builds: int) -> list[dict]:
    """Each variable's initial value, keyed by the converter's name rule, per fresh module."""
    tf.random.set_seed(_seed(name))
    out = []
    for _ in range(builds):
        created: list[tf.Variable] = []

        def record(next_creator, created=created, **kwargs):
            variable = next_creator(**kwargs)
            created.append((variable.name, variable.numpy().copy()))
            return variable

        with tf.variable_creator_scope(record):
            module = build(sonnet)
            call(sonnet, module, *map(tf.constant, _inputs(specs, name)))
        out.append({harness.variable_key(n): value for n, value in created})
    return out


def initial_values_compat(build, specs, call, name: str, builds: int) -> list[dict]:
    f = sonnax.transform_with_state(lambda *xs: call(compat, build(compat), *xs))
    inputs = tuple(map(jnp.asarray, _inputs(specs, name)))
    keys = jax.random.split(jax.random.PRNGKey(_seed(name)), builds)
    out = []
    for key in keys:
        params, state = f.init(key, *inputs)
        out.append(
            {k: np.asarray(v) for k, v in {**harness.flat(params), **harness.flat(state)}.items()}
        )
    return out


@pytest.mark.parametrize(("name", "build", "specs", "call"), MODULES, ids=[m[0] for m in MODULES])
def test_module_default_initializers_match_sonnet(name, build, specs, call):
    missing = _missing_class(build)
    if missing:
        pytest.skip(f"not in sonnax.compat yet: {missing}")
    # A variable is random when two fresh TF modules start from different values.
    first, second = initial_values_tf(build, specs, call, name, 2)
    random = {k for k in first if not np.array_equal(first[k], second[k])}
    builds = max([2] + [math.ceil(MIN_SAMPLES / first[k].size) for k in random])
    expected = initial_values_tf(build, specs, call, name, builds)
    actual = initial_values_compat(build, specs, call, name, builds)
    assert sorted(actual[0]) == sorted(expected[0])
    for key in sorted(expected[0]):
        tf_values = np.stack([e[key] for e in expected])
        compat_values = np.stack([a[key] for a in actual])
        if np.issubdtype(tf_values.dtype, np.floating):  # TF's int64 counters are int32 here.
            assert compat_values.dtype == tf_values.dtype, key
        if key in random:
            assert tf_values.size >= MIN_SAMPLES
            assert_same_distribution(tf_values, compat_values, f"{name}: {key}")
        else:
            np.testing.assert_array_equal(compat_values, tf_values, err_msg=f"{name}: {key}")


# --- The checks have power: Haiku's defaults fail them -------------------------------------


def test_checks_reject_haikus_variance_scaling_in_place_of_sonnets_truncated_normal():
    # Haiku's (and Sonnet's) VarianceScaling rescales its truncated normal by 1 / 0.8796 to
    # reach variance `1 / fan_in`; Sonnet's module default, TruncatedNormal(1 / sqrt(fan_in)),
    # does not. A compat default built on the first would draw values ~14% too large.
    shape = (300, 400)
    sonnet_w = initial_values_tf(
        lambda snt: snt.Linear(400), ((B, shape[0]),), _call, "linear_power", 1
    )[0][("linear", "w")]
    f = hk.transform(lambda: hk.initializers.VarianceScaling(1.0)(shape, jnp.float32))
    haiku_w = np.asarray(f.apply({}, jax.random.PRNGKey(_seed("haiku_variance_scaling"))))
    comparison = stats.compare(sonnet_w, haiku_w)
    assert not comparison.same_distribution
    assert comparison.ks_pvalue < stats.ALPHA, comparison
    assert abs(comparison.std_difference) > comparison.std_tolerance, comparison


def test_checks_reject_haikus_gru_default():
    # Haiku's GRU draws `w_i` and `w_h` from VarianceScaling() (rescaled); Sonnet's from
    # TruncatedNormal(1 / sqrt(fan_in)). Same names and shapes, other distribution.
    sonnet_values = initial_values_tf(
        lambda snt: snt.GRU(200), ((B, 300),), _call_core, "gru_power", 1
    )[0]

    def forward(x):
        core = hk.GRU(200)
        return core(x, core.initial_state(B))

    params = hk.transform(forward).init(jax.random.PRNGKey(_seed("haiku_gru")), jnp.ones((B, 300)))
    for name in ("w_i", "w_h"):
        comparison = stats.compare(sonnet_values[("gru", name)], np.asarray(params["gru"][name]))
        assert not comparison.same_distribution, name
        assert comparison.ks_pvalue < stats.ALPHA, (name, comparison)


def test_checks_accept_haikus_linear_default_which_is_sonnets():
    # Haiku's Linear default is Sonnet's distribution (both unscaled truncated normals of
    # stddev 1 / sqrt(fan_in)): the checks do not reject a true match.
    shape = (300, 400)
    sonnet_w = initial_values_tf(
        lambda snt: snt.Linear(400), ((B, shape[0]),), _call, "linear_power", 1
    )[0][("linear", "w")]
    f = hk.transform(lambda x: hk.Linear(400)(x))
    haiku_w = f.init(jax.random.PRNGKey(_seed("haiku_linear")), jnp.ones((B, shape[0])))
    comparison = stats.compare(sonnet_w, np.asarray(haiku_w["linear"]["w"]))
    assert comparison.same_distribution, comparison


def test_checks_reject_a_one_percent_shift_in_the_mean():
    # The mean check alone resolves a shift of 1% of a standard deviation at this size.
    shape = (1000, 1000)
    a = sample_tf(lambda snt: snt.initializers.RandomNormal(), shape, "float32", "shift")
    b = sample_compat(
        lambda snt: snt.initializers.RandomNormal(mean=0.01), shape, "float32", "shift"
    )
    comparison = stats.compare(a, b)
    assert abs(comparison.mean_difference) > comparison.mean_tolerance, comparison


# --- The KS implementation ------------------------------------------------------------------


def test_ks_matches_scipy():
    scipy_stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(0)
    a = rng.standard_normal(100_000)
    for b in (rng.standard_normal(100_000), 1.01 * rng.standard_normal(90_000)):
        d, p = stats.ks_2samp(a, b)
        expected = scipy_stats.ks_2samp(a, b, method="asymp")
        np.testing.assert_allclose(d, expected.statistic, rtol=1e-12)
        np.testing.assert_allclose(p, expected.pvalue, rtol=0.02, atol=1e-6)


def test_ks_handles_ties():
    a = np.array([0, 0, 1, 1, 1, 2], np.float64)
    b = np.array([0, 1, 2, 2, 2, 2], np.float64)
    # CDFs after 0: 2/6 vs 1/6; after 1: 5/6 vs 2/6; after 2: 1 vs 1.
    assert stats.ks_2samp(a, b)[0] == pytest.approx(0.5)
    assert stats.ks_2samp(a, a) == (0.0, 1.0)
