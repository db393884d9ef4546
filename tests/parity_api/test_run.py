"""Tests for sonnax/parity/_run.py: `compare` and `assert_parity` against live TF Sonnet modules.

Correct ports (the compat modules) pass, outputs and gradients; deliberately wrong ports (a
transposed-convolution kernel used without re-orienting it, an LSTM without its forget bias)
fail, and the report names the outputs that differ.
"""

import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import sonnax
from sonnax import compat, convert, parity
from sonnax.parity import _run


@pytest.fixture(scope="module")
def tf_sonnet():
    """TensorFlow and Sonnet, imported here only."""
    import sonnet
    import tensorflow as tf

    return tf, sonnet


def _normal(*shape):
    return np.random.default_rng(len(shape)).normal(size=shape).astype(np.float32)


def _unroll(snt, core, xs):
    return snt.static_unroll(core, xs, core.initial_state(xs.shape[1]))


def _mlp(snt):
    return snt.nets.MLP([4, 3], name="mlp")


def _conv(snt):
    return snt.Conv2D(4, kernel_shape=3, stride=2, name="conv")


def _batch_norm(snt):
    return snt.BatchNorm(create_scale=True, create_offset=True, name="bn")


def _lstm(snt, forget_bias=1.0):
    return snt.LSTM(3, forget_bias=forget_bias, name="lstm")


# (name, build(snt), call(snt, module, x), input shape): the same code builds both sides.
_PORTS = [
    ("mlp", _mlp, lambda snt, m, x: m(x), (2, 5)),
    ("conv2d", _conv, lambda snt, m, x: m(x), (2, 6, 6, 3)),
    ("batch_norm", _batch_norm, lambda snt, m, x: m(x, is_training=False), (4, 3)),
    ("lstm", _lstm, lambda snt, m, x: _unroll(snt, m, x), (3, 2, 5)),
]


@pytest.mark.parametrize(
    ("build", "call", "shape"), [p[1:] for p in _PORTS], ids=[p[0] for p in _PORTS]
)
def test_a_correct_compat_port_passes_outputs_and_gradients(tf_sonnet, build, call, shape):
    tf, sonnet = tf_sonnet
    x = _normal(*shape)
    module = build(sonnet)
    if build is _batch_norm:
        module(tf.constant(x * 2 + 1), is_training=True)  # Moving statistics off their init.
    report = parity.compare(
        module, lambda x: call(compat, build(compat), x), x,
        tf_fn=lambda m, x: call(sonnet, m, x), grads=True,
    )  # fmt: skip
    assert report.ok, str(report)
    names = [row.name for row in report.rows]
    assert "grads/inputs[0]" in names
    trainable = {
        f"grads/params/{m}/{n}" for m, b in convert.from_module(module)[0].items() for n in b
    }
    assert trainable and trainable <= set(names)
    assert report.max_abs() < 1e-5


def test_the_outputs_are_named_by_their_tree_paths(tf_sonnet):
    tf, sonnet = tf_sonnet
    report = parity.compare(
        _lstm(sonnet), lambda x: _unroll(compat, _lstm(compat), x), _normal(3, 2, 5),
        tf_fn=lambda m, x: _unroll(sonnet, m, x),
    )  # fmt: skip
    assert [row.name for row in report.rows] == [
        "outputs[0]",
        "outputs[1].hidden",
        "outputs[1].cell",
    ]


class _HaikuLayoutLSTM(sonnax.Module):
    """A hand port of `snt.LSTM` in Haiku's layout: one `w` over `[x, h]`, gates i, g, f, o,
    and the forget bias added at run time, as `haiku.LSTM` does (so it is not in `b`)."""

    def __init__(self, hidden_size, add_forget_bias):
        super().__init__(name="lstm")
        self.hidden_size = hidden_size
        self.add_forget_bias = add_forget_bias

    def __call__(self, x, hidden, cell):
        size = self.hidden_size
        w = sonnax.get_parameter("w", [x.shape[-1] + size, 4 * size], init=jnp.zeros)
        b = sonnax.get_parameter("b", [4 * size], init=jnp.zeros)
        i, g, f, o = jnp.split(jnp.concatenate([x, hidden], axis=-1) @ w + b, 4, axis=-1)
        if self.add_forget_bias:
            f += 1.0
        cell = jax.nn.sigmoid(f) * cell + jax.nn.sigmoid(i) * jnp.tanh(g)
        return jax.nn.sigmoid(o) * jnp.tanh(cell), cell


def _to_haiku_layout(params, state):
    """Sonnet's LSTM variables in `_HaikuLayoutLSTM`'s layout: gates reordered, and the forget
    bias (folded into Sonnet's `b` when it was made) taken out again."""
    lstm = params["lstm"]
    i, f, g, o = np.split(np.concatenate([lstm["w_i"], lstm["w_h"]]), 4, axis=-1)
    b_i, b_f, b_g, b_o = np.split(lstm["b"], 4)
    w = np.concatenate([i, g, f, o], axis=-1)
    return {"lstm": {"w": w, "b": np.concatenate([b_i, b_g, b_f - 1.0, b_o])}}, state


def _haiku_layout_port(add_forget_bias):
    def port(xs):
        core = _HaikuLayoutLSTM(3, add_forget_bias)
        hidden = cell = jnp.zeros([xs.shape[1], 3])
        outputs = []
        for x in xs:
            hidden, cell = core(x, hidden, cell)
            outputs.append(hidden)
        return jnp.stack(outputs), compat.LSTMState(hidden=hidden, cell=cell)

    return port


@pytest.mark.parametrize("add_forget_bias", [True, False], ids=["with", "missing"])
def test_an_lstm_missing_its_forget_bias_is_caught(tf_sonnet, add_forget_bias):
    tf, sonnet = tf_sonnet
    check = parity.compare if add_forget_bias else parity.assert_parity
    run = lambda: check(  # noqa: E731
        _lstm(sonnet), _haiku_layout_port(add_forget_bias), _normal(3, 2, 5),
        tf_fn=lambda m, x: _unroll(sonnet, m, x), map_variables=_to_haiku_layout, grads=True,
    )  # fmt: skip
    if add_forget_bias:
        report = run()
        assert report.ok, str(report)
        assert "grads/inputs[0]" in [row.name for row in report.rows]
        return
    with pytest.raises(AssertionError, match=r"FAIL outputs\[1\]\.cell") as raised:
        run()
    assert "the port differs from TF Sonnet" in str(raised.value)
    assert "\nok " not in str(raised.value)  # Only the failing rows are listed.


class _HandTransposedConv(sonnax.Module):
    """A hand port of `snt.Conv2DTranspose(3, 3, stride=2)`, its kernel in TF's layout."""

    def __init__(self, reorient):
        super().__init__(name="conv2d_transpose")
        self.reorient = reorient

    def __call__(self, x):
        w = sonnax.get_parameter(
            "w", [3, 3, 3, x.shape[-1]], init=sonnax.initializers.RandomNormal()
        )
        b = sonnax.get_parameter("b", [3], init=jax.numpy.zeros)
        # TF's kernel is (height, width, out, in): the forward convolution's HWIO kernel, whose
        # transpose `lax.conv_transpose` takes only when told to flip and swap it.
        y = jax.lax.conv_transpose(
            x, w, (2, 2), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC"),
            transpose_kernel=self.reorient,
        )  # fmt: skip
        return y + b


@pytest.mark.parametrize("reorient", [True, False], ids=["reoriented", "not_reoriented"])
def test_a_transposed_kernel_not_reoriented_is_caught(tf_sonnet, reorient):
    tf, sonnet = tf_sonnet
    x = _normal(2, 4, 4, 3)
    tf_module = sonnet.Conv2DTranspose(3, kernel_shape=3, stride=2, name="conv2d_transpose")
    tf_module(tf.constant(x))
    tf_module.b.assign(tf.random.normal([3]))
    report = parity.compare(tf_module, lambda x: _HandTransposedConv(reorient)(x), x, grads=True)
    assert report.ok == reorient, report
    if not reorient:
        failing = {row.name for row in report.failures}
        assert "outputs" in failing and "grads/params/conv2d_transpose/w" in failing


def test_a_checkpoint_and_its_builder(tf_sonnet, tmp_path):
    tf, sonnet = tf_sonnet
    x = _normal(2, 5)
    saved = _mlp(sonnet)
    saved(tf.constant(x))
    path = tf.train.Checkpoint(module=saved).save(str(tmp_path / "ckpt"))
    report = parity.compare(path, lambda x: _mlp(compat)(x), x, build=lambda: _mlp(sonnet))
    assert report.ok, str(report)
    with pytest.raises(TypeError, match=r"needs build=, a function that builds the TF Sonnet"):
        parity.compare(path, lambda x: _mlp(compat)(x), x)


def test_transformed_ports_of_every_kind(tf_sonnet):
    tf, sonnet = tf_sonnet
    x = _normal(2, 5)
    module = _mlp(sonnet)
    forward = sonnax.transform(lambda x: _mlp(compat)(x))
    with_state = sonnax.transform_with_state(lambda x: _mlp(compat)(x))
    for port in (forward, sonnax.without_apply_rng(forward), with_state):
        assert parity.compare(module, port, x).ok


def test_a_port_whose_params_differ_fails_before_running(tf_sonnet):
    tf, sonnet = tf_sonnet
    with pytest.raises(convert.MismatchError, match=r"mlp/~/linear_1.*shape \(4, 2\)"):
        parity.compare(
            _mlp(sonnet), lambda x: compat.nets.MLP([4, 2], name="mlp")(x), _normal(2, 5)
        )


def test_gradients_of_two_variables_of_one_name_cannot_be_told_apart():
    with pytest.raises(ValueError, match="two trainable TF variables are named 'lin/w:0'"):
        _run._tf_place("lin/w:0", {("lin", "w")})


def test_without_tensorflow_a_live_module_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorflow", None)
    with pytest.raises(ImportError, match=r"pip install 'sonnax\[tf\]'"):
        parity.compare(object(), lambda x: x, np.zeros(1))


def test_the_first_call_leaves_existing_variables_as_they_were(tf_sonnet):
    tf, sonnet = tf_sonnet
    x = _normal(4, 3)
    module = _batch_norm(sonnet)
    module(tf.constant(x + 1), is_training=True)
    counter = module.moving_mean._counter  # Made in __init__, before the first call.
    report = parity.compare(
        module, lambda x: _batch_norm(compat)(x, is_training=True), x,
        tf_fn=lambda m, x: m(x, is_training=True),
    )  # fmt: skip
    assert report.ok, str(report)
    assert counter.numpy() == 2  # The training call before, and the compared one.


def test_an_unbuilt_deferred_keeps_the_names_a_plain_call_gives(tf_sonnet):
    # Reading `.variables` of an unbuilt snt.Deferred builds its target inside the Deferred's
    # name scope (`deferred/lin/w`); compare must not, or the names stop matching the port's.
    tf, sonnet = tf_sonnet
    module = sonnet.Deferred(lambda: sonnet.Linear(3, name="lin"))
    report = parity.compare(
        module, lambda x: compat.Deferred(lambda: compat.Linear(3, name="lin"))(x), _normal(2, 4)
    )
    assert report.ok, str(report)
    assert sorted(variable.name for variable in module.variables) == ["lin/b:0", "lin/w:0"]


def test_a_tuple_of_modules_is_refused_with_a_fix(tf_sonnet):
    _, sonnet = tf_sonnet
    with pytest.raises(TypeError, match=r"expected a TF Sonnet module.*got tuple; put several"):
        parity.compare((sonnet.Linear(2),), lambda x: compat.Linear(2)(x), _normal(2, 3))
